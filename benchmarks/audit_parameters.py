"""Accuracy audit with random parameter values (not the tests' parameter sets).

For every elementwise registry entry with broadcast parameters, draws parameter values
(magnitudes log-uniform in [0.03, 30], both signs where the declared domain allows, or uniform
between finite bounds), rounds them to float32 (so that every dtype represents them), and runs
the checks of ``tests/test_elementwise.py`` on its grid: value, f', f'' (float32 and float64,
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
from tests.conftest import away_from, elementwise_cases, kink_points  # noqa: E402
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


def _report(label: str, x, got, hi, err, tol) -> int:
    bad = ~(err <= tol)
    if bad.any():
        i = int(np.argmax(np.where(np.isfinite(err), err, 1e300)))
        print(f"FAIL {label}: {int(bad.sum())}/{len(x)} above {tol} ULP, max {err[i]:.3g} at "
              f"x={x[i].astype(np.float64)!r}: got {got[i].astype(np.float64)!r}, "
              f"ref {hi[i]!r}", flush=True)
    return int(bad.any())


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
        args = {**params, **static}
        for dtype in ("float32", "float64"):
            dt = acc.DTYPES[dtype]
            kinks = kink_points(name, params, static)
            xs = acc.grid(dt, kinks=kinks, domain=ref.domain)
            away = xs[away_from(xs, kinks, rel=0)]
            tag = f"audit-{name}-{sorted(args.items())}-{dtype}"
            for order in range(3):
                refn = (ref.f, ref.df, ref.d2f)[order]
                if refn is None:
                    continue
                x = away if order else xs
                hi, lo = acc.reference(refn, x, args, f"{tag}-{order}")
                sf = (ref.scale_f, ref.scale_df, ref.scale_d2f)[order]
                sc = acc.reference(sf, x, args, f"{tag}-s{order}")[0] if sf else None
                g = lambda v, _a=args: f(v, **_a)  # noqa: E731
                for _ in range(order):
                    g = jax.grad(g)
                got = np.asarray(jax.jit(jax.vmap(g))(jnp.asarray(x)))
                err = acc.ulp_error(got, hi, lo, dt, sc)
                fails += _report(f"{name}{static or ''} {params} {dtype} order {order}", x,
                                 got, hi, err, acc.TOL[dtype][order])
            for i, p in enumerate(decl.params):
                tangents = decl.param_tangents or ()
                if (i >= len(tangents) or not tangents[i] or not p.broadcast
                        or p.name not in ref.dparams):
                    continue
                others = {k: v for k, v in params.items() if k != p.name}

                def gp(xv, pv, _p=p.name, _o=others):
                    return f(xv, **{_p: pv}, **_o, **static)

                pv = jnp.full(away.shape, params[p.name], dtype=dt)
                got = np.asarray(jax.jit(jax.vmap(jax.grad(gp, argnums=1)))(
                    jnp.asarray(away), pv))
                hi, lo = acc.reference(ref.dparams[p.name], away, args, f"{tag}-d{p.name}")
                err = acc.ulp_error(got, hi, lo, dt)
                fails += _report(f"d/d{p.name} {name}{static or ''} {params} {dtype}", away,
                                 got, hi, err, acc.TOL[dtype][1])
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
