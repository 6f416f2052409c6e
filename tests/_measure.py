"""The accuracy measurement shared by ``tests/test_elementwise.py`` and
``benchmarks/audit_parameters.py``: an entry's value, derivative or parameter derivative on a
grid, its mpmath reference and the ULP errors (rule in ``tests/_accuracy.py``).  No pytest
here: the tests turn a measurement into pass / fail / xfail, the audit prints it."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

import jaxacts as ja
from tests import _accuracy as acc
from tests.conftest import away_from, kink_points
from tests.reference import REFS


@dataclasses.dataclass
class Measured:
    xs: np.ndarray
    got: np.ndarray
    hi: np.ndarray
    err: np.ndarray
    tol: float
    # the extreme inputs (``EXTREMES``), evaluated in the same program: reference and result
    x_ext: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    hi_ext: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    got_ext: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    @property
    def bad(self) -> np.ndarray:
        return ~(self.err <= self.tol)

    def worst(self, k: int = 6) -> str:
        """The k largest errors, in words."""
        i = np.argsort(-np.where(np.isfinite(self.err), self.err, 1e300))[:k]
        return "; ".join(
            f"x={self.xs[j].astype(np.float64)!r}: got {self.got[j].astype(np.float64)!r}, "
            f"ref {self.hi[j]!r} ({self.err[j]:.3g} ULP)" for j in i)


# Checked for non-finite results and limits (not for ULP): +-1e30, +-max, +-tiny, +-inf.
EXTREMES = (1e30, -1e30, "max", "-max", "tiny", "-tiny", np.inf, -np.inf)


def extremes(dtype: str, domain: tuple[float, float] | None) -> np.ndarray:
    fi = acc.finfo(acc.DTYPES[dtype])
    named = {"max": fi.max, "-max": -fi.max, "tiny": fi.tiny, "-tiny": -fi.tiny}
    vals = [float(named.get(v, v)) if isinstance(v, str) else float(v) for v in EXTREMES]
    if domain is not None:
        vals = [v for v in vals if domain[0] <= v <= domain[1]]
    with np.errstate(over="ignore"):  # 1e30 is inf in float16, as intended
        return np.asarray(vals, dtype=acc.DTYPES[dtype])


def derivs(name: str, static: dict, params: dict, order: int):
    """jit(vmap(d^order f / dx^order)) with the parameters as given (Python floats take the
    entries' fast paths)."""
    f = ja.get(name)

    def g(x):
        return f(x, **params, **static)

    for _ in range(order):
        g = jax.grad(g)
    return jax.jit(jax.vmap(g))


def measure(name: str, static: dict, params: dict, dtype: str, order: int,
            xs: np.ndarray | None = None, tag: str | None = None) -> Measured | None:
    """Order 0, 1 or 2 on the test grid (or on ``xs``; points at kinks are dropped for a
    derivative).  On the test grid, the :data:`EXTREMES` too, in the same call (one compiled
    program).  None where the reference has no closed form for that order."""
    ref = REFS[name]
    refn = (ref.f, ref.df, ref.d2f)[order]
    if refn is None:
        return None
    dt = acc.DTYPES[dtype]
    kinks = kink_points(name, params, static)
    ext = extremes(dtype, ref.domain) if xs is None else np.zeros(0, dt)
    if xs is None:
        xs = acc.grid(dt, kinks=kinks, domain=ref.domain)
    if order:
        xs = xs[away_from(xs, kinks, rel=0)]
        ext = ext[away_from(ext, kinks, rel=0)]
    tag = tag or name
    args = {**params, **static}
    if not len(xs):
        empty = np.zeros(0)
        return Measured(xs, empty, empty, empty, acc.TOL[dtype][order])
    hi, lo = acc.reference(refn, xs, args, f"{tag}-{order}")
    scale_fn = (ref.scale_f, ref.scale_df, ref.scale_d2f)[order]
    scale = acc.reference(scale_fn, xs, args, f"{tag}-scale{order}")[0] if scale_fn else None
    got = np.asarray(derivs(name, static, params, order)(jnp.asarray(np.concatenate([xs, ext]))))
    if got.dtype != dt:
        raise AssertionError(f"{name}: result dtype {got.dtype} != input dtype {dt}")
    got, got_ext = got[:len(xs)], got[len(xs):]
    hi_ext = acc.reference(refn, ext, args, f"{name}-x{order}")[0] if len(ext) else np.zeros(0)
    return Measured(xs, got, hi, acc.ulp_error(got, hi, lo, dt, scale), acc.TOL[dtype][order],
                    ext, hi_ext, got_ext)


def measure_param(name: str, static: dict, params: dict, dtype: str, pname: str,
                  xs: np.ndarray, cancel_scale: bool = True) -> Measured:
    """df/d``pname`` at ``xs`` away from the kinks (the parameter an array, the others as
    given), against the reference's ``dparams[pname]``; the f' tolerance, with the
    reference's ``scale_dparams`` (``cancel_scale=False``: without it, stricter)."""
    f = ja.get(name)
    dt = acc.DTYPES[dtype]
    xs = xs[away_from(xs, kink_points(name, params, static), rel=0)]
    others = {k: v for k, v in params.items() if k != pname}

    def g(x, pv):
        return f(x, **{pname: pv}, **others, **static)

    pv = jnp.full(xs.shape, params[pname], dtype=dt)
    got = np.asarray(jax.jit(jax.vmap(jax.grad(g, argnums=1)))(jnp.asarray(xs), pv))
    ref, args = REFS[name], {**params, **static}
    hi, lo = acc.reference(ref.dparams[pname], xs, args, f"{name}-d{pname}")
    scale_fn = ref.scale_dparams.get(pname) if cancel_scale else None
    scale = acc.reference(scale_fn, xs, args, f"{name}-scale-d{pname}")[0] if scale_fn else None
    return Measured(xs, got, hi, acc.ulp_error(got, hi, lo, dt, scale), acc.TOL[dtype][1])
