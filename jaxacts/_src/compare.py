"""``jaxacts compare``: train the same MLP with several activations and tabulate the outcome.

The training itself is :func:`jaxacts._src.train.train_mlp`; this module chooses the
activations, shows progress, and formats the table.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from jaxacts._src import registry

#: The default line-up: the usual baseline, the transformer defaults, a saturating classic, and
#: the smooth rectifiers.
DEFAULT_ACTIVATIONS = ("relu", "gelu", "silu", "tanh", "elu", "mish")


def default_activations() -> tuple[str, ...]:
    known = set(registry.names())
    return tuple(n for n in DEFAULT_ACTIVATIONS if n in known)


def resolve(names: Sequence[str]) -> list[str]:
    """Canonical names; raises ``KeyError`` (with close matches) on the first unknown one."""
    out = []
    for n in names:
        decl = registry.declaration(n)
        if decl.kind != "elementwise" or decl.random:
            raise ValueError(f"{decl.name} cannot be used as a hidden-layer activation in "
                             "compare (it is applied along an axis or is random)")
        if decl.name not in out:
            out.append(decl.name)
    return out


class ProgressBar:
    """A one-line text progress bar per activation (rewritten in place on a terminal)."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 width: int = 24) -> None:
        self.total, self.label, self.width = total, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()

    def update(self, done: int, metrics: dict[str, float]) -> None:
        filled = round(self.width * done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        line = (f"{self.label:<12} [{bar}] {done:>3}/{self.total} epochs  "
                f"val_acc {metrics.get('val_accuracy', float('nan')):.3f}  "
                f"{time.perf_counter() - self.t0:5.1f}s")
        if self.tty:
            end = "\n" if done >= self.total else ""
            self.stream.write("\r" + line + end)
        elif done >= self.total or done == 1:
            self.stream.write(line + "\n")
        self.stream.flush()


def run(activations: Sequence[str], data: tuple, *, hidden: Sequence[int] = (64, 64),
        epochs: int = 20, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
        progress: TextIO | None = None, quiet: bool = False) -> list[dict[str, Any]]:
    """Train one MLP per activation on ``data = (X_train, y_train, X_val, y_val)``."""
    from jaxacts._src.train import train_mlp

    results = []
    for name in activations:
        bar = None if quiet else ProgressBar(epochs, name, progress)
        cb = None if bar is None else (lambda ep, m, _b=bar: _b.update(ep, m))
        results.append(train_mlp(name, *data, hidden=tuple(hidden), epochs=epochs,
                                 batch_size=batch_size, lr=lr, seed=seed, callback=cb))
    return results


COLUMNS = ("activation", "val acc", "val loss", "time (s)", "dead units", "gradient health")


def rows(results: Sequence[dict[str, Any]]) -> list[tuple[str, ...]]:
    out = []
    for r in sorted(results, key=lambda r: -r["val_accuracy"]):
        out.append((
            str(r["activation"]),
            f"{r['val_accuracy']:.4f}",
            f"{r['val_loss']:.4f}",
            f"{r['seconds']:.1f}",
            f"{100 * r['dead_fraction']:.1f}%",
            str(r.get("verdict", "")),
        ))
    return out


def table(results: Sequence[dict[str, Any]]) -> str:
    """The results as an aligned text table, best validation accuracy first."""
    body = rows(results)
    widths = [max(len(c), *(len(r[i]) for r in body)) for i, c in enumerate(COLUMNS)]
    line = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    notes = [f"  {r['activation']}: {r['verdict_message']}" for r in results
             if r.get("verdict") not in (None, "", "healthy") and r.get("verdict_message")]
    if notes:
        out += ["", "Gradient health notes:", *notes]
    return "\n".join(out)
