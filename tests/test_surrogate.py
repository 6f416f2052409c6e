"""Checks specific to the surrogate-gradient steps and the random rrelu, which the registry-wide
tests cannot express: the unit area of each surrogate bump, the random slopes of rrelu, and the
errors for invalid concrete parameters of this family."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxacts as ja
from tests.reference.surrogate import SURROGATES


@pytest.mark.parametrize("surrogate", [s for s in SURROGATES if s != "none"])
@pytest.mark.parametrize("name,jump", [("heaviside", 1.0), ("sign", 2.0)])
@pytest.mark.parametrize("k", [0.5, 4.0])
def test_surrogate_integrates_to_the_jump(name, jump, surrogate, k):
    """The surrogate derivative integrates to the jump, like the Dirac delta it stands for."""
    f = ja.get(name)
    # arctan's tails decay like 1/x^2: integrate far and add the tail in closed form.
    half = 2000.0 / k
    x = np.linspace(-half, half, 2_000_001)
    d = np.asarray(jax.vmap(jax.grad(lambda v: f(v, k, surrogate=surrogate)))(
        jnp.asarray(x, jnp.float64)))
    area = np.trapezoid(d, x)
    if surrogate == "arctan":
        area += jump * 2 * (2 / np.pi**2) / (k * half)  # 2 * int_half^inf k/(2 (pi k x/2)^2)
    elif surrogate == "fast_sigmoid":
        area += jump / (1 + k * half)  # 2 * int_half^inf k / (2 (1 + k x)^2)
    np.testing.assert_allclose(area, jump, rtol=2e-3)  # trapezoid at the box edges


@pytest.mark.parametrize("name", ["heaviside", "sign"])
def test_true_derivative_is_zero_by_default(name):
    x = jnp.linspace(-3, 3, 13)
    np.testing.assert_array_equal(jax.vmap(jax.grad(ja.get(name)))(x), 0.0)


def test_surrogate_errors():
    with pytest.raises(ValueError, match="surrogate.*'arctan'"):
        ja.heaviside(1.0, surrogate="tanh")
    with pytest.raises(ValueError, match=r"sharpness must be in \(0.0, inf\), got -1"):
        ja.sign(1.0, -1.0, surrogate="sigmoid")


def test_rrelu_random_slopes():
    x = -jnp.linspace(0.5, 2.0, 4096)
    key = jax.random.key(0)
    lo, hi = 0.1, 0.4
    y = ja.rrelu(x, lo, hi, key=key)
    slopes = np.asarray(y / x)
    assert np.all((slopes >= lo) & (slopes <= hi))
    assert abs(slopes.mean() - (lo + hi) / 2) < 0.01  # U[lo, hi] has mean (lo + hi) / 2
    assert slopes.std() > 0.05  # one slope per element, not one for all
    np.testing.assert_array_equal(ja.rrelu(x, lo, hi, key=key), y)  # same key, same slopes
    assert not np.array_equal(ja.rrelu(x, lo, hi, key=jax.random.key(1)), y)
    # The derivative uses the slopes of the forward pass.
    g = jax.vmap(jax.grad(lambda v, k: ja.rrelu(v, lo, hi, key=k)))
    keys = jax.random.split(key, 8)
    xs = -jnp.linspace(0.5, 2.0, 8)
    ys = jax.vmap(lambda v, k: ja.rrelu(v, lo, hi, key=k))(xs, keys)
    np.testing.assert_allclose(g(xs, keys), ys / xs, rtol=1e-6)
    # a = lo + (hi - lo) U: d/dlo + d/dhi = x below 0, and each part has the sign of x.
    dl, dh = jax.grad(lambda a, b: ja.rrelu(x, a, b, key=key).sum(), argnums=(0, 1))(lo, hi)
    np.testing.assert_allclose(dl + dh, x.sum(), rtol=1e-5)
    assert dl < 0 and dh < 0
    # Positive inputs pass through unchanged whatever the key.
    np.testing.assert_array_equal(ja.rrelu(-x, lo, hi, key=key), -x)


def test_rrelu_without_key_is_the_mean_slope():
    x = jnp.linspace(-3, 3, 25)
    np.testing.assert_array_equal(ja.rrelu(x, 0.1, 0.3), jnp.where(x >= 0, x, 0.2 * x))


@pytest.mark.parametrize("call,match", [
    (lambda: ja.hard_tanh(0.0, min_val=1.0, max_val=-1.0), "min_val must be < max_val"),
    (lambda: ja.rrelu(0.0, lower=0.5, upper=0.1), "lower must be <= upper"),
    (lambda: ja.rrelu(0.0, lower=-0.5, upper=0.1), r"lower must be in \[0.0, inf\)"),
    (lambda: ja.celu(0.0, alpha=0.0), r"alpha must be in \(0.0, inf\), got 0.0"),
    (lambda: ja.celu(0.0, alpha=jnp.array([1.0, -2.0])), r"alpha must be in \(0.0, inf\)"),
    (lambda: ja.soft_shrink(0.0, lambd=-0.1), r"lambd must be in \[0.0, inf\), got -0.1"),
    (lambda: ja.hard_shrink(0.0, lambd=-1.0), r"lambd must be in \[0.0, inf\)"),
])
def test_invalid_parameters_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_invalid_parameters_are_not_checked_under_jit():
    # Traced parameters cannot be checked eagerly; they must still compute.
    f = jax.jit(lambda a: ja.hard_tanh(jnp.array([0.5, 3.0]), min_val=-a, max_val=a))
    np.testing.assert_array_equal(f(2.0), [0.5, 2.0])
