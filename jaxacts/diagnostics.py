"""Training diagnostics for Flax models: dead units, saturation, activation and gradient scale.

The pattern: route every activation of a model through a *probe*, which applies the activation
and records a few cheap statistics of its output (computed where the output lives, inside
``jit``); then either

* call :func:`diagnose` once on a model, its parameters and a batch, and read the
  :class:`Report` (a per-layer table plus a verdict in plain words), or
* gather the statistics in your own jit-compiled training step with :func:`summarize` and
  log them over steps with :class:`DiagnosticsLog`, whose :meth:`DiagnosticsLog.report` also
  looks at trends (growing gradient norms, loss spikes).

Probes, for each Flax API::

    # linen: a module, or tap() inside any @nn.compact method
    x = diagnostics.Probe("relu")(x)
    x = diagnostics.tap(self, ja.gelu(x), "gelu")

    # nnx: a module, or tap() inside any __call__; collect under diagnostics.capture(...)
    self.act = diagnostics.NNXProbe("relu")
    out, stats = diagnostics.capture(lambda m, x: m(x))(model, x)

Statistics per probe (over every axis but the last, the units/features axis):

* ``dead``: fraction of units whose output is exactly zero for the whole batch;
* ``saturated``: fraction of (not dead) units whose output stays within ``saturation_tol``
  (relative to the width of the output range; absolute for half-bounded ranges) of a finite
  bound of the activation's ``output_range`` (the registry's metadata) for the whole batch;
* ``mean``, ``std``: of the output over the whole batch.

Linen stores them in the ``"diagnostics"`` collection (so ``mutable=["diagnostics"]``); nnx in
:class:`ActivationStats` variables captured by :func:`capture`.  Without that, probes record
nothing and cost nothing under ``jit``.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen, nnx
from jax.typing import ArrayLike

from jaxacts._src import registry

__all__ = [
    "COLLECTION",
    "ActivationStats",
    "DiagnosticsLog",
    "Finding",
    "LayerStats",
    "NNXProbe",
    "Probe",
    "Report",
    "Thresholds",
    "activation_stats",
    "capture",
    "cross_entropy",
    "default_loss",
    "diagnose",
    "grad_norms",
    "output_range",
    "summarize",
    "tap",
]

COLLECTION = "diagnostics"
"""The linen collection the probes sow into."""

_STAT_NAME = "stats"
Activationish = str | Callable[..., Any]


class ActivationStats(nnx.Intermediate):
    """The nnx variable type the probes sow into (a subclass, so users' own intermediates and
    these statistics never mix)."""


# nnx.capture makes Module.sow record; outside it, sow would add a variable to the model (and
# warn).  Probes therefore record only while this flag, set by diagnostics.capture, is on.
_NNX_CAPTURING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jaxacts_diagnostics_capturing", default=False)


def output_range(activation: Activationish,
                 override: tuple[float, float] | None = None) -> tuple[float, float]:
    """The output range used to define saturation: ``override``, else the registry's metadata
    for a registered name or function, else unbounded (no saturation is reported)."""
    if override is not None:
        lo, hi = override
        return float(lo), float(hi)
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    if isinstance(name, str):
        try:
            decl = registry.declaration(name)
        except KeyError:
            return -math.inf, math.inf
        if isinstance(activation, str) or registry.get(decl.name) is activation:
            return tuple(map(float, decl.output_range))  # type: ignore[return-value]
    return -math.inf, math.inf


def activation_stats(y: ArrayLike, out_range: tuple[float, float] = (-math.inf, math.inf), *,
                     saturation_tol: float = 0.02) -> dict[str, jax.Array]:
    """Dead and saturated unit fractions, mean and std of one activation layer's output.

    Args:
      y: the layer's output; the last axis indexes units, every other axis is the batch.
      out_range: the activation's (low, high) output range; finite bounds define saturation.
      saturation_tol: how near a bound counts as saturated, relative to ``high - low`` when
        both are finite and absolute otherwise.

    Returns:
      A dict of float32 scalars ``dead``, ``saturated``, ``mean``, ``std``.
    """
    y = jnp.asarray(y, jnp.float32)
    units = y.reshape(-1, y.shape[-1]) if y.ndim else y.reshape(1, 1)
    dead = jnp.all(units == 0, axis=0)
    lo, hi = out_range
    scale = hi - lo if math.isfinite(lo) and math.isfinite(hi) else 1.0
    near = jnp.zeros(units.shape, bool)
    for bound in (lo, hi):
        if math.isfinite(bound):
            near = near | (jnp.abs(units - bound) <= saturation_tol * scale)
    saturated = jnp.all(near, axis=0) & ~dead
    return {
        "dead": jnp.mean(dead.astype(jnp.float32)),
        "saturated": jnp.mean(saturated.astype(jnp.float32)),
        "mean": jnp.mean(units),
        "std": jnp.std(units),
    }


def _keep_last(_: Any, new: Any) -> Any:
    return new


def tap(module: linen.Module | nnx.Module, y: jax.Array, activation: Activationish = "", *,
        out_range: tuple[float, float] | None = None, saturation_tol: float = 0.02,
        name: str = _STAT_NAME) -> jax.Array:
    """Record the statistics of activation output ``y`` on ``module``; returns ``y`` unchanged.

    Call it inside a linen ``@nn.compact`` method or an nnx ``__call__`` (one ``name`` per
    activation of the module).  ``activation`` (a registry name or function) gives the output
    range for saturation; ``out_range`` overrides it.
    """
    rng = output_range(activation, out_range)
    if isinstance(module, linen.Module):
        if module.is_mutable_collection(COLLECTION):
            module.sow(COLLECTION, name, activation_stats(y, rng, saturation_tol=saturation_tol),
                       reduce_fn=_keep_last, init_fn=tuple)
    elif isinstance(module, nnx.Module):
        if _NNX_CAPTURING.get():
            module.sow(ActivationStats, name,
                       activation_stats(y, rng, saturation_tol=saturation_tol),
                       reduce_fn=_keep_last, init_fn=tuple)
    else:
        raise TypeError(f"tap: module must be a flax linen or nnx Module, got "
                        f"{type(module).__name__}")
    return y


class Probe(linen.Module):
    """A linen module applying ``activation`` and recording its statistics (see :func:`tap`).

    Attributes:
      activation: a registry name (``"relu"``) or any function of one array.
      out_range: overrides the registry's output range (needed for saturation of unregistered
        functions).
      saturation_tol: see :func:`activation_stats`.
    """

    activation: Activationish = "relu"
    out_range: tuple[float, float] | None = None
    saturation_tol: float = 0.02

    @linen.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        y = registry.get(self.activation)(x)
        return tap(self, y, self.activation, out_range=self.out_range,
                   saturation_tol=self.saturation_tol)


class NNXProbe(nnx.Module):
    """The nnx counterpart of :class:`Probe`; records under :func:`capture`."""

    def __init__(self, activation: Activationish = "relu", *,
                 out_range: tuple[float, float] | None = None, saturation_tol: float = 0.02):
        self.activation = activation
        self.fn = registry.get(activation)
        self.out_range = out_range
        self.saturation_tol = saturation_tol

    def __call__(self, x: jax.Array) -> jax.Array:
        return tap(self, self.fn(x), self.activation, out_range=self.out_range,
                   saturation_tol=self.saturation_tol)


@contextlib.contextmanager
def _capturing() -> Iterator[None]:
    token = _NNX_CAPTURING.set(True)
    try:
        yield
    finally:
        _NNX_CAPTURING.reset(token)


def capture(fn: Callable[..., Any]) -> Callable[..., tuple[Any, nnx.State]]:
    """Wrap ``fn(model, *args)`` (nnx) to return ``(result, stats_state)``.

    Works inside ``nnx.jit``/``nnx.grad`` (``has_aux=True``) training steps; pass the state to
    :func:`summarize`.
    """
    captured = nnx.capture(fn, ActivationStats)

    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, nnx.State]:
        with _capturing():
            return captured(*args, **kwargs)

    return wrapped


def _pure(tree: Any) -> Any:
    return nnx.to_pure_dict(tree) if isinstance(tree, nnx.State) else tree


def _path_name(path: Sequence[Any]) -> str:
    parts = []
    for k in path:
        key = getattr(k, "key", getattr(k, "idx", getattr(k, "name", k)))
        parts.append(str(key))
    return "/".join(parts)


def _natural(names: Any) -> list[str]:
    """Sort layer paths in model order (``Dense_2`` before ``Dense_10``); jax flattens dicts
    in lexicographic order."""
    return sorted(names, key=lambda n: [int(p) if p.isdigit() else p
                                        for p in re.split(r"(\d+)", n)])


def _layer_stats(collection: Any) -> dict[str, dict[str, jax.Array]]:
    """Flatten a sown collection (linen dict or nnx State) to ``{layer path: stats dict}``."""
    tree = _pure(collection)
    if isinstance(tree, Mapping) and COLLECTION in tree:
        tree = tree[COLLECTION]
    out: dict[str, dict[str, jax.Array]] = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        *where, stat = (_path_name([k]) for k in path)
        if where and where[-1] == _STAT_NAME:
            where = where[:-1]  # the default sow name adds nothing to the layer's name
        out.setdefault("/".join(where) or "<root>", {})[stat] = leaf
    return {k: out[k] for k in _natural(out)}


def grad_norms(grads: Any) -> dict[str, jax.Array]:
    """The L2 norm of the gradient of each layer's parameters, keyed by the layer's path.

    ``grads`` is a linen gradient tree (with or without the ``"params"`` level) or an nnx
    gradient ``State``; a layer is the module owning the leaves (``Dense_0`` for
    ``Dense_0/kernel`` and ``Dense_0/bias``).
    """
    tree = _pure(grads)
    if isinstance(tree, Mapping) and set(tree) == {"params"}:
        tree = tree["params"]
    sums: dict[str, jax.Array] = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        layer = _path_name(path[:-1]) or "<root>"
        sq = jnp.sum(jnp.square(jnp.asarray(leaf, jnp.float32)))
        sums[layer] = sums[layer] + sq if layer in sums else sq
    return {k: jnp.sqrt(sums[k]) for k in _natural(sums)}


def summarize(stats: Any, grads: Any = None) -> dict[str, dict[str, jax.Array]]:
    """The small pytree of scalars to return from a jit-compiled training step.

    Args:
      stats: the linen ``"diagnostics"`` collection (from ``mutable=["diagnostics"]``) or the
        nnx state returned by :func:`capture`.
      grads: optionally, the parameter gradients (for per-layer gradient norms).

    Returns:
      ``{"activations": {layer: {dead, saturated, mean, std}}, "grad_norms": {layer: norm}}``.
    """
    return {"activations": _layer_stats(stats),
            "grad_norms": grad_norms(grads) if grads is not None else {}}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Where the verdicts fire (the symptom table).

    Attributes:
      dead: a layer with at least this fraction of dead units -> dying units.
      saturated: a layer with at least this fraction of saturated units -> saturation.
      vanishing_ratio: smallest / largest layer gradient norm below this -> vanishing.
      vanishing_abs: every layer gradient norm below this -> vanishing.
      exploding_abs: any layer gradient norm above this (or non-finite) -> exploding.
      growth: gradient norm growing by this factor over logged steps -> exploding.
      loss_spike: a logged loss above this multiple of the running median -> loss spike.
    """

    dead: float = 0.5
    saturated: float = 0.5
    vanishing_ratio: float = 1e-3
    vanishing_abs: float = 1e-7
    exploding_abs: float = 1e3
    growth: float = 10.0
    loss_spike: float = 10.0


