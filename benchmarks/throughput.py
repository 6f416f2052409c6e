"""Forward and forward+backward throughput of every registry entry against jax.nn and torch.

For each dtype and size, every entry is timed with, in the same interleaved rounds, jax.nn's
function (where it has one, called with the same arguments), torch's eager function (if
torch is installed; on CUDA when jax runs on a GPU and torch sees one, else on the CPU) and a
trivial streaming op of the same shape (``x * 1.0001`` forward, ``(x * 1.0001, x * 1.0001 + g)``
for forward+backward: the same reads and writes as an elementwise forward and VJP together).
Each timed function is jit-compiled and warmed up; a batch of calls is dispatched back to back and
waited for once; the reported time is the median over rounds of the batch's mean, and every ratio
is the median over rounds of the ratio within that round.  On a GPU the run first streams for a
few seconds so that the clocks are up before the first timing:

* ``x nn`` = jax.nn time / jaxacts time (above 1: jaxacts is faster), ``x torch`` likewise;
* ``BW`` = streaming-op time / jaxacts time: the fraction of the memory-bandwidth limit reached
  (``BW nn`` for jax.nn).

Forward+backward returns both ``y`` and ``jax.vjp(f, x)[1](g)`` for a fixed random cotangent
``g``: what a training step computes for the activation (the next layer uses ``y``; timing the
pullback alone would let XLA skip the part of the forward that the derivative does not need,
which favours rules written from ``x`` over rules written from ``y``).  Elementwise entries
use a flat array of ``2^k`` elements, axis entries (softmax, glu...) rows of ``--width``
(2^22 -> (4096, 1024)).

The process restarts itself with glibc malloc settings that keep freed buffers (see
``_common.MALLOC_ENV``); ``--no-malloc-env`` measures with the defaults instead.

Run from the repository root: ``python benchmarks/throughput.py [--quick] [--only elu,relu]``.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import _common as C  # noqa: N812
import jax
import jax.numpy as jnp
import numpy as np

MODES = ("fwd", "fwd+bwd")
IMPLS = ("jaxacts", "jax.nn", "torch", "stream")
# Issue 6 targets.
SPEEDUP_FLOOR = 1.0
TRADEOFF_FLOOR = 0.8
SPECIAL = {"mish": 2.0, "softplus": 2.0, "log_sigmoid": 2.0, "elu": 1.5, "celu": 1.5,
           "selu": 1.5}
LOW_PRECISION_MEDIAN = 1.8
BW_PIECEWISE_LINEAR = 0.95
BW_OTHER = 0.5


def parser():
    p = C.base_parser(__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="22,24",
                   help="comma-separated log2 element counts (2^22 elementwise = (4096, 1024) "
                        "rows for axis entries)")
    p.add_argument("--dtypes", default="float32,bfloat16", help="comma-separated dtypes")
    p.add_argument("--width", type=int, default=1024, help="row width for axis entries")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median taken)")
    p.add_argument("--min-time", type=float, default=0.02,
                   help="seconds per timed batch of calls (the batch size is calibrated)")
    p.add_argument("--no-torch", action="store_true", help="skip torch even if installed")
    p.add_argument("--no-malloc-env", action="store_true",
                   help="keep glibc's malloc defaults (large outputs page-fault on every call)")
    p.add_argument("--plot", help="save a bar chart of the ratios to this .png")
    return p


def time_interleaved(thunks: dict[str, Callable[[], Any]], rounds: int,
                     min_time: float) -> tuple[dict[str, list[float]], float]:
    """Seconds per call of each thunk in every round, with the thunks alternating within each
    round (the starting one rotates), and the minor page faults per call over the timed part."""
    for th in thunks.values():  # warm-up (the first call compiles)
        _wait(th())
        _wait(th())
    reps = {}
    for k, th in thunks.items():
        t0 = time.perf_counter()
        _wait(th())
        dt = time.perf_counter() - t0
        reps[k] = int(min(max(min_time / max(dt, 1e-9), 1), 1000))
    keys = list(thunks)
    samples: dict[str, list[float]] = {k: [] for k in keys}
    calls = 0
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for r in range(rounds):
        s = r % len(keys)
        for k in keys[s:] + keys[:s]:
            t0 = time.perf_counter()
            for _ in range(reps[k]):
                out = thunks[k]()
            _wait(out)
            samples[k].append((time.perf_counter() - t0) / reps[k])
            calls += reps[k]
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / max(calls, 1)
    return samples, faults


def _wait(out: Any) -> None:
    """Block until a thunk's result is ready: a batch of calls is dispatched back to back and
    waited for once (a wait per call would time the dispatch latency too, on a GPU a large
    part of a short kernel's time)."""
    if callable(out):  # torch's thunks return their device's synchronize
        out()
    else:
        jax.block_until_ready(out)


def _warm_clocks(seconds: float = 3.0) -> None:
    """Keep the accelerator busy until its clocks are up (an idle GPU starts at a fraction of
    its clock rate, which would slow the first entries' rounds)."""
    v = jnp.ones(2 ** 26, jnp.float32)
    f = jax.jit(lambda v: v * 1.0001)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(20):
            v = f(v)
        jax.block_until_ready(v)


def _jax_thunk(f: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    jf = jax.jit(f)
    return lambda: jf(*args)


def _vjp(f: Callable[[jax.Array], Any]) -> Callable[[jax.Array, Any], Any]:
    def fwd_bwd(x: jax.Array, g: Any) -> Any:
        y, pullback = jax.vjp(f, x)
        return y, pullback(g)[0]

    return fwd_bwd


def _cotangent(f: Callable[[jax.Array], Any], x: jax.Array) -> Any:
    shapes = jax.eval_shape(f, x)
    leaves, tree = jax.tree.flatten(shapes)
    gs = [C.random_input(s.shape, s.dtype, seed=1 + i, scale=1.0) for i, s in enumerate(leaves)]
    return jax.tree.unflatten(tree, gs)


class Torch:
    """torch's eager counterpart of a case (``None`` thunks where it has none), on the CPU, or
    on CUDA when jax runs on a GPU and torch sees one (each batch of calls then synchronizes:
    a thunk returns ``sync``, which :func:`_wait` calls)."""

    def __init__(self, torch: Any):
        self.torch = torch
        self.F = torch.nn.functional
        gpu = jax.default_backend() == "gpu" and torch.cuda.is_available()
        self.device = "cuda" if gpu else "cpu"
        self.sync: Callable[[], Any] = torch.cuda.synchronize if gpu else (lambda: None)

    def function(self, case: C.Case) -> Callable[..., Any] | None:
        name = case.torch_name()
        f = (getattr(self.F, name, None) or getattr(self.torch, name, None)) if name else None
        if f is None or case.decl.random:
            return None
        # torch spells jax.nn's axis as dim and gelu's approximate as a string.
        kw = {("dim" if k == "axis" else k): v for k, v in case.kwargs().items()}
        if isinstance(kw.get("approximate"), bool):
            kw["approximate"] = "tanh" if kw["approximate"] else "none"
        # A builtin has no signature to match: its arguments, else torch's defaults.
        tries = [C.matching_kwargs(f, kw)] if C.signature_names(f) is not None else [kw, {}]
        for k in tries:
            try:  # torch's function may need more than x (prelu's weight, logsumexp's dim)
                f(self.torch.zeros(2, 2), **k)
            except (TypeError, RuntimeError):
                continue
            return lambda x, k=k: f(x, **k)
        return None

    def tensor(self, x: jax.Array, requires_grad: bool = False) -> Any:
        t = self.torch.from_numpy(np.asarray(x.astype(jnp.float32)))
        t = t.to(device=self.device, dtype=getattr(self.torch, str(x.dtype)))
        return t.requires_grad_(requires_grad)

    def thunks(self, case: C.Case, x: jax.Array, g: Any) -> dict[str, Callable[[], Any]]:
        f = self.function(case)
        if f is None:
            return {}
        torch = self.torch
        xt, xr, gt = self.tensor(x), self.tensor(x, True), self.tensor(g)

        def fwd():
            with torch.no_grad():
                f(xt)
            return self.sync

        def fwd_bwd():
            xr.grad = None
            f(xr).backward(gt)
            return self.sync
        return {"fwd": fwd, "fwd+bwd": fwd_bwd}


def bench_case(case: C.Case, x: jax.Array, g_x: jax.Array, args, torch: Torch | None
               ) -> list[dict[str, Any]]:
    """Both modes of one case: a record per mode with the time of each implementation."""
    fa, fn = case.jaxacts(), case.jax_nn()
    g = _cotangent(fa, x)
    torch_thunks = torch.thunks(case, x, g) if torch is not None and not isinstance(g, tuple) \
        else {}
    recs = []
    for mode in MODES:
        if mode == "fwd":
            th = {"jaxacts": _jax_thunk(fa, x),
                  "stream": _jax_thunk(lambda v: v * 1.0001, x)}
            if fn is not None:
                th["jax.nn"] = _jax_thunk(fn, x)
        else:
            th = {"jaxacts": _jax_thunk(_vjp(fa), x, g),
                  "stream": _jax_thunk(lambda v, w: (v * 1.0001, v * 1.0001 + w), x, g_x)}
            if fn is not None:
                th["jax.nn"] = _jax_thunk(_vjp(fn), x, g)
        if mode in torch_thunks:
            th["torch"] = torch_thunks[mode]
        t, faults = time_interleaved(th, args.rounds, args.min_time)
        recs.append({"name": case.label, "mode": mode,
                     **{f"t_{k}": statistics.median(t[k]) if k in t else None for k in IMPLS},
                     **ratios(t), "faults_per_call": faults})
    return recs


def ratios(t: dict[str, list[float]]) -> dict[str, float | None]:
    """The ratios of a record, each the median over rounds of that round's ratio (implementations
    timed in the same round share the machine's state then; a ratio of medians would mix rounds
    taken under different background load)."""

    def q(num, den):
        if num not in t or den not in t:
            return None
        return statistics.median(a / b for a, b in zip(t[num], t[den], strict=True))

    return {"x_nn": q("jax.nn", "jaxacts"), "x_torch": q("torch", "jaxacts"),
            "bw": q("stream", "jaxacts"), "bw_nn": q("stream", "jax.nn")}


def run(args) -> list[dict[str, Any]]:
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes, args.rounds, args.min_time = [12], 1, 0.0
    dtypes = [d.strip() for d in args.dtypes.split(",")]
    torch_mod = None if args.no_torch else C.torch_module()
    torch = Torch(torch_mod) if torch_mod is not None else None
    if jax.default_backend() != "cpu" and not args.quick:
        _warm_clocks()
    cases = C.cases(C.parse_names(args.only))
    pwl = {c.label: C.is_piecewise_linear(c) for c in cases}
    records = []
    for dtype in dtypes:
        for k in sizes:
            size = 2 ** k
            inputs: dict[tuple[int, ...], tuple[jax.Array, jax.Array]] = {}
            for case in cases:
                shape = C.shape_for(case, size, args.width)
                if shape not in inputs:
                    inputs[shape] = (C.random_input(shape, dtype),
                                     C.random_input(shape, dtype, seed=7, scale=1.0))
                x, g_x = inputs[shape]
                meta = {"dtype": dtype, "log2_size": k, "shape": "x".join(map(str, shape)),
                        "kind": case.kind, "piecewise_linear": pwl[case.label]}
                try:
                    recs = bench_case(case, x, g_x, args, torch)
                except Exception as e:  # noqa: BLE001 - one failing entry must not stop the run
                    recs = [{"name": case.label, "mode": m, "error": f"{type(e).__name__}: {e}"}
                            for m in MODES]
                for r in recs:
                    r.update(meta)
                    records.append(r)
                print(f"  {dtype} 2^{k} {case.label}", file=sys.stderr, flush=True)
    return records


def tables(records: list[dict[str, Any]]) -> str:
    out = []
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["dtype"], r["log2_size"]), []).append(r)
    headers = ["activation"]
    for m in MODES:
        headers += [f"{m} ms", "x nn", "x torch", "BW", "BW nn"]
    for (dtype, k), rs in groups.items():
        axis = next((r["shape"] for r in rs if r["kind"] == "axis"), None)
        title = f"**{dtype}, 2^{k} elements**" + (f" (axis entries: {axis})" if axis else "")
        rows = []
        by_name: dict[str, dict[str, dict[str, Any]]] = {}
        for r in rs:
            by_name.setdefault(r["name"], {})[r["mode"]] = r
        for name, modes in by_name.items():
            row = [name]
            for m in MODES:
                r = modes.get(m, {})
                if "error" in r:
                    row += [f"error: {r['error'][:60]}", "", "", "", ""]
                    continue
                t = r.get("t_jaxacts")
                row += [C.fmt(t * 1e3 if t else None, ".3g"), C.fmt(r.get("x_nn")),
                        C.fmt(r.get("x_torch")), C.fmt(r.get("bw")), C.fmt(r.get("bw_nn"))]
            rows.append(row)
        out += [title, "", C.markdown_table(headers, rows), ""]
    return "\n".join(out)


