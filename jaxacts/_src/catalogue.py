"""The catalogue table (README, ``jaxacts list``), generated from the registry."""

from __future__ import annotations

import math
from collections.abc import Sequence

from jaxacts._src import registry

COLUMNS = ("name", "family", "params", "range", "kinks", "smooth", "monotonic", "jax.nn",
           "torch", "keras")


def _rng(lo: float, hi: float) -> str:
    def f(v: float) -> str:
        return ("inf" if v > 0 else "-inf") if math.isinf(v) else f"{v:g}"
    return f"({f(lo)}, {f(hi)})"


def rows(family: str | None = None, *,
         names: Sequence[str] | None = None) -> list[dict[str, str]]:
    """Catalogue rows for ``family`` (all by default), restricted to ``names`` if given."""
    out = []
    for n in registry.names(family=family):
        if names is not None and n not in names:
            continue
        d = registry.declaration(n)
        kinks = []
        for k in d.kinks:
            at = "param" if callable(k.at) else f"{float(k.at):g}"
            g = "param" if callable(k.grad) else f"{float(k.grad):g}"
            kinks.append(f"f'({at})={g}")
        out.append({
            "name": n + (f" ({', '.join(d.aliases)})" if d.aliases else ""),
            "family": d.family,
            "params": ", ".join(f"{p.name}={p.default:g}" if isinstance(p.default, float)
                                else f"{p.name}={p.default}" for p in d.params)
                      or "-",
            "range": _rng(*d.output_range),
            "kinks": "; ".join(kinks) or "-",
            "smooth": "C^inf" if d.smooth else ("disc." if d.smoothness < 0
                                                else f"C^{int(d.smoothness)}"),
            "monotonic": "yes" if d.monotonic else "no",
            "jax.nn": d.anchors.get("jax", ""),
            "torch": d.anchors.get("torch", ""),
            "keras": d.anchors.get("keras", ""),
        })
    return out


def markdown(family: str | None = None, *, names: Sequence[str] | None = None) -> str:
    rs = rows(family, names=names)
    head = "| " + " | ".join(COLUMNS) + " |"
    sep = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(r[c].replace("|", "\\|") or " " for c in COLUMNS) + " |"
            for r in rs]
    return "\n".join([head, sep, *body])


def text(family: str | None = None, *, names: Sequence[str] | None = None) -> str:
    rs = rows(family, names=names)
    widths = {c: max(len(c), *(len(r[c]) for r in rs)) if rs else len(c) for c in COLUMNS}
    line = "  ".join(c.ljust(widths[c]) for c in COLUMNS)
    out = [line, "  ".join("-" * widths[c] for c in COLUMNS)]
    out += ["  ".join(r[c].ljust(widths[c]) for c in COLUMNS) for r in rs]
    return "\n".join(out)


START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"


def write_readme(path: str = "README.md") -> None:
    """Replace the catalogue between the README's markers with the generated table."""
    import pathlib

    p = pathlib.Path(path)
    text = p.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    p.write_text(f"{head}{START}\n{markdown()}\n{END}{tail}")


if __name__ == "__main__":
    import sys

    import jaxacts  # noqa: F401  (registers everything)

    if "--write-readme" in sys.argv:
        write_readme()
    else:
        print(markdown())
