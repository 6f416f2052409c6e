"""Compile time (lower + XLA compile) of forward+backward per activation, jaxacts vs jax.nn.

For every registry entry, ``jax.jit(lambda x, g: jax.vjp(f, x)[1](g)[0])`` is lowered and
compiled from cold caches (``jax.clear_caches()`` before each measurement, so the tracing of
the inner jit-compiled functions counts too), alternating jaxacts and jax.nn within each
round; the median over rounds is reported.  Issue 6 target: jaxacts no more than 1.1x jax.nn.

``--step`` measures instead the program a user waits for: the adamw training step of
``memory.py``'s linen MLP (8 layers of 1024, batch 512) with the activation in every layer,
for the entries jax.nn has.  There jaxacts' own jit-compiled core is traced once and called
by each layer, so its per-call tracing cost is paid once per step rather than per layer.

Run from the repository root: ``python benchmarks/compile_time.py [--quick] [--only elu]
[--step]``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import _common as C  # noqa: N812
import jax

TARGET = 1.1


def lower_compile_s(lower: Callable[[], Any]) -> tuple[float, float]:
    """Seconds to lower (``lower()``, returning a ``jax.stages.Lowered``) and to compile, from
    cold caches."""
    jax.clear_caches()
    t0 = time.perf_counter()
    lowered = lower()
    t1 = time.perf_counter()
    lowered.compile()
    return t1 - t0, time.perf_counter() - t1


def forward_backward(f: Callable[[jax.Array], Any], x: jax.Array) -> Callable[[], Any]:
    """The lowering of ``f``'s forward+backward at ``x`` (cotangent shapes found beforehand)."""
    g = jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype), jax.eval_shape(f, x))

    def fb(v, ct):
        return jax.vjp(f, v)[1](ct)[0]

    return lambda: jax.jit(fb).lower(x, g)


def measure(lowers: dict[str, Callable[[], Any]], rounds: int
            ) -> dict[str, tuple[float, float]]:
    """Median (lower, compile) seconds per program, alternating within each round."""
    keys = list(lowers)
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in keys}
    for r in range(rounds):
        s = r % len(keys)
        for k in keys[s:] + keys[:s]:
            samples[k].append(lower_compile_s(lowers[k]))
    return {k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v))
            for k, v in samples.items()}


def parser():
    p = C.base_parser(__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5, help="rounds (median taken)")
    p.add_argument("--size", type=int, default=256 * 1024,
                   help="elements (axis entries: rows of --width)")
    p.add_argument("--width", type=int, default=1024, help="row width for axis entries")
    p.add_argument("--step", action="store_true",
                   help="time memory.py's linen MLP training step instead (entries with a "
                        "jax.nn counterpart)")
    return p


def run(args) -> list[dict[str, Any]]:
    if args.quick:
        args.rounds, args.size = 1, 4096

    def one(case: C.Case) -> dict[str, Any]:
        fns = {"jaxacts": case.jaxacts()}
        fn = case.jax_nn()
        if fn is not None:
            fns["jax.nn"] = fn
        if args.step:
            if fn is None:
                return {"skip": "jax.nn has no counterpart"}
            import memory
            sizes = memory.Sizes.quick() if args.quick else memory.Sizes()
            lowers = {k: (lambda f=f: memory.lower_step("mlp", "linen", f, sizes))
                      for k, f in fns.items()}
            not_applicable: Any = memory.NotApplicable
        else:
            not_applicable = ()
            x = C.random_input(C.shape_for(case, args.size, args.width), "float32")
            lowers = {k: forward_backward(f, x) for k, f in fns.items()}
        rec: dict[str, Any] = {}
        try:
            got = measure(lowers, args.rounds)
        except not_applicable:
            return {"skip": "a reduction (logsumexp, logmeanexp): not an MLP layer"}
        for k, (lo, co) in got.items():
            rec[f"{k}_lower_s"], rec[f"{k}_compile_s"] = lo, co
            rec[f"{k}_total_s"] = lo + co
        if fn is not None:
            rec["ratio"] = rec["jaxacts_total_s"] / rec["jax.nn_total_s"]
        return rec

    return C.per_case(one, args.only)


def table(records: list[dict[str, Any]]) -> str:
    keys = ("jaxacts_lower_s", "jaxacts_compile_s", "jax.nn_lower_s", "jax.nn_compile_s")

    def row(r: dict[str, Any]) -> list[Any]:
        ms = [C.fmt(r[k] * 1e3 if r.get(k) is not None else None, ".0f") for k in keys]
        return [r["name"], *ms, C.fmt(r.get("ratio"))]

    rows = C.table_rows(records, 6, row)
    return C.markdown_table(["activation", "jaxacts lower ms", "jaxacts compile ms",
                             "jax.nn lower ms", "jax.nn compile ms", "ratio (total)"], rows)


def targets(records: list[dict[str, Any]], program: str = "fwd+bwd"
            ) -> list[tuple[str, str, str]]:
    rs = [r for r in records if r.get("ratio") is not None]
    bad = sorted((r for r in rs if r["ratio"] > TARGET), key=lambda r: -r["ratio"])
    detail = f"{len(rs) - len(bad)}/{len(rs)} met"
    if rs:
        detail += f"; median ratio {statistics.median(r['ratio'] for r in rs):.2f}"
    if bad:
        detail += "; above: " + "; ".join(f"{r['name']} {r['ratio']:.2f}" for r in bad[:12])
    return [(f"compile time <= {TARGET}x jax.nn (lower + compile, {program})",
             "not measured" if not rs else ("met" if not bad else "not met"), detail)]


def main(argv: list[str] | None = None) -> int:
    got = C.start(parser(), argv, run)
    if got is None:
        return 0
    args, records, secs = got
    program = "MLP training step" if args.step else "fwd+bwd"
    if args.step:
        records = [r for r in records if "skip" not in r]
        what = "the linen MLP's adamw training step (benchmarks/memory.py)"
    else:
        what = "forward+backward"
    print(f"Cold lower + compile of {what}, float32, median of {args.rounds} "
          f"rounds; run time {secs:.0f} s"
          + ("; --quick: one round" if args.quick else ""))
    C.report(records, table(records), "Issue 6 compile-time target",
             targets(records, program), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