def _fails(rs, key, floor, strict=False):
    bad = [r for r in rs if r.get(key) is not None and
           (r[key] <= floor if strict else r[key] < floor)]
    return bad


def _list(bad, key, limit=12):
    items = [f"{r['name']} {r['dtype']} 2^{r['log2_size']} {r['mode']} {r[key]:.2f}"
             for r in sorted(bad, key=lambda r: r[key])]
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def targets(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(target, status, detail) for each issue 6 throughput target."""
    ok = [r for r in records if "error" not in r]
    f32 = [r for r in ok if r["dtype"] == "float32"]
    out = []
    bad = _fails(f32, "x_nn", SPEEDUP_FLOOR)
    worse = _fails(f32, "x_nn", TRADEOFF_FLOOR)
    n = sum(r.get("x_nn") is not None for r in f32)
    status = "met" if not bad else ("not met" if worse else "met with trade-offs (>= 0.8x)")
    out.append(("float32 >= 1.0x jax.nn, every function, fwd and fwd+bwd", status,
                f"{n - len(bad)}/{n} at or above 1.0" + (f"; below: {_list(bad, 'x_nn')}"
                                                          if bad else "")))
    n = sum(r.get("x_torch") is not None for r in f32)
    bad = _fails(f32, "x_torch", 1.0, strict=True)
    out.append(("float32 faster than torch eager",
                "not measured (torch not installed)" if not n else
                ("met" if not bad else "not met"),
                f"{n - len(bad)}/{n} faster" + (f"; not faster: {_list(bad, 'x_torch')}"
                                                if bad else "")))
    sp = [r for r in f32 if r["name"] in SPECIAL and r.get("x_nn") is not None]
    bad = [r for r in sp if r["x_nn"] < SPECIAL[r["name"]]]
    missing = sorted(set(SPECIAL) - {r["name"] for r in sp})
    out.append(("mish/softplus/log_sigmoid >= 2x, elu/celu/selu >= 1.5x jax.nn (float32)",
                "not measured" if not sp else ("met" if not bad else "not met"),
                (f"below: {_list(bad, 'x_nn')}" if bad else "all measured met")
                + (f"; not in this run: {', '.join(missing)}" if missing else "")))
    for dtype in ("bfloat16", "float16"):
        rs = [r for r in ok if r["dtype"] == dtype and r.get("x_nn") is not None]
        if not rs:
            continue
        meds = {m: statistics.median(r["x_nn"] for r in rs if r["mode"] == m)
                for m in MODES if any(r["mode"] == m for r in rs)}
        slow = _fails(rs, "x_nn", 1.0)
        met = all(v >= LOW_PRECISION_MEDIAN for v in meds.values()) and not slow
        out.append((f"{dtype}: median >= 1.8x jax.nn (fwd, fwd+bwd), none slower",
                    "met" if met else "not met",
                    ", ".join(f"median {m} {v:.2f}x" for m, v in meds.items())
                    + (f"; slower than jax.nn: {_list(slow, 'x_nn')}" if slow else "")))
    top = max((r["log2_size"] for r in ok), default=None)
    for dtype in sorted({r["dtype"] for r in ok}):
        rs = [r for r in ok if r["dtype"] == dtype and r["log2_size"] == top]
        bad = [r for r in rs if r.get("bw") is not None and r["bw"] < (
            BW_PIECEWISE_LINEAR if r["piecewise_linear"] else BW_OTHER)]
        out.append((f"{dtype} 2^{top}: bandwidth ratio >= 0.95 (piecewise-linear), "
                    ">= 0.5 (others)", "met" if not bad else "not met",
                    f"{len(rs) - len(bad)}/{len(rs)} met"
                    + (f"; below: {_list(bad, 'bw')}" if bad else "")))
    return out


def plot(records: list[dict[str, Any]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in records if "error" not in r and r.get("x_nn") is not None]
    if not ok:
        print("plot: no jax.nn ratios to plot", file=sys.stderr)
        return
    top = max(r["log2_size"] for r in ok)
    dtypes = sorted({r["dtype"] for r in ok}, key=lambda d: d != "float32")
    names = list(dict.fromkeys(r["name"] for r in ok))
    fig, axes = plt.subplots(len(dtypes), 1, figsize=(max(6, 0.35 * len(names) + 2),
                                                      3.2 * len(dtypes)), squeeze=False)
    w = 0.4
    for ax, dtype in zip(axes[:, 0], dtypes, strict=True):
        for j, m in enumerate(MODES):
            v = {r["name"]: r["x_nn"] for r in ok if r["dtype"] == dtype
                 and r["log2_size"] == top and r["mode"] == m}
            ax.bar(np.arange(len(names)) + (j - 0.5) * w, [v.get(n, np.nan) for n in names],
                   w, label=m)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(np.arange(len(names)), names, rotation=90, fontsize=8)
        ax.set_ylabel("speed-up vs jax.nn")
        ax.set_title(f"{dtype}, 2^{top} elements (higher is better)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    got = C.start(parser(), argv, run)
    if got is None:
        return 0
    args, records, secs = got
    malloc = "kept buffers (MALLOC_ENV)" if C.malloc_env_active() else "glibc defaults"
    omp = C.os.environ.get("OMP_WAIT_POLICY", "default")
    print(f"malloc settings: {malloc}; OMP_WAIT_POLICY {omp}; rounds {args.rounds}; "
          f"run time {secs:.0f} s"
          + ("; --quick: tiny sizes, the timings mean nothing" if args.quick else ""))
    print()
    print(tables(records))
    faults = [r["faults_per_call"] for r in records if "faults_per_call" in r]
    if faults:
        print(f"Minor page faults per timed call: median {statistics.median(faults):.1f}, "
              f"max {max(faults):.1f}.")
        print()
    print("**Issue 6 throughput targets**")
    print()
    print(C.markdown_table(["target", "status", "detail"], targets(records)))
    C.write_records(args.out, records)
    if args.plot:
        plot(records, args.plot)
    return 0


if __name__ == "__main__":
    C.reexec_with_malloc_env(sys.argv)
    raise SystemExit(main())
