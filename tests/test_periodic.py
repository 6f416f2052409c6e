"""The periodic family (snake, snake_beta, sine) beyond the exact Cody-Waite range.

Within |a x| <= 2^19 (float32) / 2^34 (float64) the registry-driven tests of
``test_elementwise.py`` hold these functions to 4 / 8 / 16 ULP (their reference domain stops at
|x| <= 2^16).  Beyond, sin(a x) comes from XLA's exactly reduced sin and cos of the two floats
of the exact product, so it is accurate to a few ULP of 1 rather than of the result: checked
here as an absolute error of at most 16 ULP of the oscillating term's amplitude (plus 4 ULP of
the result), up to |x| = max / 64; where the product a x overflows, 6 doublings of
sin(a x / 2^6), checked to 2^(6 + 3) ULP of the amplitude (NaN there before).
Before, the far range used sin of the rounded product: snake'(1e6) in float32 was 0.386 for a
true 0.344.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxacts as ja
from jaxacts._src import periodic
from tests import _accuracy as acc
from tests._measure import measure_param
from tests.reference import REFS

# (name, params, amplitude of the oscillating term of f, f', f'', and of each parameter
# derivative at x)
_SNAKE = (lambda a: (1 / a, 2.0, 2 * a), lambda x, a: {"a": abs(x) / a + 1 / a ** 2})
_SNAKE_BETA = (lambda alpha, beta: (1 / beta, alpha / beta, 2 * alpha ** 2 / beta),
               lambda x, alpha, beta: {"alpha": abs(x) / beta, "beta": 1 / beta ** 2})
_SINE = (lambda omega: (1.0, abs(omega), omega ** 2), lambda x, omega: {"omega": abs(x)})
CASES = [
    ("snake", {"a": 1.0}, _SNAKE),
    ("snake", {"a": 0.125}, _SNAKE),
    ("snake_beta", {"alpha": 0.5, "beta": 2.0}, _SNAKE_BETA),
    ("sine", {"omega": 30.0}, _SINE),
    ("sine", {"omega": -0.75}, _SINE),
]


def _far_grid(dtype, params) -> np.ndarray:
    fi = acc.finfo(dtype)
    a = max(abs(v) for v in params.values())
    lo = 2.0 ** (fi.nmant // 2 + 9) / a  # past the exact range
    hi = float(fi.max) / 64
    mags = np.exp(np.linspace(np.log(lo), np.log(hi), 40))
    return np.concatenate([mags, -mags]).astype(dtype)


def _check_orders(name, params, amp, dtype, xs, key, ulps_of_amp):
    """Value, f' and f'' at ``xs``: finite and within 4 ULP of the result plus ``ulps_of_amp``
    ULP of the oscillating term's amplitude, against the mpmath reference."""
    dt = acc.DTYPES[dtype]
    ref = REFS[name]
    f = ja.get(name)
    amps = amp[0](**params)
    for order, refn in enumerate((ref.f, ref.df, ref.d2f)):
        g = lambda v: f(v, **params)  # noqa: E731
        for _ in range(order):
            g = jax.grad(g)
        got = np.asarray(jax.jit(jax.vmap(g))(xs)).astype(np.float64)
        hi, lo = acc.reference(refn, xs, params, f"{name}-{key}{order}")
        bad = ~np.isfinite(got)
        assert not bad.any(), f"{name} order {order}: non-finite at {xs[bad]}"
        tol = 4 * acc.spacing(hi, dt) + ulps_of_amp * float(acc.finfo(dt).eps) * amps[order]
        bad = np.abs((got - hi) - lo) > tol
        assert not bad.any(), (
            f"{name}{params} order {order} {dtype}: {int(bad.sum())} of {len(xs)} above "
            f"tolerance; e.g. x={xs[bad][:3]}, got {got[bad][:3]}, ref {hi[bad][:3]}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,params,amp", CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_far_range_absolute_accuracy(name, params, amp, dtype):
    _check_orders(name, params, amp, dtype, _far_grid(acc.DTYPES[dtype], params), "far", 16)


def _check_params(name, params, amp, dtype, xs, key, ulps_of_amp):
    """Each parameter derivative at ``xs``: finite and within 4 ULP of the result plus
    ``ulps_of_amp`` ULP of that derivative's amplitude at x, against the mpmath reference."""
    dt = acc.DTYPES[dtype]
    ref = REFS[name]
    f = ja.get(name)
    eps = float(acc.finfo(dt).eps)
    for pname, refn in ref.dparams.items():
        def g(v, p, pname=pname):
            return f(v, **{**params, pname: p})
        d = jax.jit(jax.vmap(jax.grad(g, argnums=1), in_axes=(0, None)))
        got = np.asarray(d(xs, jnp.asarray(params[pname], dt))).astype(np.float64)
        hi, lo = acc.reference(refn, xs, params, f"{name}-{key}-d{pname}")
        bad = ~np.isfinite(got)
        assert not bad.any(), f"{name} d/d{pname}: non-finite at {xs[bad]}"
        amp_x = np.array([amp[1](float(v), **params)[pname] for v in xs])
        tol = 4 * acc.spacing(hi, dt) + ulps_of_amp * eps * amp_x
        bad = np.abs((got - hi) - lo) > tol
        assert not bad.any(), (
            f"{name}{params} d/d{pname} {dtype}: {int(bad.sum())} of {len(xs)} above tolerance; "
            f"e.g. x={xs[bad][:3]}, got {got[bad][:3]}, ref {hi[bad][:3]}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,params,amp", CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_far_range_parameter_derivatives(name, params, amp, dtype):
    """d/d(parameter) in the far range: finite (the a-derivative's exact products are scaled,
    they overflowed their splitting from |x| ~ 1e35 in float32) and within the same absolute
    tolerance, relative to that derivative's amplitude at x."""
    xs = _far_grid(acc.DTYPES[dtype], params)
    _check_params(name, params, amp, dtype, xs, "far", 16)


OVERFLOW_CASES = [
    ("sine", {"omega": 30.0}, _SINE),
    ("snake", {"a": 2.0}, _SNAKE),
    ("snake_beta", {"alpha": 4.0, "beta": 2.0}, _SNAKE_BETA),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,params,amp", OVERFLOW_CASES,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_overflowing_product_stays_finite_and_close(name, params, amp, dtype):
    """Where the product a x itself overflows (|x| > max / |a|; SIREN's omega = 30 from
    |x| = 1.1e37 in float32), the value and its first two x-derivatives are finite (they were
    NaN) and within 2^(k + 3) ULP of the amplitude, k the doublings of sin(a x / 2^k) used
    there."""
    fi = acc.finfo(acc.DTYPES[dtype])
    a = max(abs(v) for v in params.values())
    mags = np.exp(np.linspace(np.log(float(fi.max) / a * 1.001), np.log(float(fi.max)), 24))
    xs = np.concatenate([mags, -mags]).astype(acc.DTYPES[dtype])
    _check_orders(name, params, amp, dtype, xs, "ovf", 2.0 ** (periodic._DOUBLINGS + 3))
    # Parameter derivatives too: snake's a-derivative was NaN for |x| > max / 2 (its 2 x
    # overflowed) where the true value, x sin(2 a x) / a - sin(a x)**2 / a**2, is finite.
    _check_params(name, params, amp, dtype, xs, "ovf", 2.0 ** (periodic._DOUBLINGS + 3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("a", [float(np.float32(v)) for v in (0.183, 0.2800863981246948)])
def test_snake_da_where_it_cancels(a, dtype):
    """d/da of snake, (s/a) (2 x cos(a x) - s/a), cancels where tan(a x) = 2 a x: with the
    sine's and cosine's leading corrections rounded (a pair good to about 2^-28 relative in
    float32) a dense sweep of [-12, 12] had 14 (float32) and 10 (float64) points above 8 ULP,
    up to 287 / 156 ULP (a = 0.183).  The parameter is float32-representable, so that the
    reference and the array hold the same number.  Measured without the cancellation scale
    (``scale_dparams``), under which those errors would have passed."""
    xs = np.linspace(-12.0, 12.0, 4801).astype(acc.DTYPES[dtype])
    m = measure_param("snake", {}, {"a": a}, dtype, "a", xs, cancel_scale=False)
    assert not m.bad.any(), m.worst(3)


@pytest.mark.parametrize("name,params", [("sine", {"omega": 30.0}), ("snake", {"a": 0.7}),
                                         ("snake_beta", {"alpha": 0.5, "beta": 2.0})])
def test_far_branch_only_where_needed(name, params):
    """The value runs the far branch (four of XLA's sin and cos, two thirds of the time) only
    when some element needs it (a ``lax.cond``).  Which branch an array takes changes no
    element's bits: an array mixing near and far points equals its two halves evaluated apart
    (one takes each branch), also under ``vmap`` (where a ``custom_vmap`` keeps the cond a
    cond for the whole batch instead of a select that runs both branches)."""
    f = ja.get(name)
    near = np.random.default_rng(0).standard_normal(256).astype(np.float32) * 20
    far = np.array([3e6, -7e9, 1e30, 2.5e7, np.inf, np.nan], np.float32)
    xs = np.concatenate([near, far])
    fj = jax.jit(lambda v: f(v, **params))
    apart = np.concatenate([np.asarray(fj(near)), np.asarray(fj(far))])
    np.testing.assert_array_equal(np.asarray(fj(xs)), apart)
    np.testing.assert_array_equal(np.asarray(jax.vmap(lambda v: f(v, **params))(xs)), apart)
    # vmap over rows, over rows of a parameter of another rank, and both
    rows = xs.reshape(2, -1)
    p0, v0 = next(iter(params.items()))
    pv = np.array([v0, 1.5 * v0], np.float32)
    # (per row with a scalar parameter: snake was an ULP off there, see _snake_beta_value)
    want = np.stack([np.asarray(f(r, **{**params, p0: float(p)}))
                     for r, p in zip(rows, pv, strict=True)])
    got = jax.vmap(lambda r, p: f(r, **{**params, p0: p}))(rows, pv)
    np.testing.assert_array_equal(np.asarray(got), want)
    got = jax.vmap(lambda p: f(rows, **{**params, p0: p}))(pv[:, None])
    np.testing.assert_array_equal(np.asarray(got), np.stack(
        [np.asarray(f(rows, **{**params, p0: float(p)})) for p in pv]))
    # a cond in the compiled program, also for vmap's (not a select of both branches); on the
    # CPU only (elsewhere the select stays, see periodic._far_free)
    for g in (fj, jax.vmap(fj)) if jax.default_backend() == "cpu" else ():
        hlo = jax.jit(g).lower(rows).compile().as_text()
        assert "conditional(" in hlo, name
