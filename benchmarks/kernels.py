"""Kernels per program: how many top-level operations (fusions, custom calls, loops) XLA's
optimized program of each entry's forward and forward+backward has, beside jax.nn's.

An elementwise activation should be one kernel: one read of the input, one write of the output.
A second one means an intermediate array written to memory and read back, which costs about as
much as the activation itself on a GPU, where these functions are bound by memory bandwidth.
Two such splits were found this way on an H200 (selu's forward, 0.33 ms against elu's 0.14 at
2^26 elements; xielu's forward, an ``optimization_barrier``), neither visible on the CPU, where
XLA fuses differently.  Run it on the backend you care about: the counts are the compiler's.

Run from the repository root: ``python benchmarks/kernels.py [--quick] [--only elu]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import _common as C  # noqa: N812
import jax
import jax.numpy as jnp

# Lines of the entry computation that are no kernel: arguments, constants, tuples and views.
_NOT_KERNELS = (" parameter(", " constant(", " tuple(", " get-tuple-element(", " bitcast(")


def kernel_count(f: Callable[[jax.Array], Any], x: jax.Array) -> int:
    """Top-level operations of ``jax.jit(f)``'s optimized program at ``x``, on this backend."""
    text = jax.jit(f).lower(x).compile().as_text()
    entry = text[text.index("\nENTRY"):]
    body = entry[:entry.index("\n}")].splitlines()[1:]
    return sum(1 for ln in body if " = " in ln and not any(k in ln for k in _NOT_KERNELS))


def programs(f: Callable[[jax.Array], Any]) -> dict[str, Callable[[jax.Array], Any]]:
    return {"fwd": f, "fwd+bwd": jax.grad(lambda v: jnp.sum(f(v)).astype(jnp.float32))}


def parser():
    p = C.base_parser(__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=1 << 20,
                   help="elements (axis entries: rows of --width)")
    p.add_argument("--width", type=int, default=1024, help="row width for axis entries")
    p.add_argument("--dtype", default="float32")
    return p


def run(args) -> list[dict[str, Any]]:
    if args.quick:
        args.size = 4096

    def one(case: C.Case) -> dict[str, Any]:
        x = C.random_input(C.shape_for(case, args.size, args.width), args.dtype)
        rec: dict[str, Any] = {"kind": case.kind}
        for who, fn in (("jaxacts", case.jaxacts()), ("jax.nn", case.jax_nn())):
            for mode, prog in (programs(fn).items() if fn is not None else ()):
                rec[f"{who}_{mode}"] = kernel_count(prog, x)
        return rec

    return C.per_case(one, args.only)


def table(records: list[dict[str, Any]]) -> str:
    keys = ("jaxacts_fwd", "jax.nn_fwd", "jaxacts_fwd+bwd", "jax.nn_fwd+bwd")
    rows = C.table_rows(records, 5, lambda r: [r["name"], *(C.fmt(r.get(k), "d") for k in keys)])
    return C.markdown_table(["activation", "jaxacts fwd", "jax.nn fwd", "jaxacts fwd+bwd",
                             "jax.nn fwd+bwd"], rows)


def targets(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Elementwise programs of one kernel; axis entries' no more than jax.nn's (where it has
    the function).  A diagnostic, not one of issue 6's targets."""
    over, n = [], 0
    for r in records:
        for mode in ("fwd", "fwd+bwd"):
            k, nn = r.get(f"jaxacts_{mode}"), r.get(f"jax.nn_{mode}")
            if k is None or (r["kind"] != "elementwise" and nn is None):
                continue
            n += 1
            if k > (1 if r["kind"] == "elementwise" else nn):
                over.append(f"{r['name']} {mode} {k}" + (f" (jax.nn {nn})" if nn else ""))
    status = "not measured" if not n else ("met" if not over else "not met")
    detail = f"{n - len(over)}/{n} met" + ("; above: " + "; ".join(over) if over else "")
    return [("one kernel per elementwise program; axis entries no more than jax.nn's",
             status, detail)]


def main(argv: list[str] | None = None) -> int:
    got = C.start(parser(), argv, run)
    if got is None:
        return 0
    args, records, secs = got
    print(f"Kernels per optimized program, {args.dtype}, {args.size} elements (axis entries: "
          f"rows of {args.width}); backend {jax.default_backend()}; run time "
          f"{secs:.0f} s")
    C.report(records, table(records), "Kernel-count target (a diagnostic)", targets(records),
             args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
