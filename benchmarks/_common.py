"""What the benchmark scripts share: the registry-driven case list, the counterparts in jax.nn
and torch, argument parsing, machine information, tables and output files.

Every script iterates over :func:`jaxacts.names` and the declaration metadata, so an activation
added to the registry is benchmarked with no change here.  Run the scripts from the repository
root (``python benchmarks/<script>.py``); this module puts the root on ``sys.path``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import inspect
import json
import os
import pathlib
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import jaxacts as ja  # noqa: E402

# glibc returns every freed block larger than its mmap threshold (at most 32 MiB) to the kernel,
# and XLA's CPU worker threads allocate from per-thread arenas that mmap large blocks whatever
# the threshold: without these settings every 2^24-element float32 output is a fresh mapping and
# costs 16k page faults (measured: 29 ms instead of 8 ms for ``x * 1.0001``).  One arena, no
# mmap, no trimming and a large top pad make the heap keep and reuse the freed buffers.
MALLOC_ENV = {
    "MALLOC_ARENA_MAX": "1",
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": str(1 << 40),
    "MALLOC_TOP_PAD_": str(1 << 30),
}


# torch's CPU kernels run on OpenMP threads that, by default, spin for a while after each call:
# interleaved with jax's calls in one process on a small machine, they took the cores from the
# next jax call (measured on 2 cores: elu 4.5-5.4 ms instead of 2.9 ms, silu 5.3 instead of 3.1
# for 2^22 float32).  Passive waiting makes the threads sleep instead.
THREAD_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def reexec_with_malloc_env(argv: Sequence[str]) -> None:
    """Restart this process with :data:`MALLOC_ENV` and :data:`THREAD_ENV` unless they are set
    (glibc and OpenMP read them at start).

    ``--no-malloc-env`` (in ``argv``) keeps the allocator's defaults, to show their cost.
    """
    want = {**THREAD_ENV, **({} if "--no-malloc-env" in argv else MALLOC_ENV)}
    if all(os.environ.get(k) == v for k, v in want.items()):
        return
    env = {**os.environ, **want}
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *argv], env)


def malloc_env_active() -> bool:
    return all(os.environ.get(k) == v for k, v in MALLOC_ENV.items())


@dataclasses.dataclass
class Case:
    """One registry entry with one setting of its static arguments, and its counterparts."""

    name: str
    static: dict[str, Any]
    decl: Any
    # Random entries get a fixed PRNG key (their training-mode path); without one they run
    # their deterministic path (rrelu's mean slope), the one the mpmath references describe.
    with_key: bool = True

    @property
    def label(self) -> str:
        if not self.static:
            return self.name
        return self.name + "[" + ",".join(f"{k}={v}" for k, v in self.static.items()) + "]"

    @property
    def kind(self) -> str:
        return self.decl.kind

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the jaxacts function: defaults, the statics, a PRNG key."""
        kw: dict[str, Any] = {p.name: p.default for p in self.decl.params
                              if p.default is not None}
        kw.update({s.name: s.default for s in self.decl.static})
        kw.update(self.static)
        if self.decl.random and self.with_key:
            kw[_key_arg(self.decl)] = jax.random.key(0)
        return kw

    def jaxacts(self) -> Callable[[jax.Array], Any]:
        f, kw = ja.get(self.name), self.kwargs()
        return lambda x: f(x, **kw)

    def jax_nn(self) -> Callable[[jax.Array], Any] | None:
        """jax.nn's function called with the same arguments, or None where it has none."""
        f = _anchor(jax.nn, self.decl.anchors.get("jax"))
        if f is None or self.decl.random:
            return None
        kw = matching_kwargs(f, self.kwargs())
        return lambda x: f(x, **kw)

    def torch_name(self) -> str | None:
        n = self.decl.anchors.get("torch")
        return n.split("(")[0].strip() if n else None


def _key_arg(decl: Any) -> str:
    for a in decl.aux:
        if "key" in a or "rng" in a:
            return a
    if decl.aux:
        return decl.aux[0]
    raise ValueError(f"{decl.name}: random=True but no aux argument takes the PRNG key")


def _anchor(module: Any, name: str | None) -> Callable[..., Any] | None:
    if not name:
        return None
    return getattr(module, name.split("(")[0].strip(), None)