@dataclasses.dataclass(frozen=True)
class Finding:
    """One symptom: its short name, the evidence, and the usual remedy."""

    symptom: str
    evidence: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.symptom}: {self.evidence} Remedy: {self.remedy}"


_REMEDIES = {
    "exploding gradients": (
        "lower the learning rate, clip gradients (optax.clip_by_global_norm), use a "
        "variance-preserving initialization (jaxacts.initializer_for) or normalization layers."),
    "dying units": (
        "use leaky_relu, elu or gelu, He initialization, a lower learning rate, and avoid "
        "negative bias initialization."),
    "vanishing gradients": (
        "use a non-saturating activation (relu family, gelu, silu), a variance-preserving "
        "initialization, residual connections or normalization layers."),
    "saturated units": (
        "standardize the inputs, use Glorot/LeCun initialization or normalization layers, or a "
        "non-saturating activation."),
}


@dataclasses.dataclass(frozen=True)
class LayerStats:
    """Host-side statistics of one activation layer."""

    name: str
    dead: float
    saturated: float
    mean: float
    std: float


@dataclasses.dataclass(frozen=True)
class Report:
    """What :func:`diagnose` and :meth:`DiagnosticsLog.report` return.

    Attributes:
      layers: per activation layer statistics, in the model's order.
      grad_norms: per parameterized layer gradient norm, in the model's order.
      findings: the symptoms found, most urgent first (empty when healthy).
    """

    layers: tuple[LayerStats, ...]
    grad_norms: Mapping[str, float]
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> str:
        """The most urgent symptom (``"exploding gradients"``, ``"dying units"``,
        ``"vanishing gradients"``, ``"saturated units"``, ``"loss spike"``) or ``"healthy"``."""
        return self.findings[0].symptom if self.findings else "healthy"

    @property
    def message(self) -> str:
        """The verdict in plain words, with the remedies."""
        if not self.findings:
            return "healthy: no dead or saturated layers, gradient norms in a normal range."
        return "\n".join(str(f) for f in self.findings)

    @property
    def dead_fraction(self) -> float:
        """The mean dead fraction over the activation layers."""
        return float(np.mean([s.dead for s in self.layers])) if self.layers else 0.0

    def __str__(self) -> str:
        rows = [f"{'layer':<24} {'dead':>6} {'satur.':>6} {'mean':>8} {'std':>8}"]
        rows += [f"{s.name:<24} {s.dead:>6.1%} {s.saturated:>6.1%} {s.mean:>8.3f} {s.std:>8.3f}"
                 for s in self.layers]
        rows.append(f"{'params of':<24} {'grad norm':>10}")
        rows += [f"{k:<24} {v:>10.3g}" for k, v in self.grad_norms.items()]
        rows.append(f"verdict: {self.message}")
        return "\n".join(rows)


