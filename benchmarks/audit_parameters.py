"""Accuracy audit with random parameter values (not the tests' parameter sets).

For every elementwise registry entry with broadcast parameters, draws parameter values
(magnitudes log-uniform in [0.03, 30], both signs where the declared domain allows, or uniform
between finite bounds), rounds them to float32 (so that every dtype represents them), and runs
the checks of ``tests/test_elementwise.py`` on its grid (the same measurement,
``tests/_measure.py``): value, f', f'' (float32 and float64,
with the tests' tolerances and scale rules) and each parameter derivative.  Prints one line
per failing check.  Needs the test extra (mpmath) and runs from the repository root::

    python benchmarks/audit_parameters.py --seed 0 [--draws 3] [--only softplus,celu]

References are cached under ``JAXACTS_REF_CACHE`` (default: a temporary directory).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("JAXACTS_REF_CACHE", str(Path(tempfile.gettempdir()) / "jaxacts-audit"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jaxacts as ja  # noqa: E402
from tests import _accuracy as acc  # noqa: E402
from tests._measure import measure, measure_param  # noqa: E402
from tests.conftest import elementwise_cases, kink_points  # noqa: E402
from tests.reference import REFS  # noqa: E402


def _draw(rng: random.Random, p) -> float:
    lo, hi = p.lower, p.upper
    for _ in range(100):
        v = math.exp(rng.uniform(math.log(0.03), math.log(30))) * rng.choice([1, -1])
        if lo is not None and hi is not None and rng.random() < 0.3:
            v = rng.uniform(lo, hi)
        v = float(np.float32(v))
        if lo is not None and (v < lo or (p.lower_open and v == lo)):
            continue
        if hi is not None and (v > hi or (p.upper_open and v == hi)):
            continue
        return v
    return p.default


def _report(label: str, m) -> int:
    if m is None or not m.bad.any():
        return 0
    print(f"FAIL {label}: {int(m.bad.sum())}/{len(m.xs)} above {m.tol} ULP; worst: "
          f"{m.worst(1)}", flush=True)
    return 1


def audit(name: str, static: dict, rng: random.Random, draws: int) -> int:
    decl, ref, f = ja.declaration(name), REFS[name], ja.get(name)
    ps = [p for p in decl.params if p.broadcast and p.default is not None]
    fails = 0
    for _ in range(draws):
        params = {p.name: p.default for p in decl.params}
        params.update({p.name: _draw(rng, p) for p in ps})
        try:  # combinations the declaration rejects (e.g. rrelu's lower > upper)
            f(jnp.float32(0.5), **params, **static)
        except ValueError:
            continue
        for dtype in ("float32", "float64"):
            for order in range(3):
                m = measure(name, static, params, dtype, order)
                fails += _report(f"{name}{static or ''} {params} {dtype} order {order}", m)
            xs = acc.grid(acc.DTYPES[dtype], kinks=kink_points(name, params, static),
                          domain=ref.domain)
            for i, p in enumerate(decl.params):
                tangents = decl.param_tangents or ()
                if (i >= len(tangents) or not tangents[i] or not p.broadcast
                        or p.name not in ref.dparams):
                    continue
                m = measure_param(name, static, params, dtype, p.name, xs)
                fails += _report(f"d/d{p.name} {name}{static or ''} {params} {dtype}", m)
    return fails


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--draws", type=int, default=3, help="parameter draws per entry")
    ap.add_argument("--only", help="comma-separated entry names (default: every entry)")
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None
    rng = random.Random(a.seed)
    fails = 0
    for case in elementwise_cases():
        name, static = case.values
        if only and name not in only:
            continue
        if name in REFS and any(p.broadcast and p.default is not None
                                for p in ja.declaration(name).params):
            fails += audit(name, static, rng, a.draws)
    print(f"{fails} failing checks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
