"""Points found by ``benchmarks/audit_parameters.py`` (random parameters) where a result is a
normal number but a factor of it is not: the factor flushed to 0 (or lost its low-part
correction) before the parameters scaled it back.  The test grids of test_elementwise.py do
not happen to hit them with the declared parameter sets, so each is checked here on its own
points, against the same mpmath references and tolerances."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import jaxacts as ja
from tests import _accuracy as acc
from tests._measure import measure, measure_param

# ACON-C: v = beta (p1 - p2) x = -88.2 at x = -4.2, where sigma(v) = 5e-39 flushes while
# beta (p1 - p2)^2 sigma'(v) (2 - v tanh(v/2)) = -6e-35 (f''), x q(-v) (d/dp1) and
# (p1 - p2)^2 x^2 sigma'(v) (d/dbeta) do not; the value at x = -4.9 with p2 = 0 (-1.5e-37) came
# out 0 in eager mode (not under jit: checked both ways).
_ACON = {"p1": 6.0, "p2": -1.0, "beta": 3.0}
_ACON0 = {"p1": 6.0, "p2": 0.0, "beta": 3.0}
# float64: e^-681, corrected by the low part of v (1.6e-14, 71 ULP), the correction itself
# below the smallest normal number (audit seed 6).
_ACON64 = {"p1": 0.19734017550945282, "p2": -4.640830993652344, "beta": 16.174816131591797}
_X32 = [-4.3125, -4.25, -4.2, -4.1875, 4.1875, 4.2, 4.25, 4.3125]
_X64 = [-9.1, -8.75, -8.7, 8.7, 8.75, 9.1]

CASES = [
    # (name, static, params, dtype, order or parameter name, xs)
    *[("acon_c", {}, _ACON, dt, what, _X32)
      for dt in ("float32", "bfloat16") for what in (2, "p1", "p2", "beta")],
    ("acon_c", {}, _ACON0, "float32", 0, [-4.95, -4.9, -4.85]),
    *[("acon_c", {}, _ACON64, "float64", what, _X64) for what in (2, "p1", "p2", "beta")],
    # dyt f'' = -2 gamma alpha^2 tanh(alpha x) sech^2(alpha x) at x = +-tiny, 2 tiny: alpha x is
    # itself below the smallest normal number for |alpha| < 1 (22 units of it off).
    *[("dyt", {}, {"alpha": 0.96, "gamma": -12.3, "beta": 0.0}, dt, 2,
       [t * float(acc.finfo(acc.DTYPES[dt]).tiny) for t in (-2.0, -1.0, 1.0, 2.0)])
      for dt in ("float32", "bfloat16", "float64")],
    # softplus d/dbeta = (z sigma(z) - softplus(z)) / beta^2, z = beta x = -87.9: both terms
    # flush, the result (-2.4e-36) does not.
    *[("softplus", static, {"beta": 0.5}, "float32", "beta", [-175.78, -180.0, 175.78])
      for static in ({}, {"threshold": 20.0})],
]


@pytest.mark.parametrize("name,static,params,dtype,what,xs", CASES)
def test_flush_band(name, static, params, dtype, what, xs):
    xs = np.asarray(xs, dtype=np.float64).astype(acc.DTYPES[dtype])
    if isinstance(what, int):
        m = measure(name, static, params, dtype, what, xs=xs)
        if what == 0:  # eager, op by op, as well as measure's jit
            eager = np.asarray(ja.get(name)(jnp.asarray(xs), **params, **static))
            np.testing.assert_array_equal(eager, m.got)
    else:
        m = measure_param(name, static, params, dtype, what, xs)
    assert not m.bad.any(), f"{name} {params} {what}: {m.worst(3)}"
