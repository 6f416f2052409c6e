"""The ``jaxacts`` command-line tool.

``jaxacts list | show | plot | check | compare``; run ``jaxacts COMMAND --help`` for each.
Bad input (an unknown activation, a missing or malformed file) prints one clear line on stderr
and exits with status 2; ``check`` exits with 1 when a check fails.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable
from typing import Any


class UsageError(Exception):
    """Bad input: reported on stderr, exit status 2."""


def _error_text(e: BaseException) -> str:
    # KeyError's str() adds quotes around the message
    return str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)


def _canonical(name: str) -> str:
    import jaxacts

    return jaxacts.declaration(name).name


def _parse_value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text) if low.lstrip("+-").isdigit() else float(text)
    except ValueError:
        return text


def _keyvals(items: list[str] | None, what: str) -> dict[str, Any]:
    out = {}
    for it in items or []:
        k, sep, v = it.partition("=")
        if not sep or not k.strip():
            raise UsageError(f"{what} must look like NAME=VALUE, got {it!r}")
        out[k.strip()] = _parse_value(v)
    return out


def _split_args(name: str, kv: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    import jaxacts

    d = jaxacts.declaration(name)
    pn, sn = {p.name for p in d.params}, {s.name for s in d.static}
    bad = set(kv) - pn - sn
    if bad:
        raise UsageError(f"{d.name} has no parameter {', '.join(sorted(bad))}; parameters: "
                         f"{', '.join(sorted(pn | sn)) or 'none'}")
    return ({k: v for k, v in kv.items() if k in pn}, {k: v for k, v in kv.items() if k in sn})


# ------------------------------------------------------------------------------------- list


def _cmd_list(args: argparse.Namespace) -> int:
    import jaxacts
    from jaxacts._src import catalogue

    fam = args.family
    if fam is not None:
        known = sorted({jaxacts.declaration(n).family for n in jaxacts.names()})
        if fam not in known:
            raise UsageError(f"unknown family {fam!r}; known: {', '.join(known)}")
    keep = []
    for n in jaxacts.names(family=fam, kind=args.kind):
        d = jaxacts.declaration(n)
        if args.smooth and not d.smooth:
            continue
        if args.learnable and not any(p.learnable for p in d.params):
            continue
        if args.bounded and not d.bounded:
            continue
        if args.monotonic and not d.monotonic:
            continue
        keep.append(n)
    if not keep:
        print("no activation matches these filters", file=sys.stderr)
        return 0
    print(catalogue.markdown(fam, names=keep) if args.markdown
          else catalogue.text(fam, names=keep))
    return 0


# ------------------------------------------------------------------------------------- show


def _fmt_num(v: Any) -> str:
    if isinstance(v, float):
        return ("inf" if v > 0 else "-inf") if math.isinf(v) else f"{v:g}"
    return str(v)


def _cmd_show(args: argparse.Namespace) -> int:
    import jaxacts
    from jaxacts import init

    d = jaxacts.declaration(args.name)
    lines = [f"{d.name}: {d.summary}"]
    if d.aliases:
        lines.append(f"  aliases:     {', '.join(d.aliases)}")
    lines.append(f"  family:      {d.family} ({d.kind})")
    lines.append(f"  formula:     {d.formula}")
    lines.append(f"  derivative:  {d.derivative}")
    for p in d.params:
        lines.append(f"  parameter:   {p.name} = {_fmt_num(p.default)} in {p.domain_text()}"
                     f"{' (learnable)' if p.learnable else ''}: {p.doc}")
    for s in d.static:
        lines.append(f"  static:      {s.name} = {s.default!r}: {s.doc}")
    if d.kinks:
        for k in d.kinks:
            at = "parameter-dependent" if callable(k.at) else _fmt_num(float(k.at))
            g = "parameter-dependent" if callable(k.grad) else _fmt_num(float(k.grad))
            cond = "".join(f" when {n}={v!r}" for n, v in k.static.items())
            lines.append(f"  kink:        x = {at}{cond}: f' = {g}. {k.note}".rstrip())
    else:
        lines.append("  kinks:       none")
    lo, hi = d.output_range
    smooth = ("C-infinity" if d.smooth else "discontinuous" if d.smoothness < 0
              else f"C^{int(d.smoothness)}")
    lines.append(f"  range:       ({_fmt_num(lo)}, {_fmt_num(hi)}); "
                 f"{'monotonic' if d.monotonic else 'not monotonic'}; {smooth}")
    try:
        g = init.gain(d.name)
        lines.append(f"  gain:        {g:.6f}  (1/sqrt(E[f(z)^2]), z ~ N(0,1))")
    except Exception as e:  # the rest of the page is still worth showing
        lines.append(f"  gain:        n/a ({_error_text(e).splitlines()[0]})")
    tg = init.torch_gain(d.name)
    if tg is not None:
        note = init.TORCH_NOTES.get(d.name, "")
        lines.append(f"  torch gain:  {tg:.6f}" + (f"  {note}" if note else ""))
    if d.reference:
        lines.append(f"  paper:       {d.reference}")
    for lib, label in (("jax", "jax.nn"), ("torch", "torch"), ("keras", "keras")):
        lines.append(f"  {label + ':':<12} {d.anchors.get(lib) or '-'}")
    print("\n".join(lines))
    return 0


# ------------------------------------------------------------------------------------- plot


def _cmd_plot(args: argparse.Namespace) -> int:
    from jaxacts import plot

    names = [_canonical(n) for n in args.names]
    lo, sep, hi = args.xlim.partition(",")
    try:
        xlim = (float(lo), float(hi))
    except ValueError:
        raise UsageError(f"--xlim must look like LOW,HIGH, got {args.xlim!r}") from None
    if not sep or not xlim[0] < xlim[1]:
        raise UsageError(f"--xlim must look like LOW,HIGH with LOW < HIGH, got {args.xlim!r}")
    _check_out(args.out)
    plot.gallery(names, args.out, xlim=xlim, derivatives=args.derivatives)
    print(f"wrote {args.out}")
    return 0


def _check_out(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist")
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".svg", ".pdf"):
        raise UsageError(f"cannot write {path}: use a .png, .svg or .pdf file name")


# ------------------------------------------------------------------------------------- check


def _load_function(spec: str) -> Callable[..., Any]:
    """``package.module:function`` or ``path/to/file.py:function``."""
    mod_name, sep, attr = spec.rpartition(":")
    if not sep or not mod_name or not attr:
        raise UsageError(f"expected an activation name or MODULE:FUNCTION, got {spec!r}")
    try:
        if mod_name.endswith(".py"):
            if not os.path.isfile(mod_name):
                raise UsageError(f"file not found: {mod_name}")
            mspec = importlib.util.spec_from_file_location(
                os.path.splitext(os.path.basename(mod_name))[0], mod_name)
            module = importlib.util.module_from_spec(mspec)
            mspec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(mod_name)
    except UsageError:
        raise
    except Exception as e:  # any import-time failure of the user's module
        raise UsageError(f"cannot import {mod_name}: {type(e).__name__}: {e}") from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        raise UsageError(f"{mod_name} has no function {attr!r}")
    return fn


def _cmd_check(args: argparse.Namespace) -> int:
    from jaxacts.testing import check_activation

    kinks = {float(k): float(v) for k, v in _keyvals(args.kink, "--kink").items()}
    kw: dict[str, Any] = {"dtypes": tuple(args.dtypes.split(","))}
    if ":" in args.target:
        fn = _load_function(args.target)
        der = _load_function(args.derivative) if args.derivative else None
        sec = _load_function(args.second_derivative) if args.second_derivative else None
        if args.param:
            raise UsageError("--param applies to registered activations; bind the parameters "
                             "of your own function in your code")
        report = check_activation(fn, der, sec, kinks=kinks or None,
                                  name=args.target.rpartition(":")[2], **kw)
    else:
        if args.derivative or args.second_derivative or kinks:
            raise UsageError("--derivative, --second-derivative and --kink apply to your own "
                             "function (MODULE:FUNCTION); a registered activation declares them")
        name = _canonical(args.target)
        params, static = _split_args(name, _keyvals(args.param, "--param"))
        report = check_activation(name, params=params, static=static, **kw)
    if args.quiet and report.passed:
        print(str(report).splitlines()[0])
    elif args.quiet:
        print("\n".join([str(report).splitlines()[0],
                         *(f"  FAIL {c.name}: {c.detail}" for c in report.failures)]))
    else:
        print(report)
    return 0 if report.passed else 1


# ----------------------------------------------------------------------------------- compare


def _cmd_compare(args: argparse.Namespace) -> int:
    from jaxacts._src import compare

    if args.activations:
        names = compare.resolve([a.strip() for a in args.activations.split(",") if a.strip()])
        if not names:
            raise UsageError("--activations is empty")
    else:
        names = list(compare.default_activations())
    try:
        hidden = tuple(int(h) for h in args.hidden.split(","))
    except ValueError:
        raise UsageError(f"--hidden must be comma-separated widths, got {args.hidden!r}") from None
    if any(h < 1 for h in hidden) or args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        raise UsageError("--hidden widths, --epochs and --batch-size must be >= 1 and --lr > 0")
    if args.out is None:  # the default: save the curves when matplotlib is there
        import importlib.util

        if importlib.util.find_spec("matplotlib") is not None:
            args.out = "compare.png"
        else:
            print("note: matplotlib is not installed, so no curves are saved "
                  "(pip install 'jaxacts[plots]')", file=sys.stderr)
    if args.out:
        _check_out(args.out)
        from jaxacts.plot import _figure

        _figure()  # fail now, not after training, if matplotlib is missing

    from jaxacts._src.train import load_dataset

    data = load_dataset(args.dataset, seed=args.seed)
    n_cls = len(set(data[1].tolist()) | set(data[3].tolist()))
    print(f"dataset {args.dataset}: {len(data[0])} train / {len(data[2])} validation samples, "
          f"{data[0].shape[1]} features, {n_cls} classes; MLP {hidden}, {args.epochs} epochs, "
          f"seed {args.seed}", file=sys.stderr)
    results = compare.run(names, data, hidden=hidden, epochs=args.epochs,
                          batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                          quiet=args.quiet)
    print(compare.table(results))
    if args.out:
        from jaxacts.plot import training_curves

        training_curves(results, args.out)
        print(f"\ncurves written to {args.out}")
    return 0


# -------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaxacts", description="Activation functions for JAX/Flax.")
    sub = p.add_subparsers(dest="command", required=True)

    lp = sub.add_parser("list", help="print the catalogue with metadata")
    lp.add_argument("--family", help="only this family (rectifier, sigmoid, ...)")
    lp.add_argument("--kind", choices=("elementwise", "axis"), help="only this kind")
    lp.add_argument("--smooth", action="store_true", help="only C-infinity activations")
    lp.add_argument("--learnable", action="store_true",
                    help="only activations with learnable parameters")
    lp.add_argument("--bounded", action="store_true", help="only bounded outputs")
    lp.add_argument("--monotonic", action="store_true", help="only monotonic activations")
    lp.add_argument("--markdown", action="store_true", help="print a Markdown table")
    lp.set_defaults(func=_cmd_list)

    sp = sub.add_parser("show", help="formula, derivative, kinks, range, gain, paper, names")
    sp.add_argument("name")
    sp.set_defaults(func=_cmd_show)

    pp = sub.add_parser("plot", help="plot activations with their first and second derivatives")
    pp.add_argument("names", nargs="+", metavar="NAME")
    pp.add_argument("--out", required=True, help="output file (.png, .svg or .pdf)")
    pp.add_argument("--xlim", default="-5,5",
                    help="x range LOW,HIGH (default -5,5; write --xlim=-3,3 when LOW < 0)")
    pp.add_argument("--derivatives", type=int, choices=(0, 1, 2), default=2,
                    help="how many derivatives to draw (default 2)")
    pp.set_defaults(func=_cmd_plot)

    cp = sub.add_parser("check", help="run the derivative/dtype/non-finite checks on an "
                        "activation (a registered name or your MODULE:FUNCTION)")
    cp.add_argument("target", metavar="NAME|MODULE:FUNCTION")
    cp.add_argument("--derivative", metavar="MODULE:FUNCTION",
                    help="the closed-form derivative of your function")
    cp.add_argument("--second-derivative", metavar="MODULE:FUNCTION",
                    help="its closed-form second derivative (optional)")
    cp.add_argument("--kink", action="append", metavar="X=DERIVATIVE",
                    help="a kink of your function and the derivative it gives there")
    cp.add_argument("--param", action="append", metavar="NAME=VALUE",
                    help="a parameter value of a registered activation")
    cp.add_argument("--dtypes", default="float64,float32,bfloat16,float16",
                    help="comma-separated dtypes (default: all four)")
    cp.add_argument("-q", "--quiet", action="store_true", help="print only the failures")
    cp.set_defaults(func=_cmd_check)

    mp = sub.add_parser("compare", help="train the same MLP with several activations and "
                        "compare accuracy, loss, time, dead units and gradient health")
    mp.add_argument("--activations", help="comma-separated names (default: "
                    "relu,gelu,silu,tanh,elu,mish)")
    mp.add_argument("--dataset", default="digits", help="'digits' (scikit-learn's bundled "
                    "handwritten digits, the default), a .csv file (label in the last column) "
                    "or a .npz file (arrays X, y)")
    mp.add_argument("--epochs", type=int, default=20)
    mp.add_argument("--batch-size", type=int, default=64)
    mp.add_argument("--lr", type=float, default=1e-3)
    mp.add_argument("--hidden", default="64,64", help="hidden widths (default 64,64)")
    mp.add_argument("--seed", type=int, default=0, help="seed (initialization, split, order)")
    mp.add_argument("--out", help="where to save the training curves (.png, .svg or .pdf; "
                    "default compare.png when matplotlib is installed; '' for none)")
    mp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    mp.set_defaults(func=_cmd_compare)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage error (or --help)
        return int(e.code or 0)
    try:
        return int(args.func(args) or 0)
    except (UsageError, KeyError, ValueError, TypeError, FileNotFoundError, ImportError) as e:
        print(f"jaxacts {args.command}: error: {_error_text(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
