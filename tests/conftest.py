"""Shared test configuration: the registry-driven case tables."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

import jaxacts as ja
from tests.reference import REFS

jax.config.update("jax_enable_x64", True)  # float64 cases; float32 inputs stay float32


def case_id(name: str, static: dict) -> str:
    """``name[k=v,...]`` for an entry with static settings, ``name`` without."""
    sid = ",".join(f"{k}={v}" for k, v in static.items())
    return f"{name}[{sid}]" if sid else name


def elementwise_cases() -> list:
    """(name, static) for every elementwise registry entry and each static setting."""
    out = []
    for n in ja.names(kind="elementwise"):
        ref = REFS.get(n)
        statics = ref.static_sets if ref is not None else ({},)
        for st in statics:
            out.append(pytest.param(n, dict(st), id=case_id(n, st)))
    return out


def param_sets(name: str) -> list[dict]:
    decl = ja.declaration(name)
    base = {p.name: p.default for p in decl.params}
    ref = REFS[name]
    return [base] + [{**base, **ps} for ps in ref.param_sets]


def kink_points(name: str, params: dict, static: dict) -> list[float]:
    decl = ja.declaration(name)
    pts = []
    for k in decl.kinks:
        if any(static.get(s, None) != v for s, v in k.static.items()):
            continue
        pts.append(k.point(**params))
    return pts


def away_from(xs: np.ndarray, pts: list[float], rel: float = 1e-3) -> np.ndarray:
    """Mask of xs not within rel*(1+|k|) of any kink point."""
    m = np.ones(len(xs), dtype=bool)
    xf = xs.astype(np.float64)
    for k in pts:
        if math.isfinite(k):
            m &= np.abs(xf - k) > rel * (1 + abs(k))
    return m
