"""Generate the per-activation pages, their plots and the gallery from the registry.

Run by the mkdocs-gen-files plugin at build time: no page is written by hand per activation.
"""

from __future__ import annotations

import functools
import io
import math

import jax
import jax.numpy as jnp
import matplotlib
import mkdocs_gen_files
import numpy as np

import jaxacts as ja

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

X = np.linspace(-4.0, 4.0, 401)


def _scalar_fn(name: str):
    """A scalar function of x for plotting: elementwise entries directly; axis entries on a
    two-element row ([x, 0] for normalizers, [x, x] for gated units), first output."""
    d = ja.declaration(name)
    f = ja.get(name)
    if "key" in d.aux:  # random activations: a fixed key, so the page is reproducible
        f = functools.partial(f, key=jax.random.key(0))
    if d.kind == "elementwise":
        return lambda x: f(x)
    if d.family == "gated":
        return lambda x: f(jnp.stack([x, x]))[0]
    return lambda x: jnp.ravel(f(jnp.stack([x, jnp.zeros_like(x)])))[0]


def curves(name: str) -> dict[str, np.ndarray]:
    d = ja.declaration(name)
    g = _scalar_fn(name)
    out = {"f(x)": np.asarray(jax.vmap(g)(jnp.asarray(X, jnp.float32)))}
    if d.random:
        return out
    g1 = jax.grad(g)
    out["f'(x)"] = np.asarray(jax.vmap(g1)(jnp.asarray(X, jnp.float32)))
    out["f''(x)"] = np.asarray(jax.vmap(jax.grad(g1))(jnp.asarray(X, jnp.float32)))
    return out


def plot_png(name: str, size: tuple[float, float], legend: bool = True) -> bytes:
    fig, ax = plt.subplots(figsize=size, dpi=100)
    for (label, y), style in zip(curves(name).items(), ("-", "--", ":"), strict=False):
        ax.plot(X, np.where(np.isfinite(y), y, np.nan), style, label=label, lw=1.6)
    ax.axhline(0, color="0.7", lw=0.6)
    ax.axvline(0, color="0.7", lw=0.6)
    ax.set_title(name, fontsize=10)
    lo, hi = ax.get_ylim()
    ax.set_ylim(max(lo, -5), min(hi, 5))
    if legend:
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _fmt(v) -> str:
    if isinstance(v, float):
        return ("inf" if v > 0 else "-inf") if math.isinf(v) else f"{v:g}"
    return str(v)


def _gain(name: str) -> str:
    try:
        from jaxacts import init
    except ImportError:
        return ""
    try:
        return f"{init.gain(name):.6g}"
    except Exception:  # an entry without a defined gain (e.g. random or axis-wise)
        return "n/a"


def page(name: str) -> str:
    d = ja.declaration(name)
    lines = [f"# {name}", "", d.summary, ""]
    if d.aliases:
        lines += [f"Aliases: {', '.join(f'`{a}`' for a in d.aliases)}", ""]
    lines += ["$$", d.formula, "$$", "", "**Derivative**", "", "$$", d.derivative, "$$", ""]
    lines += [f"![{name}, its first and second derivative](../img/{name}.png)", ""]
    lines += ["| property | value |", "|---|---|"]
    lines.append(f"| family | {d.family} |")
    lines.append(f"| kind | {d.kind} |")
    lo, hi = d.output_range
    lines.append(f"| output range | ({_fmt(lo)}, {_fmt(hi)}) |")
    lines.append(f"| monotonic | {'yes' if d.monotonic else 'no'} |")
    sm = "C∞" if d.smooth else ("discontinuous" if d.smoothness < 0 else f"C{int(d.smoothness)}")
    lines.append(f"| smoothness | {sm} |")
    lines.append(f"| zero-centred | {'yes' if d.zero_centered else 'no'} |")
    gain = _gain(name)
    if gain:
        lines.append(f"| init gain | {gain} |")
    for lib, label in (("jax", "jax.nn"), ("torch", "torch"), ("keras", "Keras")):
        lines.append(f"| {label} | {('`' + d.anchors[lib] + '`') if d.anchors.get(lib) else '—'} |")
    lines.append("")
    if d.params or d.static:
        lines += ["## Parameters", "", "| name | default | domain / choices | notes |",
                  "|---|---|---|---|"]
        for p in d.params:
            lines.append(f"| `{p.name}` | {_fmt(p.default)} | {p.domain_text()} | "
                         f"{p.doc} (array-like, differentiable) |")
        for s in d.static:
            ch = ", ".join(map(repr, s.choices)) if s.choices else "—"
            lines.append(f"| `{s.name}` | {s.default!r} | {ch} | {s.doc} (static) |")
        lines.append("")
    if d.kinks:
        lines += ["## Kinks", "", "| at | derivative given | why |", "|---|---|---|"]
        for k in d.kinks:
            at = "parameter-dependent" if callable(k.at) else _fmt(float(k.at))
            g = "parameter-dependent" if callable(k.grad) else _fmt(float(k.grad))
            lines.append(f"| {at} | {g} | {k.note} |")
        lines.append("")
    if d.notes:
        lines += ["## Notes", "", d.notes.strip(), ""]
    if d.example:
        lines += ["## Example", "", "```python", d.example.strip(), "```", ""]
    if d.reference:
        lines += ["## Reference", "", str(d.reference), ""]
    lines += ["## Docstring", "", "```text", (ja.get(name).__doc__ or "").strip(), "```", ""]
    return "\n".join(lines)


def main() -> None:
    names = ja.names()
    gallery = ["# Gallery", "",
               "Every activation in the registry with its first (dashed) and second (dotted) "
               "derivative on [-4, 4], computed with `jax.grad` at build time. Click one for its "
               "page.", ""]
    for fam in dict.fromkeys(ja.declaration(n).family for n in names):
        gallery += [f"## {fam}", ""]
        for n in (n for n in names if ja.declaration(n).family == fam):
            with mkdocs_gen_files.open(f"img/{n}.png", "wb") as fh:
                fh.write(plot_png(n, (6.0, 3.6)))
            with mkdocs_gen_files.open(f"img/thumb_{n}.png", "wb") as fh:
                fh.write(plot_png(n, (2.6, 1.9), legend=False))
            with mkdocs_gen_files.open(f"activations/{n}.md", "w") as fh:
                fh.write(page(n))
            gallery.append(f"[![{n}](img/thumb_{n}.png)](activations/{n}.md)")
        gallery.append("")
    with mkdocs_gen_files.open("gallery.md", "w") as fh:
        fh.write("\n".join(gallery))
    index = ["# Activations", "", "| name | family | summary |", "|---|---|---|"]
    index += [f"| [{n}]({n}.md) | {ja.declaration(n).family} | {ja.declaration(n).summary} |"
              for n in names]
    with mkdocs_gen_files.open("activations/index.md", "w") as fh:
        fh.write("\n".join(index) + "\n")


main()
