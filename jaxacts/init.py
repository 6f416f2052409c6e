"""Initialization gains computed from the activation functions themselves.

For an activation :math:`f` the *gain* is the factor that keeps the forward signal's second
moment at 1 when the pre-activations are unit Gaussians:

.. math::

  g = 1 / \\sqrt{\\mathbb{E}[f(z)^2]}, \\quad z \\sim \\mathcal{N}(0, 1).

A layer whose weights have variance :math:`g^2 / \\text{fan\\_in}` then maps unit second moment
to unit second moment (He et al., 2015 derive :math:`g = \\sqrt 2` for ReLU this way).

The expectation is computed in float64 with composite Gauss-Legendre quadrature: panels of width
1 on [-40, 40] (the Gaussian weight is below 1e-300 outside), split at every kink, 24 nodes per
panel. Plain Gauss-Hermite quadrature converges slowly on integrands with kinks (ReLU's
:math:`f^2` has a kink at 0); panels split at the kinks are exact to rounding for piecewise
smooth functions. Results are cached per (name, parameters).

Example:

  >>> import jaxacts.init as ji
  >>> round(ji.gain("relu"), 12)
  1.414213562373
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxacts._src import registry

__all__ = ["gain", "second_moment", "torch_gain", "initializer_for", "gains_table",
           "TORCH_NOTES"]

_HALF_WIDTH = 40.0
_NODES = 24

# torch.nn.init.calculate_gain (torch 2.x): the fixed values torch recommends.
_TORCH: dict[str, Callable[..., float]] = {
    "identity": lambda: 1.0,
    "linear": lambda: 1.0,
    "sigmoid": lambda: 1.0,
    "tanh": lambda: 5.0 / 3.0,
    "relu": lambda: math.sqrt(2.0),
    "leaky_relu": lambda negative_slope=0.01: math.sqrt(2.0 / (1.0 + negative_slope**2)),
    "selu": lambda: 0.75,
}

#: Why torch's value differs from the second-moment gain, where it does.
TORCH_NOTES: dict[str, str] = {
    "relu": "Same value: torch's sqrt(2) is He et al.'s second-moment argument.",
    "leaky_relu": "Same value: sqrt(2 / (1 + a^2)) is the second-moment gain of leaky ReLU.",
    "identity": "Same value.",
    "linear": "Same value.",
    "tanh": ("torch's 5/3 is a fixed recommended value, not derived from the second moment; "
             "it is 4.7% larger than the second-moment gain 1.5925, so a deep tanh stack "
             "initialized with it grows its pre-activation variance slightly per layer."),
    "sigmoid": ("torch gives 1; the second-moment gain is 1.8462 because E[sigmoid(z)^2] = "
                "0.2934 (sigmoid's outputs are positive with mean 1/2, so the second moment "
                "is dominated by the mean)."),
    "selu": ("torch's 3/4 is chosen for gradient flow in rectangular layers and gives up "
             "self-normalization (torch's docs say to use 'linear', gain 1, for "
             "self-normalizing networks); the second-moment gain of SELU is 1 by "
             "construction, and initializer_for('selu') returns LeCun normal."),
}

# Activations for which initializer_for returns the textbook initializer instead of a
# variance scaling built from the computed gain.
_LECUN = frozenset({"selu"})
_HE = frozenset({"relu"})
_HE_SLOPE = {"leaky_relu": "negative_slope", "prelu": "negative_slope"}


def _nodes() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(_NODES)


def _breakpoints(kinks: list[float]) -> np.ndarray:
    pts = set(np.arange(-_HALF_WIDTH, _HALF_WIDTH + 1.0).tolist())
    pts.update(k for k in kinks if -_HALF_WIDTH < k < _HALF_WIDTH and math.isfinite(k))
    return np.array(sorted(pts))


def _expectation(f: Callable[[jax.Array], jax.Array], kinks: list[float]) -> float:
    """E[f(z)^2] for z ~ N(0, 1) by composite Gauss-Legendre in float64."""
    t, w = _nodes()
    b = _breakpoints(kinks)
    a, c = b[:-1, None], b[1:, None]
    z = ((c - a) / 2 * t + (c + a) / 2).ravel()
    wz = ((c - a) / 2 * w).ravel() * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    with jax.enable_x64(True):
        y = np.asarray(f(jnp.asarray(z, jnp.float64)), dtype=np.float64)
    if not np.all(np.isfinite(y)):
        bad = z[~np.isfinite(y)][:3]
        raise ValueError(f"the activation is not finite at z = {bad.tolist()}; its gain is "
                         "undefined")
    return float(np.sum(wz * y * y))


def _kinks(decl: registry.Activation, params: dict, static: dict) -> list[float]:
    out = []
    for k in decl.kinks:
        if all(static.get(s, None) == v for s, v in k.static.items()):
            out.append(k.point(**params))
    return out


def _split(decl: registry.Activation, kwargs: dict) -> tuple[dict, dict]:
    pnames = {p.name for p in decl.params}
    snames = {s.name for s in decl.static}
    unknown = set(kwargs) - pnames - snames
    if unknown:
        allowed = ", ".join(sorted(pnames | snames)) or "none"
        raise TypeError(f"{decl.name}: unknown argument(s) {', '.join(sorted(unknown))}; "
                        f"allowed: {allowed}")
    params = {p.name: p.default for p in decl.params}
    params.update({k: float(v) for k, v in kwargs.items() if k in pnames})
    static = {s.name: s.default for s in decl.static}
    static.update({k: v for k, v in kwargs.items() if k in snames})
    return params, static


@functools.cache
def _moment_cached(name: str, items: tuple) -> float:
    decl = registry.declaration(name)
    if decl.kind != "elementwise" or decl.random:
        raise ValueError(f"{name}: gains are defined for deterministic elementwise activations; "
                         f"{name} is {'random' if decl.random else 'applied along an axis'}")
    params, static = _split(decl, dict(items))
    fn = registry.get(name)
    return _expectation(lambda z: fn(z, **params, **static), _kinks(decl, params, static))


def second_moment(activation: str | Callable[..., Any], *, kinks: tuple[float, ...] = (),
                  **params: Any) -> float:
    """E[f(z)^2] for z ~ N(0, 1), computed in float64.

    Args:
      activation: a registered name, or a function of one array (then give its ``kinks``).
      kinks: points where a user function is not smooth (quadrature panels split there).
      **params: parameters and static arguments of a registered activation.

    Returns:
      The second moment as a Python float.
    """
    if callable(activation):
        return _expectation(activation, [float(k) for k in kinks])
    name = registry.declaration(activation).name  # resolves aliases, raises on unknown names
    return _moment_cached(name, tuple(sorted(params.items())))


def gain(activation: str | Callable[..., Any], *, kinks: tuple[float, ...] = (),
         **params: Any) -> float:
    """The gain :math:`1/\\sqrt{E[f(z)^2]}`, :math:`z \\sim N(0,1)`, of an activation.

    Args:
      activation: a registered name (aliases resolve), or a function of one array.
      kinks: points where a user function is not smooth.
      **params: parameters and static arguments of a registered activation
        (e.g. ``gain("leaky_relu", negative_slope=0.2)``).

    Returns:
      The gain as a Python float (``sqrt(2)`` for ReLU, 1.5925 for tanh).

    Raises:
      KeyError: unknown name (the message lists close matches).
      ValueError: an activation applied along an axis, a random one, or one that is not
        finite on the real line.
    """
    return 1.0 / math.sqrt(second_moment(activation, kinks=kinks, **params))


def torch_gain(name: str, **params: Any) -> float | None:
    """torch's ``calculate_gain`` value for ``name`` (``None`` where torch has none).

    ``leaky_relu`` takes ``negative_slope`` (torch's default 0.01).
    """
    key = name.strip().lower()
    if key not in _TORCH:
        try:
            key = registry.declaration(name).name
        except KeyError:
            return None
    f = _TORCH.get(key)
    return None if f is None else float(f(**params))


def initializer_for(name: str, *, mode: str = "fan_in",
                    distribution: str = "truncated_normal", **params: Any) -> Callable:
    """The ``jax.nn.initializers`` kernel initializer that matches an activation.

    * ``selu``: LeCun normal (self-normalizing networks need weight variance 1/fan_in).
    * ``relu``: He normal; ``leaky_relu`` / ``prelu``: He's variance ``2 / (1 + a^2)``.
    * anything else: ``variance_scaling(gain**2, mode, distribution)`` with the computed
      :func:`gain`.

    Usable directly as ``kernel_init`` in Flax layers::

      nnx.Linear(64, 64, kernel_init=jaxacts.init.initializer_for("gelu"), rngs=rngs)

    Args:
      name: a registered activation name (aliases resolve).
      mode, distribution: passed to ``jax.nn.initializers.variance_scaling`` for the
        computed-gain case.
      **params: parameters of the activation (e.g. ``negative_slope``).

    Returns:
      A ``jax.nn.initializers.Initializer``.
    """
    inits = jax.nn.initializers
    canon = registry.declaration(name).name
    if canon in _LECUN and not params:
        return inits.lecun_normal()
    if canon in _HE and not params:
        return inits.he_normal()
    if canon in _HE_SLOPE:
        a = float(params.get(_HE_SLOPE[canon], 0.01 if canon == "leaky_relu" else 0.25))
        return inits.variance_scaling(2.0 / (1.0 + a * a), mode, distribution)
    return inits.variance_scaling(gain(canon, **params) ** 2, mode, distribution)


def gains_table(names: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Rows ``{name, gain, torch, note}`` for every deterministic elementwise activation."""
    rows = []
    for n in names or registry.names(kind="elementwise"):
        decl = registry.declaration(n)
        if decl.random:
            continue
        try:
            g = gain(n)
        except ValueError:
            continue
        rows.append({"name": n, "gain": g, "torch": torch_gain(n),
                     "note": TORCH_NOTES.get(n, "")})
    return rows
