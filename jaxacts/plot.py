"""Plots: a gallery of activations with their derivatives, and training curves.

Needs matplotlib (``pip install 'jaxacts[plots]'``). Figures are built with
:class:`matplotlib.figure.Figure` directly, without pyplot, so no display or global backend is
touched; the functions return the figure and save it when ``out`` is given (the format follows
the extension: ``.png``, ``.svg``, ``.pdf``).

Example::

  from jaxacts import plot
  plot.gallery(["relu", "gelu", "mish"], out="gallery.png")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxacts._src import registry

__all__ = ["gallery", "training_curves"]

_ORDER_LABELS = ("f(x)", "f'(x)", "f''(x)")


def _figure(**kwargs: Any) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("jaxacts.plot needs matplotlib; install it with "
                          "`pip install 'jaxacts[plots]'` (or `pip install matplotlib`)") from None
    return Figure(**kwargs)


def _save(fig: Any, out: str | None) -> None:
    if out is not None:
        fig.savefig(out, dpi=120, bbox_inches="tight")


def _derivatives(name: str, x: np.ndarray, orders: int, params: Mapping[str, Any]
                 ) -> list[np.ndarray]:
    f = registry.get(name)

    def scalar(v: jax.Array) -> jax.Array:
        return f(v, **params)

    out = []
    g = scalar
    for _ in range(orders):
        out.append(np.asarray(jax.jit(jax.vmap(g))(jnp.asarray(x, jnp.float32))))
        g = jax.grad(g)
    return out


def gallery(names: Sequence[str], out: str | None = None, *, xlim: tuple[float, float] = (-5, 5),
            derivatives: int = 2, params: Mapping[str, Mapping[str, Any]] | None = None,
            ncols: int = 3, points: int = 801) -> Any:
    """One panel per activation with f, f' and f'' (from ``jax.grad``) over ``xlim``.

    Kinks are marked with their declared derivative value (a dot on the f' curve).

    Args:
      names: registered elementwise activation names (aliases resolve).
      out: a file to save to (``.png``, ``.svg``, ...), or ``None``.
      xlim: the x range.
      derivatives: how many derivatives to draw (0, 1 or 2).
      params: per-activation parameter values, e.g. ``{"elu": {"alpha": 2.0}}``.
      ncols: panels per row.
      points: samples along x.

    Returns:
      The matplotlib ``Figure``.

    Raises:
      KeyError: an unknown name (with close matches).
      ValueError: an activation applied along an axis (it has no elementwise graph), or a bad
        ``derivatives``.
    """
    if not names:
        raise ValueError("gallery: give at least one activation name")
    if derivatives not in (0, 1, 2):
        raise ValueError(f"gallery: derivatives must be 0, 1 or 2, got {derivatives}")
    decls = [registry.declaration(n) for n in names]
    for d in decls:
        if d.kind != "elementwise" or d.random:
            raise ValueError(f"gallery: {d.name} is not a deterministic elementwise activation "
                             "and has no graph f(x)")
    params = params or {}
    ncols = max(1, min(ncols, len(decls)))
    nrows = math.ceil(len(decls) / ncols)
    fig = _figure(figsize=(4.0 * ncols, 3.0 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    x = np.linspace(*xlim, points)
    for ax, d in zip(axes.ravel(), decls, strict=False):
        p = dict(params.get(d.name, {}))
        ys = _derivatives(d.name, x, derivatives + 1, p)
        for order, y in enumerate(ys):
            ax.plot(x, y, lw=1.8 if order == 0 else 1.2, ls=("-", "--", ":")[order],
                    label=_ORDER_LABELS[order])
        pv = {q.name: q.default for q in d.params} | p
        for k in d.kinks:
            at = k.point(**pv)
            if derivatives >= 1 and xlim[0] <= at <= xlim[1]:
                ax.plot([at], [k.value(**pv)], "o", ms=4, color="C1")
        ax.axhline(0, color="0.8", lw=0.6, zorder=0)
        ax.axvline(0, color="0.8", lw=0.6, zorder=0)
        ax.set_title(d.name + "".join(f" {k}={v}" for k, v in p.items()), fontsize=10)
        ax.set_xlim(*xlim)
        ax.legend(fontsize=7, loc="best")
    for ax in axes.ravel()[len(decls):]:
        ax.set_visible(False)
    fig.tight_layout()
    _save(fig, out)
    return fig


def training_curves(results: Sequence[Mapping[str, Any]], out: str | None = None) -> Any:
    """Validation accuracy and train/validation loss per epoch, one line per activation.

    Args:
      results: what ``jaxacts compare`` (``jaxacts._src.train.train_mlp``) returns per
        activation: mappings with ``activation`` and ``history`` (a list of per-epoch dicts
        with ``epoch``, ``val_accuracy``, ``val_loss`` and optionally ``train_loss``).
      out: a file to save to, or ``None``.

    Returns:
      The matplotlib ``Figure``.
    """
    if not results:
        raise ValueError("training_curves: no results to plot")
    fig = _figure(figsize=(10.0, 3.8))
    acc_ax, loss_ax = fig.subplots(1, 2)
    for i, r in enumerate(results):
        h = r["history"]
        ep = [e["epoch"] for e in h]
        color = f"C{i % 10}"
        acc_ax.plot(ep, [e["val_accuracy"] for e in h], color=color, marker=".",
                    label=str(r["activation"]))
        loss_ax.plot(ep, [e["val_loss"] for e in h], color=color, marker=".",
                     label=f"{r['activation']} (val)")
        if all("train_loss" in e for e in h):
            loss_ax.plot(ep, [e["train_loss"] for e in h], color=color, ls="--", lw=0.8)
    acc_ax.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="Loss (solid: validation, dashed: train)")
    loss_ax.set_yscale("log")
    acc_ax.legend(fontsize=8)
    for ax in (acc_ax, loss_ax):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, out)
    return fig
