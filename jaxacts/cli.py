"""The ``jaxacts`` command-line tool."""

from __future__ import annotations

import argparse
import sys


def _cmd_list(args: argparse.Namespace) -> int:
    from jaxacts._src import catalogue

    fam = args.family
    if fam is not None:
        import jaxacts

        known = sorted({jaxacts.declaration(n).family for n in jaxacts.names()})
        if fam not in known:
            print(f"jaxacts list: unknown family {fam!r}; known: {', '.join(known)}",
                  file=sys.stderr)
            return 2
    print(catalogue.markdown(fam) if args.markdown else catalogue.text(fam))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaxacts", description="Activation functions for JAX/Flax.")
    sub = p.add_subparsers(dest="command", required=True)
    lp = sub.add_parser("list", help="print the catalogue with metadata")
    lp.add_argument("--family", help="only this family (rectifier, sigmoid, ...)")
    lp.add_argument("--markdown", action="store_true", help="print a Markdown table")
    lp.set_defaults(func=_cmd_list)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