def signature_names(f: Callable[..., Any]) -> set[str] | None:
    try:
        return set(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return None


def matching_kwargs(f: Callable[..., Any], kw: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``kw`` that ``f`` accepts (jaxacts and jax.nn share names and defaults;
    passing them explicitly makes both compute the same thing, e.g. gelu's ``approximate``)."""
    accepted = signature_names(f)
    if accepted is None:
        return {}
    return {k: v for k, v in kw.items() if k in accepted and v is not None}


def cases(only: Iterable[str] | None = None, statics: Callable[[str], Sequence[dict]] | None
          = None, with_key: bool = True) -> list[Case]:
    """One :class:`Case` per registry entry (per static setting when ``statics`` gives them),
    in registration order, restricted to the names in ``only`` if given."""
    wanted = None if only is None else {ja.declaration(n).name for n in only}
    out = []
    for n in ja.names():
        if wanted is not None and n not in wanted:
            continue
        for st in (statics(n) if statics else ({},)):
            out.append(Case(n, dict(st), ja.declaration(n), with_key))
    return out


def is_piecewise_linear(case: Case) -> bool:
    """True when the second derivative is 0 at every point of a seeded sample of [-10, 10]
    (relu, leaky_relu, hard_tanh...): what the issue calls a piecewise-linear function."""
    if case.kind != "elementwise" or case.decl.random:
        return False
    f = case.jaxacts()
    xs = jnp.asarray(np.random.default_rng(0).uniform(-10, 10, 512), jnp.float32)
    try:
        d2 = jax.vmap(jax.grad(jax.grad(lambda v: f(v))))(xs)
    except Exception:  # noqa: BLE001 - a function with no second derivative is not linear
        return False
    return bool(jnp.all(d2 == 0))


def rows_shape(size: int, width: int) -> tuple[int, ...]:
    return (max(size // width, 1), width)


def shape_for(case: Case, size: int, width: int = 1024) -> tuple[int, ...]:
    """Elementwise entries get a flat array; axis entries rows of ``width``."""
    return (size,) if case.kind == "elementwise" else rows_shape(size, width)


def random_input(shape: tuple[int, ...], dtype: Any, seed: int = 0,
                 scale: float = 3.0) -> jax.Array:
    x = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32) * scale
    return jnp.asarray(x).astype(dtype)


def parse_names(s: str | None) -> list[str] | None:
    return [n.strip() for n in s.split(",") if n.strip()] if s else None


def listed(args: argparse.Namespace, statics: Callable[[str], Sequence[dict]] | None = None
           ) -> bool:
    """``--list``: print the cases the run would cover and say so (``main`` then returns 0)."""
    if args.list:
        print("\n".join(c.label for c in cases(parse_names(args.only), statics=statics)))
    return bool(args.list)


def start(p: argparse.ArgumentParser, argv: Sequence[str] | None, run: Callable[[Any], Any],
          statics: Callable[[str], Sequence[dict]] | None = None) -> tuple[Any, Any, float] | None:
    """A script's ``main`` up to its tables: parse ``argv``; with ``--list`` print the cases
    and return None; else ``run(args)``, print the machine line and return ``(args, result,
    seconds taken)``."""
    args = p.parse_args(argv)
    if listed(args, statics=statics):
        return None
    t0 = time.perf_counter()
    result = run(args)
    print(machine_line())
    return args, result, time.perf_counter() - t0


def per_case(measure: Callable[[Case], dict[str, Any]], only: str | None) -> list[dict[str, Any]]:
    """One record per case: its name and ``measure(case)``, or the error that stopped it (one
    failing entry must not stop the run); progress on stderr."""
    records = []
    for case in cases(parse_names(only)):
        rec: dict[str, Any] = {"name": case.label}
        try:
            rec.update(measure(case))
        except Exception as e:  # noqa: BLE001
            rec["error"] = f"{type(e).__name__}: {e}"[:120]
        records.append(rec)
        print(f"  {case.label}", file=sys.stderr, flush=True)
    return records


def table_rows(records: list[dict[str, Any]], width: int,
               row: Callable[[dict[str, Any]], list[Any]]) -> list[list[Any]]:
    """``row(r)`` per record, or its name and error in a row ``width`` cells wide."""
    return [[r["name"], f"error: {r['error'][:60]}", *[""] * (width - 2)] if "error" in r
            else row(r) for r in records]


def report(records: list[dict[str, Any]], table: str, title: str,
           target_rows: list[tuple[str, str, str]], out: str | None) -> None:
    """Print a script's table and its targets table under ``title``; write the records."""
    print()
    print(table)
    print()
    print(f"**{title}**")
    print()
    print(markdown_table(["target", "status", "detail"], target_rows))
    write_records(out, records)


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--only", help="comma-separated activation names (default: every entry)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and few rounds: checks that the script works, not timings")
    p.add_argument("--out", help="also write the results to this .csv or .json file")
    p.add_argument("--list", action="store_true",
                   help="print the cases the run would cover and exit")
    return p


def write_records(path: str | None, records: list[dict[str, Any]],
                  meta: dict[str, Any] | None = None) -> None:
    if not path:
        return
    p = pathlib.Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".json":
        p.write_text(json.dumps({"machine": meta or machine_info(), "results": records},
                                indent=1, default=str))
    else:
        keys: list[str] = []
        for r in records:
            keys += [k for k in r if k not in keys]
        with p.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(records)
    print(f"wrote {p}")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def fmt(v: float | None, spec: str = ".2f", none: str = "n/a") -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return none
    return format(v, spec)


def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def torch_module() -> Any | None:
    try:
        import torch
    except ImportError:
        return None
    return torch


def machine_info() -> dict[str, Any]:
    import jaxlib

    info = {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "jaxacts": ja.__version__,
        "backend": jax.default_backend(),
        "device": str(jax.devices()[0].device_kind),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }
    for mod in ("flax", "optax", "torch"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = "not installed"
    return info


def machine_line() -> str:
    m = machine_info()
    return (f"Machine: {m['cpu']}, {m['cores']} cores, {m['backend']} ({m['device']}); "
            f"python {m['python']}, jax {m['jax']}, jaxlib {m['jaxlib']}, flax {m['flax']}, "
            f"optax {m['optax']}, torch {m['torch']}.")
