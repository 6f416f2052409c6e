"""Grids, cached mpmath references and ULP errors for the registry-driven tests.

Error rule (documented in the README): the error of a result ``got`` against the correctly
rounded reference ``r`` is ``|got - r| / u`` where ``u`` is the larger of

* the spacing of the target dtype at ``|r|`` (one ULP),
* the dtype's smallest normal number (XLA flushes subnormals to zero on CPU and GPU),
* one ULP of the magnitude of the terms that cancel at ``r`` when the reference supplies that
  scale (near a zero of the function or of a derivative; see ``Ref.scale_*``).

Infinite references must be matched exactly; NaN never matches.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import pathlib
from collections.abc import Callable, Iterable
from typing import Any

import ml_dtypes
import mpmath as mp
import numpy as np

mp.mp.dps = 60
INF_PROXY = mp.mpf("1e1000")  # stands for +inf in the reference (the limit)
CACHE = pathlib.Path(
    os.environ.get("JAXACTS_REF_CACHE", pathlib.Path(__file__).parent / ".refcache"))

DTYPES = {
    "float64": np.dtype(np.float64),
    "float32": np.dtype(np.float32),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float16": np.dtype(np.float16),
}
# Targets (issue 5): max ULP for value, first and second derivative.
TOL = {
    "float64": (4, 8, 16),
    "float32": (4, 8, 16),
    "bfloat16": (1, 1, 1),
    "float16": (1, 1, 1),
}


def finfo(dtype: Any) -> Any:
    return ml_dtypes.finfo(dtype)


def grid(dtype: Any, *, dense: int = 401, logn: int = 60, kinks: Iterable[float] = (),
         domain: tuple[float, float] | None = None) -> np.ndarray:
    """A dense sweep of [-10, 10], log-spaced magnitudes (both signs) from the smallest normal
    to the dtype's max, and points at and next to each kink; all exactly representable."""
    dtype = np.dtype(dtype)
    fi = finfo(dtype)
    pts = [np.linspace(-10, 10, dense)]
    mags = np.exp(np.linspace(np.log(float(fi.tiny)), np.log(float(fi.max)), logn))
    mags = np.minimum(mags, float(fi.max))
    pts += [mags, -mags, np.array([0.0, float(fi.max), -float(fi.max)])]
    x = np.concatenate(pts).astype(dtype)
    k = [np.array([v], dtype=dtype) for v in kinks]
    extra = []
    for kv in k:
        extra += [kv]
        # neighbours one ULP away in the target dtype
        up = _step(kv, dtype, +1)
        dn = _step(kv, dtype, -1)
        extra += [up, dn]
    if extra:
        x = np.concatenate([x, *extra]).astype(dtype)
    x = np.unique(x[np.isfinite(x.astype(np.float64))].astype(np.float64)).astype(dtype)
    if domain is not None:
        xf = x.astype(np.float64)
        x = x[(xf >= domain[0]) & (xf <= domain[1])]
    return x


def _step(v: np.ndarray, dtype: Any, direction: int) -> np.ndarray:
    f = v.astype(np.float64)
    u = spacing(f, dtype)
    return (f + direction * u).astype(dtype)


def spacing(r: np.ndarray, dtype: Any) -> np.ndarray:
    """One ULP of ``dtype`` at |r| (r in float64), floored at the smallest normal number (also
    at r = 0: a zero reference or cancellation scale tolerates nothing more than that)."""
    fi = finfo(dtype)
    a = np.abs(np.asarray(r, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.floor(np.log2(np.where(a > 0, a, 1.0)))
    u = np.where(a > 0, np.exp2(e - fi.nmant), 0.0)
    u = np.where(np.isfinite(u), u, np.exp2(float(np.log2(float(fi.max))) - fi.nmant))
    return np.maximum(u, float(fi.tiny))


def ulp_error(got: np.ndarray, hi: np.ndarray, lo: np.ndarray, dtype: Any,
              scale: np.ndarray | None = None) -> np.ndarray:
    """Error of ``got`` in ULPs of ``dtype`` against the double-double reference ``hi + lo``."""
    g = np.asarray(got).astype(np.float64)
    fi = finfo(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        if fi.bits >= 64:
            ovf = np.isinf(hi)
        else:  # rounds to inf in the target dtype
            ovf = np.abs(hi) >= float(fi.max) * (1 + 2.0 ** -(fi.nmant + 1))
        ref_d = np.where(ovf, np.copysign(np.inf, hi), hi)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs((g - hi) - lo)
        u = spacing(np.where(np.isfinite(ref_d), ref_d, 0.0), dtype)
        if scale is not None:
            u = np.maximum(u, spacing(scale, dtype))
        err = diff / u
    inf_ref = np.isinf(ref_d)
    err = np.where(inf_ref, np.where(g == ref_d, 0.0, np.inf), err)
    err = np.where(np.isnan(g) | np.isnan(hi), np.inf, err)
    # A finite reference that rounds to a finite value: an infinite result is an infinite error.
    err = np.where(~inf_ref & np.isinf(g), np.inf, err)
    return err


def _mp_to_dd(v: Any) -> tuple[float, float]:
    if v is None:
        return np.nan, 0.0
    v = mp.mpf(v)
    if mp.isnan(v):
        return np.nan, 0.0
    if mp.isinf(v) or abs(v) > mp.mpf("1e309"):
        return (np.inf if v > 0 else -np.inf), 0.0
    hi = float(v)
    return hi, float(v - hi)


def _arg(x: float) -> mp.mpf:
    if np.isinf(x):
        return INF_PROXY if x > 0 else -INF_PROXY
    return mp.mpf(float(x))


_MEM: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def reference(fn: Callable[..., Any], xs: np.ndarray, params: dict,
              key: str) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate the mpmath ``fn`` at each x (exactly converted) -> double-double arrays.

    Cached in memory and on disk; the key includes the source code of ``fn``."""
    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        src = repr(fn)
    h = hashlib.sha1()
    for part in (key, src, repr(sorted(params.items())), mp.mp.dps):
        h.update(repr(part).encode())
    h.update(np.asarray(xs, dtype=np.float64).tobytes())
    k = h.hexdigest()[:20]
    if k in _MEM:
        return _MEM[k]
    path = CACHE / f"{k}.npz"
    if path.exists():
        d = np.load(path)
        _MEM[k] = (d["hi"], d["lo"])
        return _MEM[k]
    hi = np.empty(len(xs))
    lo = np.empty(len(xs))
    mparams = {n: (mp.mpf(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
               for n, v in params.items()}
    for i, x in enumerate(np.asarray(xs, dtype=np.float64)):
        if np.isnan(x):
            hi[i], lo[i] = np.nan, 0.0
            continue
        try:
            hi[i], lo[i] = _mp_to_dd(fn(_arg(x), **mparams))
        except (ZeroDivisionError, ValueError, OverflowError):
            hi[i], lo[i] = np.nan, 0.0
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(path, hi=hi, lo=lo)
    except OSError:
        pass
    _MEM[k] = (hi, lo)
    return hi, lo
