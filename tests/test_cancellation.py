"""Parameter sets, found by random sweeps (``benchmarks/audit_parameters.py`` and denser ones),
where the terms of a result cancel by a few times away from its zeros: each rounding is
amplified, so a formula rounded term by term misses the target though no single step is
wrong.  Checked on a dense sweep against the mpmath references and the usual tolerances."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import jaxacts as ja
from tests import _accuracy as acc
from tests._measure import measure, measure_param

# ACON-C's slope d sigmoid(v) + p2 (d = p1 - p2, v = beta d x) at x = -3.7 .. -4.4: 1.64 - 0.86,
# a 1.8x cancellation; rounded term by term it cost 5 ULP (float32; 8 points above 4).
_ACON = {"p1": 7.2, "p2": -0.86, "beta": 0.039}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_acon_c_value_where_the_slope_cancels(dtype):
    dt = acc.DTYPES[dtype]
    params = {k: float(dt.type(v)) for k, v in _ACON.items()}  # representable: the reference's
    xs = np.linspace(-12, 12, 2401).astype(dt)
    m = measure("acon_c", {}, params, dtype, 0, xs=xs, tag=f"cancel-acon-{dtype}")
    assert not m.bad.any(), m.worst(3)
    eager = np.asarray(ja.acon_c(jnp.asarray(xs), **params))  # op by op, as well as jit
    np.testing.assert_array_equal(eager, m.got)


# Parameter derivatives next to their zeros, measured with the reference's cancellation scale
# (scale_dparams): xielu's d/dalpha_n = expm1(eps) - x vanishes at x = expm1(eps) for eps < x
# <= 0 (240 ULP of the result in float32 next to it with e^eps rounded once, 0.6 of e^eps);
# snake's d/da where tan(a x) = 2 a x (a = 0.7: 14.6 ULP of the result, 1.6 of its terms).
_PARAM_CASES = [
    ("xielu", {"alpha_p": 0.8, "alpha_n": 0.8, "beta": 0.5, "eps": -2.0}, "alpha_n", -1.2, -0.5),
    ("xielu", {"alpha_p": 0.8, "alpha_n": 0.8, "beta": 0.5, "eps": -5.5}, "alpha_n", -1.2, -0.9),
    ("snake", {"a": 0.7}, "a", -12.0, 12.0),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,params,pname,lo,hi", _PARAM_CASES)
def test_parameter_derivative_next_to_its_zero(name, params, pname, lo, hi, dtype):
    dt = acc.DTYPES[dtype]
    params = {k: float(dt.type(v)) for k, v in params.items()}  # representable: the reference's
    xs = np.linspace(lo, hi, 4801).astype(dt)
    m = measure_param(name, {}, params, dtype, pname, xs)
    assert not m.bad.any(), m.worst(3)
