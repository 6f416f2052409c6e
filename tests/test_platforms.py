"""The code paths other platforms take, run on this one.

Some rules pick their program by platform with ``lax.platform_dependent`` (a conditional that
only pays off on the CPU; a reduction or a recomputation that only pays off on a GPU).  The CPU
suite runs the CPU branch only, so here every entry is traced a second time with the other
branch forced, and its values, VJP and JVP must agree with the CPU branch's: NaN and infinities
at the same places, the rest within 4 ULP of the row's largest magnitude.  (Not the same bits:
where the branches fuse differently, XLA's CPU compiler contracts other products into fused
multiply-adds, and the sums in the derivatives round differently, e.g. log_softmax's value by
an ULP, or softmax's VJP of a constant cotangent, exactly 0, as 0 or as 1e-9.)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import jaxacts as ja
from tests._sharding_worker import call_with_defaults


def _input(dtype) -> jax.Array:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(size=(4, 16)) * s for s in (0.01, 1, 8, 300)])
    x[0, 3] = np.inf
    x[1, :] = -np.inf
    x[2, 5] = np.nan
    x[3, :] = 0.25  # a narrow row (logmeanexp's mean shift)
    x[4, 1:] = -np.inf  # one live entry
    x[5, 7] = 3e38
    x[6, :] = 1e6 + np.arange(16)  # far periodic arguments
    return jnp.asarray(x, dtype)


def _programs(name: str, x: jax.Array, t: jax.Array):
    g = call_with_defaults(name)
    y, pull = jax.vjp(g, x)
    rng = np.random.default_rng(5)
    gy = jax.tree.map(lambda a: jnp.asarray(rng.normal(size=a.shape), a.dtype), y)
    return y, pull(gy)[0], jax.jvp(g, (x,), (t,))[1]


def _close(a, b, what: str):
    """Non-finite entries equal, the others within 4 ULP of their row's largest magnitude."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    fin = np.isfinite(a)
    np.testing.assert_array_equal(np.isfinite(b), fin, err_msg=what)
    np.testing.assert_array_equal(b[~fin], a[~fin], err_msg=what)
    big = np.where(fin, np.abs(a), 0).reshape(a.shape[0], -1).max(axis=1)
    tol = 4 * np.spacing(big.astype(np.float32)).astype(np.float64)
    tol = np.broadcast_to(tol.reshape((-1,) + (1,) * (a.ndim - 1)), a.shape)
    err = np.abs(np.where(fin, a, 0) - np.where(fin, b, 0))
    assert (err <= tol).all(), f"{what}: off by {err[err > tol][:4]}, allowed {tol[err > tol][:4]}"


@pytest.fixture
def other_platform(monkeypatch):
    """``lax.platform_dependent`` taking the branch for platforms without their own."""
    def default_branch(*args, default=None, **branches):
        return default(*args)

    jax.clear_caches()
    monkeypatch.setattr(lax, "platform_dependent", default_branch)
    yield
    jax.clear_caches()


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("name", ja.names())
def test_other_platforms_branch_agrees(name, dtype, request):
    x = _input(dtype)
    t = jnp.asarray(np.random.default_rng(4).normal(size=x.shape), dtype)
    if "platform_index" not in str(jax.make_jaxpr(lambda a, b: _programs(name, a, b))(x, t)):
        pytest.skip(f"{name} has one program for every platform")
    here = jax.jit(lambda a, b: _programs(name, a, b))(x, t)
    request.getfixturevalue("other_platform")
    assert lax.platform_dependent(0, cpu=lambda v: 1, default=lambda v: 2) == 2
    there = jax.jit(lambda a, b: _programs(name, a, b))(x, t)
    for what, a, b in zip(("value", "VJP", "JVP"), here, there, strict=True):
        _close(a, b, f"{name} {dtype}: {what}")
