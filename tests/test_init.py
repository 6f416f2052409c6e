"""Initialization gains: known values, independent quadrature, Monte-Carlo, initializers."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, special

import jaxacts as ja
from jaxacts import init


def _quad_moment(f_np) -> float:
    """E[f(z)^2] by scipy's adaptive quadrature on numpy formulas (independent of jaxacts)."""
    def integrand(z):
        return f_np(z) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    lo = integrate.quad(integrand, -np.inf, 0, epsabs=1e-14, epsrel=1e-13)[0]
    hi = integrate.quad(integrand, 0, np.inf, epsabs=1e-14, epsrel=1e-13)[0]
    return lo + hi


def test_relu_gain_is_sqrt2():
    assert init.gain("relu") == pytest.approx(math.sqrt(2), rel=1e-14)
    assert init.torch_gain("relu") == pytest.approx(math.sqrt(2), rel=1e-15)


@pytest.mark.parametrize("a", [0.01, 0.2, -0.5])
def test_leaky_relu_gain_matches_he_formula(a):
    want = math.sqrt(2 / (1 + a * a))
    assert init.gain("leaky_relu", negative_slope=a) == pytest.approx(want, rel=1e-13)
    assert init.torch_gain("leaky_relu", negative_slope=a) == pytest.approx(want, rel=1e-15)


def test_tanh_gain_differs_from_torch_as_documented():
    want = 1 / math.sqrt(_quad_moment(np.tanh))
    g = init.gain("tanh")
    assert g == pytest.approx(want, rel=1e-12)
    assert g == pytest.approx(1.5925374, abs=1e-7)
    assert init.torch_gain("tanh") == pytest.approx(5 / 3)
    assert init.torch_gain("tanh") - g > 0.07
    assert "5/3" in init.TORCH_NOTES["tanh"] and "1.5925" in init.TORCH_NOTES["tanh"]


def test_sigmoid_and_selu_differences_documented():
    assert init.gain("sigmoid") == pytest.approx(1 / math.sqrt(_quad_moment(special.expit)),
                                                 rel=1e-12)
    assert init.torch_gain("sigmoid") == 1.0 and "1.8462" in init.TORCH_NOTES["sigmoid"]
    # SELU's constants make E[selu(z)^2] = 1: gain 1, torch 3/4
    assert init.gain("selu") == pytest.approx(1.0, abs=1e-6)
    assert init.torch_gain("selu") == 0.75


@pytest.mark.parametrize("name,f_np", [
    ("elu", lambda z: z if z > 0 else math.expm1(z)),
    ("softplus", lambda z: math.log1p(math.exp(-abs(z))) + max(z, 0.0)),
    ("silu", lambda z: z * special.expit(z)),
])
def test_gain_matches_independent_quadrature(name, f_np):
    assert init.gain(name) == pytest.approx(1 / math.sqrt(_quad_moment(f_np)), rel=1e-11)


@pytest.mark.parametrize("name", ["relu", "tanh", "elu", "silu", "softplus", "mish", "sigmoid"])
def test_second_moment_matches_monte_carlo(name):
    z = np.random.default_rng(0).standard_normal(400_000)
    with jax.enable_x64(True):
        y2 = np.asarray(ja.get(name)(jnp.asarray(z, jnp.float64))) ** 2
    mc, se = y2.mean(), y2.std() / math.sqrt(len(z))
    assert abs(init.second_moment(name) - mc) < 5 * se, (name, init.second_moment(name), mc, se)


def test_user_function_with_kinks():
    g = init.gain(lambda z: jnp.maximum(z, 0.0), kinks=(0.0,))
    assert g == pytest.approx(math.sqrt(2), rel=1e-14)


@pytest.mark.parametrize("name", [n for n in ja.names(kind="elementwise")
                                  if not ja.declaration(n).random])
def test_every_elementwise_entry_has_a_finite_gain(name):
    # A function defined on part of the line only (log1mexp is NaN for x < 0) has no Gaussian
    # second moment: the gain must refuse it rather than return a number.
    xs = jnp.linspace(-40.0, 40.0, 4001, dtype=jnp.float64)
    if not bool(jnp.all(jnp.isfinite(ja.get(name)(xs)))):
        with pytest.raises(ValueError, match="not finite"):
            init.gain(name)
        return
    g = init.gain(name)
    assert math.isfinite(g) and g > 0


def test_gain_errors():
    with pytest.raises(KeyError, match="Did you mean"):
        init.gain("reluu")
    with pytest.raises(ValueError, match="along an axis"):
        init.gain("softmax")
    with pytest.raises(TypeError, match="negative_slope"):
        init.gain("leaky_relu", slope=0.1)


@pytest.mark.parametrize("name,want_var", [
    ("selu", 1.0), ("relu", 2.0), ("leaky_relu", 2 / (1 + 0.01**2)), ("tanh", 1.5925374**2),
])
def test_initializer_variance(name, want_var):
    fan_in = 400
    w = init.initializer_for(name)(jax.random.key(0), (fan_in, 500), jnp.float32)
    assert float(jnp.var(w)) * fan_in == pytest.approx(want_var, rel=0.02)


@pytest.mark.parametrize("name", ["relu", "tanh", "silu", "selu"])
def test_initializer_keeps_second_moment(name):
    x = jax.random.normal(jax.random.key(1), (4000, 512))
    w = init.initializer_for(name)(jax.random.key(2), (512, 512))
    h = ja.get(name)(x) @ w
    assert float(jnp.mean(h * h)) == pytest.approx(1.0, rel=0.05)


def test_initializer_as_flax_kernel_init():
    from flax import linen, nnx

    layer = nnx.Linear(8, 4, kernel_init=init.initializer_for("selu"), rngs=nnx.Rngs(0))
    assert layer.kernel[...].shape == (8, 4)
    dense = linen.Dense(4, kernel_init=init.initializer_for("elu"))
    params = dense.init(jax.random.key(0), jnp.ones((1, 8)))
    assert params["params"]["kernel"].shape == (8, 4)
