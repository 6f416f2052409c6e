"""Accuracy table: max ULP error of the value, f' and f'' for jaxacts beside jax.nn.

Both libraries are evaluated (``jit(vmap(grad^k(f)))``) on the grid the test-suite uses (a dense
sweep of [-10, 10], log-spaced magnitudes from the smallest normal to the dtype's max of both
signs, and the kinks with their neighbours; derivatives skip the kink points themselves) and
compared with the correctly rounded mpmath references of ``tests/reference`` (cached on disk in
``tests/.refcache``, shared with the tests).  The ULP rule is the tests' (``tests/_accuracy.py``):
``|got - ref|`` in units of the larger of one ULP at the reference, the smallest normal number
and, near a zero of the function or a derivative, one ULP of the terms that cancel there.

``non-finite`` counts results that are NaN or infinite where the true value is finite; they are
left out of the max ULP columns.  Targets (issue 5): 4 / 8 / 16 ULP in float32 and float64.
Axis entries (softmax family) have no elementwise reference here; their accuracy is checked by
their own tests.

Run from the repository root: ``python benchmarks/accuracy.py [--quick] [--only elu,relu]``.
"""

from __future__ import annotations

import sys
from typing import Any

import _common as C  # noqa: N812
import jax
import numpy as np

jax.config.update("jax_enable_x64", True)  # float64 rows; float32 inputs stay float32

from tests import _accuracy as acc  # noqa: E402
from tests.conftest import away_from, kink_points  # noqa: E402
from tests.reference import REFS  # noqa: E402

ORDERS = (0, 1, 2)


def _statics(name: str) -> list[dict]:
    ref = REFS.get(name)
    return list(ref.static_sets) if ref is not None else [{}]


def _derivative(g, order: int):
    for _ in range(order):
        g = jax.grad(g)
    return jax.jit(jax.vmap(g))


def errors(case: C.Case, dtype: str, grid_kw: dict[str, int]) -> dict[str, Any]:
    """Max ULP per order and non-finite counts for jaxacts and jax.nn on one dtype's grid."""
    ref = REFS[case.name]
    dt = acc.DTYPES[dtype]
    params = {p.name: p.default for p in case.decl.params}
    args = {**params, **case.static}
    kinks = kink_points(case.name, params, case.static)
    fi = acc.finfo(dt)
    impls = {"jaxacts": case.jaxacts(), "jax.nn": case.jax_nn()}
    impls = {k: f for k, f in impls.items() if f is not None}
    out: dict[str, Any] = {k: {"ulp": [None] * 3, "nonfinite": 0} for k in impls}
    base = acc.grid(dt, kinks=kinks, domain=ref.domain, **grid_kw)
    for order, refn in zip(ORDERS, (ref.f, ref.df, ref.d2f), strict=True):
        if refn is None:
            continue
        xs = base[away_from(base, kinks, rel=0)] if order else base
        hi, lo = acc.reference(refn, xs, args, f"{case.name}-{order}")
        scale_fn = (ref.scale_f, ref.scale_df, ref.scale_d2f)[order]
        scale = (acc.reference(scale_fn, xs, args, f"{case.name}-scale{order}")[0]
                 if scale_fn else None)
        finite_ref = np.isfinite(hi) & (np.abs(hi) <= float(fi.max))
        for k, f in impls.items():
            try:
                got = np.asarray(_derivative(f, order)(jax.numpy.asarray(xs)))
            except Exception as e:  # noqa: BLE001 - e.g. jax.nn without a second derivative
                out[k]["ulp"][order] = f"error: {type(e).__name__}"
                continue
            spurious = finite_ref & ~np.isfinite(got.astype(np.float64))
            err = acc.ulp_error(got, hi, lo, dt, scale)[~spurious]
            out[k]["ulp"][order] = float(err.max()) if err.size else 0.0
            out[k]["nonfinite"] += int(spurious.sum())
    return out