def _findings(layers: Sequence[LayerStats], norms: Mapping[str, float],
              th: Thresholds) -> list[Finding]:
    found: list[Finding] = []

    def add(symptom: str, evidence: str) -> None:
        found.append(Finding(symptom, evidence, _REMEDIES[symptom]))

    vals = np.array(list(norms.values()), dtype=np.float64)
    if vals.size and (not np.all(np.isfinite(vals)) or vals.max() > th.exploding_abs):
        worst = max(norms, key=lambda k: norms[k] if math.isfinite(norms[k]) else math.inf)
        add("exploding gradients",
            f"the gradient norm of {worst} is {norms[worst]:.3g} (limit {th.exploding_abs:g}).")
    def per_layer(attr: str, limit: float) -> str:
        return ", ".join(f"{getattr(s, attr):.0%} in {s.name}" for s in layers
                         if getattr(s, attr) >= limit)

    if dead := per_layer("dead", th.dead):
        add("dying units", f"units output zero for the whole batch: {dead}.")
    # Dead units zero the gradients below them: that is dying, not vanishing, so say it once.
    if not found and vals.size:
        lo, hi = float(vals.min()), float(vals.max())
        if hi < th.vanishing_abs or lo < th.vanishing_ratio * hi:
            small = min(norms, key=norms.__getitem__)
            add("vanishing gradients",
                f"the gradient norm of {small} is {lo:.3g}, {lo / hi if hi else 0:.1e} times "
                "the largest.")
    if saturated := per_layer("saturated", th.saturated):
        add("saturated units", "units stay at a bound of the activation's range for the whole "
                               f"batch: {saturated}.")
    return found


