"""The rational (Padé) activation's coefficient vectors: derivatives against mpmath closed forms,
agreement of the autodiff modes, argument checks, and a short fit with optax."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import optax
import pytest
from jax.test_util import check_grads

import jaxacts as ja
from tests import _accuracy as acc
from tests.conftest import param_sets
from tests.reference import rational as ref

SETS = param_sets("rational")
# Away from the kinks: x = 0 for every set and, for the defaults, the second zero of S near
# -8.3e-7; large magnitudes exercise the evaluation in 1/x.
XS = np.concatenate([np.linspace(-6.0, 6.0, 49), [-1e6, -1e3, -37.5, 1.0e-3, 37.5, 1e3, 1e6]])
XS = XS[np.abs(XS) > 1e-4]


def _mp_table(fn, xs, params, length):
    """The reference Jacobian: rows x, columns coefficient k (double-double, shape (N, K))."""
    hi = np.empty((len(xs), length))
    lo = np.empty_like(hi)
    for j in range(length):
        # ddenominator's k counts from 1 (b_1 multiplies x); dnumerator's from 0.
        k = j + (1 if fn is ref.ddenominator else 0)
        h, l_ = acc.reference(lambda x, numerator, denominator, k=k: fn(
            x, numerator, denominator, k), xs, params, f"rational-d{fn.__name__}-{k}")
        hi[:, j], lo[:, j] = h, l_
    return hi, lo


def _scale(xs, params, k_start, length):
    """|P| replaced by the sum of its terms' magnitudes (P cancels near its zeros)."""
    a = [mp.mpf(c) for c in params["numerator"]]
    b = [mp.mpf(c) for c in params["denominator"]]
    out = np.empty((len(xs), length))
    for i, x in enumerate(xs):
        x = mp.mpf(float(x))
        pa = mp.fsum(abs(c * x ** k) for k, c in enumerate(a))
        q = 1 + abs(mp.fsum(c * x ** (k + 1) for k, c in enumerate(b)))
        for j in range(length):
            out[i, j] = float(pa * abs(x) ** (j + k_start) / q ** 2)
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("which", ["numerator", "denominator"])
def test_coefficient_jacobian_matches_closed_form(which, dtype):
    dt = acc.DTYPES[dtype]
    xs = XS.astype(dt)
    x = jnp.asarray(xs)
    for params in SETS:
        a = jnp.asarray(params["numerator"], dt)
        b = jnp.asarray(params["denominator"], dt)
        pos = 0 if which == "numerator" else 1

        def f(c, _pos=pos, _a=a, _b=b):
            return ja.rational(x, *((c, _b) if _pos == 0 else (_a, c)))

        c = (a, b)[pos]
        jr = np.asarray(jax.jacrev(f)(c))
        jf = np.asarray(jax.jacfwd(f)(c))
        assert jr.shape == (len(xs), c.shape[0]) and jr.dtype == dt
        assert np.all(np.isfinite(jr)), f"non-finite d/d{which}"
        np.testing.assert_allclose(jf, jr, rtol=4 * float(np.finfo(dt).eps), atol=0)
        fn = ref.dnumerator if pos == 0 else ref.ddenominator
        hi, lo = _mp_table(fn, xs, params, c.shape[0])
        scale = None if pos == 0 else _scale(xs, params, 1, c.shape[0])
        err = acc.ulp_error(jr, hi, lo, dt, scale)
        bad = err > acc.TOL[dtype][1]
        assert not bad.any(), (
            f"d rational / d {which} {params}: {int(bad.sum())} entries off; worst "
            f"{err.max():.3g} ULP at x={xs[np.argmax(err.max(axis=1))]}")
        # The gradient of a sum is the column sum of the Jacobian.
        g = np.asarray(jax.grad(lambda c: f(c).sum())(c))
        want = hi.sum(axis=0)
        tol = 64 * float(np.finfo(dt).eps) * np.abs(hi).sum(axis=0)
        assert np.all(np.abs(g - want) <= tol), (which, params, g, want)


def test_second_derivatives_in_coefficients_and_x():
    """Orders 1 and 2 (including the mixed x/coefficient terms) against finite differences."""
    x = jnp.asarray([-2.5, -0.75, 0.4, 1.3, 3.0], jnp.float64)
    for params in (SETS[0], SETS[-1]):  # degrees (5, 4) and (2, 3): both signs of m - n
        a = jnp.asarray(params["numerator"], jnp.float64)
        b = jnp.asarray(params["denominator"], jnp.float64)
        # jit: check_grads re-traces an eager call for every perturbation
        check_grads(jax.jit(ja.rational), (x, a, b), order=2, modes=("fwd", "rev"))


def test_bad_coefficient_shapes_raise():
    x = jnp.ones(3)
    with pytest.raises(ValueError, match="numerator"):
        ja.rational(x, numerator=jnp.ones((2, 2)))
    with pytest.raises(ValueError, match="denominator"):
        ja.rational(x, denominator=())
    with pytest.raises(ValueError, match="numerator"):
        ja.rational(x, numerator=1.0)


def test_fitting_tanh_with_sgd_reduces_the_loss():
    x = jnp.linspace(-3.0, 3.0, 257)
    target = jnp.tanh(x)
    decl = ja.declaration("rational")
    coefs = {p.name: jnp.asarray(p.default, jnp.float32) for p in decl.params}

    def loss(c):
        return jnp.mean((ja.rational(x, **c) - target) ** 2)

    opt = optax.sgd(1e-3, momentum=0.9)
    state = opt.init(coefs)

    @jax.jit
    def step(c, s):
        v, g = jax.value_and_grad(loss)(c)
        u, s = opt.update(g, s)
        return optax.apply_updates(c, u), s, v, g

    losses = []
    for _ in range(100):
        coefs, state, v, g = step(coefs, state)
        assert all(np.all(np.isfinite(t)) for t in jax.tree.leaves((coefs, g))), "NaN/inf"
        losses.append(float(v))
    assert losses[-1] < 0.5 * losses[0], losses[::10]