def _ulp(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if not np.isfinite(v):
        return "inf"
    return f"{v:.3g}" if v < 1e4 else f"{v:.1e}"


def _met(res: dict[str, Any], dtype: str) -> bool:
    tol = acc.TOL[dtype]
    return res["nonfinite"] == 0 and all(
        u is None or (isinstance(u, float) and u <= t) for u, t in zip(res["ulp"], tol,
                                                                     strict=True))


def parser():
    p = C.base_parser(__doc__.split("\n\n")[0])
    p.add_argument("--dtypes", default="float32,float64",
                   help="comma-separated: float32, float64, bfloat16, float16")
    return p


def run(args) -> list[dict[str, Any]]:
    grid_kw = {"dense": 21, "logn": 8} if args.quick else {}
    records = []
    for case in C.cases(C.parse_names(args.only), statics=_statics, with_key=False):
        for dtype in args.dtypes.split(","):
            rec: dict[str, Any] = {"name": case.label, "dtype": dtype}
            if case.name not in REFS:
                rec["note"] = f"{case.kind} entry: no elementwise reference"
            else:
                try:
                    rec.update(errors(case, dtype, grid_kw))
                except Exception as e:  # noqa: BLE001 - one failing entry must not stop the run
                    rec["note"] = f"error: {type(e).__name__}: {e}"[:120]
            records.append(rec)
        print(f"  {case.label}", file=sys.stderr, flush=True)
    return records


def tables(records: list[dict[str, Any]]) -> str:
    out = []
    for dtype in dict.fromkeys(r["dtype"] for r in records):
        tol = " / ".join(map(str, acc.TOL[dtype]))
        rows = []
        for r in (r for r in records if r["dtype"] == dtype):
            if "note" in r:
                rows.append([r["name"], r["note"], "", "", "", ""])
                continue
            ja_, nn = r["jaxacts"], r.get("jax.nn")
            rows.append([r["name"], " / ".join(map(_ulp, ja_["ulp"])), ja_["nonfinite"],
                         "yes" if _met(ja_, dtype) else "**no**",
                         " / ".join(map(_ulp, nn["ulp"])) if nn else "n/a",
                         nn["nonfinite"] if nn else "n/a"])
        out += [f"**{dtype}** (max ULP of f / f' / f''; target {tol})", "",
                C.markdown_table(["activation", "jaxacts", "non-finite", "target met",
                                  "jax.nn", "jax.nn non-finite"], rows), ""]
    return "\n".join(out)


def summary(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    out = []
    for dtype in dict.fromkeys(r["dtype"] for r in records):
        rs = [r for r in records if r["dtype"] == dtype and "jaxacts" in r]
        bad = [r["name"] for r in rs if not _met(r["jaxacts"], dtype)]
        tol = " / ".join(map(str, acc.TOL[dtype]))
        out.append((f"{dtype}: f / f' / f'' within {tol} ULP, no spurious non-finite",
                    "not measured" if not rs else ("met" if not bad else "not met"),
                    f"{len(rs) - len(bad)}/{len(rs)} met"
                    + (f"; not met: {', '.join(bad)}" if bad else "")))
    return out


def main(argv: list[str] | None = None) -> int:
    got = C.start(parser(), argv, run, statics=_statics)
    if got is None:
        return 0
    args, records, secs = got
    print(f"Accuracy against mpmath (tests/reference), run time {secs:.0f} s"
          + ("; --quick: a coarse grid" if args.quick else ""))
    print()
    print(tables(records))
    print("**Issue 5 accuracy targets (jaxacts)**")
    print()
    print(C.markdown_table(["target", "status", "detail"], summary(records)))
    flat = []
    for r in records:
        if "note" in r:
            flat.append({"name": r["name"], "dtype": r["dtype"], "note": r["note"]})
        for impl in ("jaxacts", "jax.nn"):
            if impl in r:
                u = r[impl]["ulp"]
                flat.append({"name": r["name"], "dtype": r["dtype"], "impl": impl,
                             "ulp_f": u[0], "ulp_df": u[1], "ulp_d2f": u[2],
                             "nonfinite": r[impl]["nonfinite"]})
    C.write_records(args.out, flat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