def _to_host(summary: Mapping[str, Any]) -> tuple[tuple[LayerStats, ...], dict[str, float]]:
    summary = jax.device_get(summary)  # (rebuilds dicts in lexicographic key order)
    acts, norms = summary["activations"], summary["grad_norms"]
    layers = tuple(LayerStats(name, *(float(acts[name][k])
                                      for k in ("dead", "saturated", "mean", "std")))
                   for name in _natural(acts))
    return layers, {k: float(norms[k]) for k in _natural(norms)}


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy with integer labels."""
    logp = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[..., None].astype(jnp.int32), -1))


def default_loss(out: jax.Array, y: jax.Array | None) -> jax.Array:
    """Cross-entropy for integer labels, mean squared error for float targets, and half the
    mean square of the output without targets (the gradient scale is still informative)."""
    if y is None:
        return 0.5 * jnp.mean(jnp.square(out))
    if jnp.issubdtype(jnp.asarray(y).dtype, jnp.integer):
        return cross_entropy(out, y)
    return jnp.mean(jnp.square(out - y))


def diagnose(model: linen.Module | nnx.Module, variables: Any, batch: Any, *,
             loss_fn: Callable[[jax.Array, Any], jax.Array] | None = None,
             thresholds: Thresholds = Thresholds()) -> Report:
    """Run one batch through ``model`` and report per-layer statistics and a verdict.

    Args:
      model: a linen module (with ``variables``) or an nnx module (``variables=None``: its own
        state is used) whose activations go through :class:`Probe`/:class:`NNXProbe`/:func:`tap`.
      variables: the linen variables (``{"params": ...}``), or ``None`` for nnx.
      batch: the inputs ``x``, or a pair ``(x, y)`` of inputs and targets.
      loss_fn: ``loss_fn(outputs, y)`` for the gradients; default :func:`default_loss`.
      thresholds: where the verdicts fire.

    Returns:
      A :class:`Report`; ``print(report)`` shows the table and the verdict.
    """
    x, y = batch if isinstance(batch, tuple) else (batch, None)
    loss_fn = loss_fn or default_loss
    if isinstance(model, nnx.Module):
        if variables is not None:
            raise TypeError("diagnose: an nnx model carries its own state; pass variables=None")

        def nnx_loss(m: nnx.Module) -> tuple[jax.Array, nnx.State]:
            out, stats = capture(lambda m_, x_: m_(x_))(m, x)
            return loss_fn(out, y), stats

        grads, stats = nnx.jit(nnx.grad(nnx_loss, has_aux=True))(model)
    elif isinstance(model, linen.Module):
        rest = {k: v for k, v in variables.items() if k != "params"}

        def linen_loss(params: Any) -> tuple[jax.Array, Any]:
            out, mut = model.apply({**rest, "params": params}, x, mutable=[COLLECTION])
            return loss_fn(out, y), mut

        grads, stats = jax.jit(jax.grad(linen_loss, has_aux=True))(variables["params"])
    else:
        raise TypeError(f"diagnose: model must be a flax linen or nnx Module, got "
                        f"{type(model).__name__}")
    layers, norms = _to_host(summarize(stats, grads))
    return Report(layers, norms, tuple(_findings(layers, norms, thresholds)))


class DiagnosticsLog:
    """Logs :func:`summarize` outputs (and the loss) over training steps.

    ``record`` keeps the device arrays without synchronizing; they are fetched when read.

    Example::

        log = DiagnosticsLog()
        for step in range(n):
            state, loss, summary = train_step(state, batch)   # summary = summarize(...)
            log.record(step, summary, loss=loss)
        print(log.report())
    """

    def __init__(self, thresholds: Thresholds = Thresholds()):
        self.thresholds = thresholds
        self._steps: list[int] = []
        self._entries: list[Any] = []

    def record(self, step: int, summary: Mapping[str, Any], *, loss: ArrayLike | None = None
               ) -> None:
        """Append one step's summary (see :func:`summarize`) and optionally its loss."""
        self._steps.append(int(step))
        self._entries.append({"summary": summary, "loss": loss})

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def steps(self) -> list[int]:
        return list(self._steps)

    def history(self) -> dict[str, Any]:
        """Host-side series: ``loss``, ``grad_norms[layer]`` and ``activations[layer][stat]``."""
        entries = jax.device_get(self._entries)
        out: dict[str, Any] = {"step": list(self._steps), "grad_norms": {}, "activations": {},
                               "loss": [None if e["loss"] is None else float(e["loss"])
                                        for e in entries]}
        for e in entries:
            norms, acts = e["summary"]["grad_norms"], e["summary"]["activations"]
            for k in _natural(norms):
                out["grad_norms"].setdefault(k, []).append(float(norms[k]))
            for k in _natural(acts):
                st = acts[k]
                layer = out["activations"].setdefault(k, {})
                for s, v in st.items():
                    layer.setdefault(s, []).append(float(v))
        return out

    def report(self) -> Report:
        """The latest step's :class:`Report`, plus the trends over the logged steps."""
        if not self._entries:
            raise ValueError("DiagnosticsLog.report: nothing recorded yet")
        layers, norms = _to_host(self._entries[-1]["summary"])
        found = _findings(layers, norms, self.thresholds)
        hist = self.history()
        th = self.thresholds
        if not any(f.symptom == "exploding gradients" for f in found):
            for layer, series in hist["grad_norms"].items():
                k = max(1, len(series) // 4)
                first, last = np.mean(series[:k]), np.mean(series[-k:])
                if len(series) >= 4 and first > 0 and last > th.growth * first:
                    found.insert(0, Finding(
                        "exploding gradients",
                        f"the gradient norm of {layer} grew {last / first:.3g}x over the logged "
                        "steps.", _REMEDIES["exploding gradients"]))
                    break
        losses = np.array([v for v in hist["loss"] if v is not None], dtype=np.float64)
        if losses.size:
            if not np.all(np.isfinite(losses)):
                found.insert(0, Finding("exploding gradients", "the loss became non-finite.",
                                        _REMEDIES["exploding gradients"]))
            elif losses.size >= 4:
                med = np.array([np.median(losses[: i + 1]) for i in range(losses.size)])
                spikes = np.nonzero(losses[1:] > th.loss_spike * med[:-1])[0]
                if spikes.size:
                    found.append(Finding(
                        "loss spike",
                        f"the loss jumped to {losses[spikes[0] + 1]:.3g} at step "
                        f"{self._steps[spikes[0] + 1]}.", _REMEDIES["exploding gradients"]))
        return Report(layers, norms, tuple(found))
