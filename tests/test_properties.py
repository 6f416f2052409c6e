"""Property tests (hypothesis, derandomized): the declared metadata holds for every elementwise
entry, symmetry identities hold, gradients stay finite, and jax.checkpoint changes nothing."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxacts as ja
from tests.reference import REFS

N = 64
NAMES = [n for n in ja.names(kind="elementwise") if not ja.declaration(n).random]
FLOATS = st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=64), min_size=N, max_size=N)
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


def _inputs(name: str, xs: list[float]) -> jnp.ndarray:
    ref = REFS.get(name)
    x = np.asarray(xs, np.float64)
    if ref is not None and ref.domain is not None:
        x = np.clip(x, *ref.domain)
    return jnp.asarray(np.sort(x))


def _ulps(v: np.ndarray) -> np.ndarray:
    # 8 ULP, floored at the smallest normal number (XLA flushes subnormals to zero)
    return np.maximum(8 * np.spacing(np.abs(v)), np.finfo(np.float64).tiny)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(xs=FLOATS)
def test_monotonic_and_range_as_declared(name, xs):
    d = ja.declaration(name)
    x = _inputs(name, xs)
    y = np.asarray(jax.jit(ja.get(name))(x))
    finite = np.isfinite(y)
    lo, hi = d.output_range
    assert np.all(y[finite] >= lo - _ulps(lo if math.isfinite(lo) else 0.0)), (
        f"{name}: output below its declared range {d.output_range}")
    assert np.all(y[finite] <= hi + _ulps(hi if math.isfinite(hi) else 0.0)), (
        f"{name}: output above its declared range {d.output_range}")
    if d.monotonic:
        a, b = y[:-1], y[1:]
        ok = ~(np.isfinite(a) & np.isfinite(b)) | (b >= a - _ulps(a))
        assert np.all(ok), f"{name}: declared monotonic but decreases at {np.asarray(x)[:-1][~ok]}"


@functools.cache
def _elementwise_grad(name: str):
    # One jitted function per activation, compiled once for all examples (a new
    # jax.vmap(jax.grad(f)) object per example would be traced and compiled 25 times).
    return jax.jit(jax.vmap(jax.grad(ja.get(name))))


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(xs=FLOATS)
def test_gradient_finite_where_the_value_is(name, xs):
    x = _inputs(name, xs)
    y = np.asarray(jax.jit(ja.get(name))(x))
    g = np.asarray(_elementwise_grad(name)(x))
    bad = np.isfinite(y) & ~np.isfinite(g)
    assert not bad.any(), f"{name}: non-finite gradient at finite inputs {np.asarray(x)[bad]}"


@SETTINGS
@given(xs=FLOATS)
def test_symmetry_identities(xs):
    x = jnp.asarray(np.asarray(xs, np.float64))
    np.testing.assert_allclose(ja.sigmoid(-x), 1 - ja.sigmoid(x), rtol=0, atol=4e-16)
    np.testing.assert_array_equal(ja.tanh(-x), -ja.tanh(x))
    np.testing.assert_array_equal(ja.soft_sign(-x), -ja.soft_sign(x))
    # softplus(x) - softplus(-x) = x
    np.testing.assert_allclose(ja.softplus(x) - ja.softplus(-x), x, rtol=1e-15, atol=1e-15)
    # log_sigmoid(x) = -softplus(-x)
    np.testing.assert_allclose(ja.log_sigmoid(x), -ja.softplus(-x), rtol=4e-16, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_changes_nothing(name):
    f = ja.get(name)
    x = jnp.linspace(-3.0, 3.0, 33, dtype=jnp.float32) + 0.01
    g = jax.grad(lambda v: f(v).sum())(x)
    gc = jax.grad(lambda v: jax.checkpoint(f)(v).sum())(x)
    np.testing.assert_array_equal(gc, g)
