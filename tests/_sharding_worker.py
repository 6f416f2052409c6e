"""Run by tests/test_sharding.py in a subprocess with 8 host devices (XLA_FLAGS must be set
before jax starts, hence the separate process).

Applies every registry entry (``ja.names()``, default parameters) to an array sharded over a
2 x 4 device mesh and checks that the value and the gradient equal the unsharded ones; the
axis-wise entries normalize over the sharded last axis.  Prints one line per failure and exits
non-zero if there was any.
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxacts as ja


def call_with_defaults(name: str):
    """``x -> entry(x)`` with its defaults (a key for a random entry, ``axis=-1`` for an
    axis-wise one)."""
    decl = ja.declaration(name)
    f = ja.get(name)
    kw = {}
    if decl.random:
        # every aux argument of a random activation other than a mask is its key
        kw.update({a: jax.random.key(0) for a in decl.aux if a != "where"})
    if decl.kind == "axis":
        kw["axis"] = -1
    return lambda x: f(x, **kw)


def _first(y):
    return y[0] if isinstance(y, tuple) else y


def main(argv: list[str] | None = None) -> int:
    # ``i n``: every n-th entry from the i-th (the test runs the shards as separate pytest
    # items, which pytest-xdist spreads over its workers).
    argv = sys.argv[1:] if argv is None else argv
    i, n = (int(argv[0]), int(argv[1])) if argv else (0, 1)
    names = ja.names()[i::n]
    devices = np.array(jax.devices()[:8]).reshape(2, 4)
    assert devices.size == 8, f"expected 8 devices, got {jax.device_count()}"
    mesh = Mesh(devices, ("rows", "cols"))
    sharding = NamedSharding(mesh, P("rows", "cols"))
    x = np.random.default_rng(0).uniform(-3, 3, (8, 32)).astype(np.float32)
    xs = jax.device_put(x, sharding)
    assert len(xs.sharding.device_set) == 8
    failures = []
    for name in names:
        decl = ja.declaration(name)
        g = call_with_defaults(name)
        try:
            # Random weights: the gradient of a plain sum of log_softmax is 1 - n p, which
            # cancels and magnifies the (legitimate) change of reduction order across shards.
            def loss(v, g=g):
                y = _first(g(v))
                w = jnp.asarray(np.random.default_rng(1).uniform(0.5, 1.5, y.shape), y.dtype)
                return jnp.sum(jnp.where(jnp.isfinite(y), w * y, 0))

            f = jax.jit(lambda v, g=g: _first(g(v)))
            df = jax.jit(jax.grad(loss))
            want, dwant = f(jnp.asarray(x)), df(jnp.asarray(x))
            got, dgot = f(xs), df(xs)
            assert dgot.sharding.is_equivalent_to(sharding, x.ndim), "gradient not sharded"
            for a, b, what in ((got, want, "value"), (dgot, dwant, "gradient")):
                b = np.asarray(b)
                # A reduction over a sharded axis is summed in another order: allow 16 ULP of
                # the row's largest entry there; elementwise entries must agree to rounding.
                big = np.max(np.abs(b[np.isfinite(b)]), initial=1.0)
                atol = 16 * np.finfo(np.float32).eps * big if decl.kind == "axis" else 1e-7
                np.testing.assert_allclose(np.asarray(a), b, rtol=1e-6, atol=atol,
                                           equal_nan=True, err_msg=f"{name} {what}")
        except Exception as e:  # report every entry, not only the first failure
            failures.append(f"{name}: {type(e).__name__}: {str(e).strip()[:300]}")
    print(f"checked {len(names)} activations on {jax.device_count()} devices")
    for line in failures:
        print("FAIL", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
