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
from tests._measure import measure

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
