"""Independent high-precision references for the test-suite.

Each family module defines ``REFS``: a dict name -> :class:`Ref` with the function and its
closed-form first and second derivatives written in mpmath, independently of the library.
The tests iterate over the registry and look the reference up here; a registry entry without a
reference fails ``test_every_activation_has_a_reference``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath as mp


@dataclasses.dataclass
class Ref:
    """mpmath reference for one elementwise activation.

    f, df, d2f: callables ``(x: mpf, **params) -> mpf`` (``df``/``d2f`` closed forms).
    dparams: name -> closed-form partial derivative ``(x, **params) -> mpf``.
    param_sets: parameter dicts to test (the defaults are always tested too).
    static_sets: static-argument dicts to test (e.g. ``{"approximate": False}``).
    scale_f, scale_df, scale_d2f: optional magnitude of the terms that cancel near a zero of
      the function/derivative; errors are measured relative to max(|ref|, scale).
    scale_dparams: name -> the same for a parameter derivative.
    domain: (lo, hi) inputs to test (default: the whole line).
    fd_eps: finite-difference step for ``check_grads`` (default jax's); scale it down for
      high-frequency functions (sin(30 x)), whose central differences are otherwise too coarse.
    """

    f: Callable[..., Any]
    df: Callable[..., Any] | None = None
    d2f: Callable[..., Any] | None = None
    dparams: Mapping[str, Callable[..., Any]] = dataclasses.field(default_factory=dict)
    param_sets: Sequence[Mapping[str, float]] = ()
    static_sets: Sequence[Mapping[str, Any]] = ({},)
    scale_f: Callable[..., Any] | None = None
    scale_df: Callable[..., Any] | None = None
    scale_d2f: Callable[..., Any] | None = None
    scale_dparams: Mapping[str, Callable[..., Any]] = dataclasses.field(default_factory=dict)
    domain: tuple[float, float] | None = None
    fd_eps: float | None = None


def mpf(v: Any) -> mp.mpf:
    return mp.mpf(v)


def sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def _collect() -> dict[str, Ref]:
    import importlib
    import pkgutil

    out: dict[str, Ref] = {}
    for m in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{m.name}")
        for k, v in getattr(mod, "REFS", {}).items():
            assert k not in out, f"reference {k} defined twice"
            out[k] = v
    return out


REFS: dict[str, Ref] = _collect()
