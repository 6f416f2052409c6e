"""The declaration type and the registry.

Every activation in jaxacts is one :class:`Activation` declaration: the function, its
closed-form tangent rule(s), its parameters with their domains, the kink values and the
metadata.  :func:`register` turns a declaration into a public jit-compiled function (see
:mod:`jaxacts._src.jvp`) and records it; everything else (lookup, docs, tests, Flax modules,
the CLI and the benchmarks) iterates over :func:`names` / :func:`declaration`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "Activation",
    "Param",
    "Static",
    "Kink",
    "Reference",
    "register",
    "get",
    "names",
    "info",
    "declaration",
    "aliases",
]


@dataclasses.dataclass(frozen=True)
class Param:
    """An array-valued, differentiable hyperparameter (e.g. ``negative_slope``).

    Attributes:
      name: the keyword, as in jax.nn where jax.nn has the function.
      default: the default value (a Python float).
      lower, upper: the valid domain bounds (``None`` for unbounded).
      lower_open, upper_open: whether the bound itself is excluded.
      doc: one line for the docstring.
      learnable: whether the Flax modules may learn it (most are).
      broadcast: whether the parameter broadcasts elementwise against ``x`` (the default).
        ``False`` for coefficient vectors (rational activations), which the rules index.
      fast_values: values with a cheaper exact path: a call that passes one of them as a Python
        number (the default, typically) hands it to ``fn`` and the rules as that Python float,
        with no tangent; an array of the same value takes the general path.
    """

    name: str
    default: float | None
    doc: str = ""
    lower: float | None = None
    upper: float | None = None
    lower_open: bool = False
    upper_open: bool = False
    learnable: bool = True
    broadcast: bool = True
    fast_values: tuple[float, ...] = ()

    def domain_text(self) -> str:
        if self.lower is None and self.upper is None:
            return "any real value"
        lo = "(" if self.lower_open else "["
        hi = ")" if self.upper_open else "]"
        a = "-inf" if self.lower is None else repr(self.lower)
        b = "inf" if self.upper is None else repr(self.upper)
        if self.lower is None:
            lo = "("
        if self.upper is None:
            hi = ")"
        return f"{lo}{a}, {b}{hi}"

    def contains(self, value: Any) -> Any:
        """Elementwise membership test on a concrete numpy value (NaN counts as outside)."""
        import numpy as np

        v = np.asarray(value, dtype=np.float64)
        ok = ~np.isnan(v)
        if self.lower is not None:
            ok &= (v > self.lower) if self.lower_open else (v >= self.lower)
        if self.upper is not None:
            ok &= (v < self.upper) if self.upper_open else (v <= self.upper)
        return ok


@dataclasses.dataclass(frozen=True)
class Static:
    """A structural (non-differentiable, hashable) argument such as ``axis`` or ``approximate``."""

    name: str
    default: Any
    doc: str = ""
    choices: tuple[Any, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Kink:
    """A point where the function is not differentiable and the derivative the library gives.

    ``at`` and ``grad`` are numbers, or callables of the parameter values (keyword arguments)
    for kinks that move with a parameter (``hard_shrink`` at +-lambd).  ``static`` restricts the
    kink to one setting of the static arguments.
    """

    at: float | Callable[..., float]
    grad: float | Callable[..., float]
    note: str = ""
    static: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def point(self, **params: Any) -> float:
        return float(self.at(**params)) if callable(self.at) else float(self.at)

    def value(self, **params: Any) -> float:
        return float(self.grad(**params)) if callable(self.grad) else float(self.grad)


@dataclasses.dataclass(frozen=True)
class Reference:
    """The paper an activation comes from."""

    authors: str
    title: str
    venue: str = ""
    arxiv: str = ""

    def __str__(self) -> str:
        parts = [self.authors, f'"{self.title}"']
        if self.venue:
            parts.append(self.venue)
        if self.arxiv:
            parts.append(f"arXiv:{self.arxiv}")
        return ", ".join(parts)


# Rule signatures (all receive the compute-dtype arrays):
#   fn(x, *params, **static) -> y
#   tangent(t, x, y, *params, **static) -> dy  (linear in t; tangent-first)
#   param_tangents[i](t_i, x, y, *params, **static) -> dy contribution of parameter i
Rule = Callable[..., Any]


@dataclasses.dataclass(frozen=True)
class Activation:
    """One activation: function, closed-form derivatives, kinks, parameters and metadata.

    Attributes:
      name: public name (the jax.nn name where jax.nn has the function).
      fn: the primal ``fn(x, *params, **static)``, computed in the compute dtype.
      tangent: ``tangent(t, x, y, *params, **static)``, the JVP with respect to ``x``, written
        linear in ``t`` (tangent-first) and, where accurate, in terms of the output ``y`` so that
        a training step keeps fewer residuals.  It must itself be differentiable (it is, when
        written with jax.numpy and jaxacts functions), which gives exact second derivatives.
      params: array-valued differentiable parameters, in signature order after ``x``.
      param_tangents: one tangent rule per parameter (same order), or ``None`` where a
        parameter is not differentiated (e.g. a surrogate sharpness).
      static: structural keyword arguments (``axis``, ``approximate``...).
      aux: names of optional non-differentiable array arguments (``where`` masks, PRNG keys);
        they are passed to the rules as keyword arguments (``None`` when absent).
      kinks: points of non-differentiability and the derivative value chosen there.
      kind: ``"elementwise"`` (applied per element) or ``"axis"`` (reduces or normalizes along
        an axis: softmax, glu, logsumexp...).
      family: the group it belongs to (rectifier, sigmoid, smooth, normalizer, ...).
      summary: the one-line summary of the docstring.
      formula, derivative: LaTeX for the docstring.
      output_range: (low, high) of the output for the default parameters.
      monotonic, zero_centered: metadata; ``smoothness`` is the number of continuous
        derivatives (``math.inf`` for analytic functions, 0 for continuous with kinks, -1 for
        discontinuous).
      reference: the paper.
      anchors: the name in other libraries, keys ``"jax"``, ``"torch"``, ``"keras"``.
      aliases: other names that resolve to this activation.
      example: a doctest snippet for the docstring (verified by the test-suite).
      notes: extra docstring paragraphs (kink conventions, accuracy notes).
      upcast: compute bfloat16/float16 in float32 and round once (default True).
      random: whether the function takes a PRNG key (rrelu, gumbel_softmax).
      validate: optional hook ``validate(x, *params, **static, **aux)`` run eagerly before
        the computation; raises clear errors for bad shapes/values and may return a dict of
        normalized static/aux values (e.g. a normalized ``axis``).
      nan_guard: make the input tangent NaN where the output is NaN (default: on for
        elementwise functions with kinks, whose ``where``-based rules would drop the NaN).
      arg_name: the name of the input argument (``x``; ``a`` for logsumexp, as in jax.nn).
      order: the order of the arguments after the input in the signature (default: params,
        then static, then aux).
      keyword_only: arguments that are keyword-only.
      aux_doc: docstring lines for the aux arguments.
      aux_tangents: optional tangent rules for differentiable aux arrays (logsumexp's ``b``),
        name -> ``rule(t, x, y, *params, **static, **aux)``; aux without a rule get no tangent.
      returns: the docstring's Returns line.
    """

    name: str
    fn: Rule
    tangent: Rule
    summary: str
    formula: str
    derivative: str
    family: str
    params: tuple[Param, ...] = ()
    param_tangents: tuple[Rule | None, ...] = ()
    static: tuple[Static, ...] = ()
    aux: tuple[str, ...] = ()
    kinks: tuple[Kink, ...] = ()
    kind: str = "elementwise"
    output_range: tuple[float, float] = (-math.inf, math.inf)
    monotonic: bool = False
    smoothness: float = math.inf
    zero_centered: bool = False
    reference: Reference | None = None
    anchors: Mapping[str, str] = dataclasses.field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    example: str = ""
    notes: str = ""
    upcast: bool = True
    random: bool = False
    validate: Callable[..., Any] | None = None
    nan_guard: bool | None = None
    arg_name: str = "x"
    order: tuple[str, ...] = ()
    keyword_only: tuple[str, ...] = ()
    aux_doc: Mapping[str, str] = dataclasses.field(default_factory=dict)
    aux_tangents: Mapping[str, Rule] = dataclasses.field(default_factory=dict)
    returns: str = (
        "An array of the same shape and dtype as ``x`` (parameters broadcast against it)."
    )

    def __post_init__(self) -> None:
        if self.param_tangents and len(self.param_tangents) != len(self.params):
            raise ValueError(
                f"{self.name}: param_tangents has {len(self.param_tangents)} rules for "
                f"{len(self.params)} params"
            )
        if self.kind not in ("elementwise", "axis"):
            raise ValueError(
                f"{self.name}: kind must be 'elementwise' or 'axis', got {self.kind!r}")

    @property
    def bounded(self) -> bool:
        lo, hi = self.output_range
        return math.isfinite(lo) and math.isfinite(hi)

    @property
    def smooth(self) -> bool:
        return self.smoothness == math.inf

    @property
    def guards_nan(self) -> bool:
        """Whether the builder puts NaN back into the input tangent (``nan_guard``; by default
        for elementwise functions with kinks)."""
        if self.nan_guard is not None:
            return self.nan_guard
        return self.kind == "elementwise" and not self.smooth

    def metadata(self) -> dict[str, Any]:
        """The metadata as a plain dict (what :func:`jaxacts.info` returns)."""
        return {
            "name": self.name,
            "family": self.family,
            "kind": self.kind,
            "summary": self.summary,
            "formula": self.formula,
            "derivative": self.derivative,
            "params": {p.name: p.default for p in self.params},
            "param_domains": {p.name: p.domain_text() for p in self.params},
            "static": {s.name: s.default for s in self.static},
            "kinks": [
                {"at": k.at if not callable(k.at) else "depends on parameters",
                 "grad": k.grad if not callable(k.grad) else "depends on parameters",
                 "note": k.note}
                for k in self.kinks
            ],
            "output_range": self.output_range,
            "bounded": self.bounded,
            "monotonic": self.monotonic,
            "smooth": self.smooth,
            "smoothness": self.smoothness,
            "zero_centered": self.zero_centered,
            "reference": str(self.reference) if self.reference else "",
            "anchors": dict(self.anchors),
            "aliases": self.aliases,
        }


_REGISTRY: dict[str, tuple[Activation, Callable[..., Any]]] = {}
_ALIASES: dict[str, str] = {}


def register(decl: Activation) -> Callable[..., Any]:
    """Build the public function for ``decl``, record it, and return the function.

    This is also the public way to add your own activation (see the README): it gets the same
    ``custom_jvp`` machinery, lookup by name, Flax modules and checks as the built-in ones.
    """
    from jaxacts._src.jvp import build

    for n in (decl.name, *decl.aliases):
        if n in _REGISTRY or n in _ALIASES:
            raise ValueError(f"register: the name {n!r} is already registered")
    fn = build(decl)
    _REGISTRY[decl.name] = (decl, fn)
    for a in decl.aliases:
        _ALIASES[a] = decl.name
    return fn


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}: {name!r}")
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        known = sorted([*_REGISTRY, *_ALIASES])
        close = difflib.get_close_matches(key, known, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise KeyError(
            f"unknown activation {name!r}.{hint} Known names: `jaxacts.names()` "
            f"({len(_REGISTRY)} activations)."
        )
    return key


def get(name: str | Callable[..., Any]) -> Callable[..., Any]:
    """Return the activation function called ``name`` (or ``name`` itself if callable).

    Raises:
      KeyError: for an unknown name; the message lists close matches.
      TypeError: for anything that is neither a string nor a callable.
    """
    if callable(name):
        return name
    return _REGISTRY[_canonical(name)][1]


def declaration(name: str) -> Activation:
    """The :class:`Activation` declaration behind ``name`` (aliases resolve)."""
    return _REGISTRY[_canonical(name)][0]


def info(name: str) -> dict[str, Any]:
    """The metadata of an activation as a dict (range, kinks, smoothness, paper, ...)."""
    return declaration(name).metadata()


def names(*, family: str | None = None, kind: str | None = None) -> tuple[str, ...]:
    """The registered activation names (aliases excluded), in registration order."""
    return tuple(
        n
        for n, (d, _) in _REGISTRY.items()
        if (family is None or d.family == family) and (kind is None or d.kind == kind)
    )


def aliases() -> dict[str, str]:
    """Map of alias -> canonical name."""
    return dict(_ALIASES)
