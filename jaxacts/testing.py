"""Check an activation the way the jaxacts test-suite checks the built-in ones.

:func:`check_activation` takes a built-in name, an :class:`~jaxacts.Activation` declaration
(registered or not), a jaxacts function, or a plain JAX function of one array together with
its closed-form derivative (optionally the second derivative and the derivative chosen at each
kink), and runs:

* values, first and second derivatives in float32, bfloat16 and float16 against the same
  formulas evaluated in float64 (errors in ULP: at most 4 / 8 / 16 in float32 and 1 in the
  16-bit types, the library's own targets);
* the closed-form derivative against float64 finite differences of the function, and the
  second derivative (``grad(grad(f))``, which differentiates the derivative rule) against
  float64 finite differences of the closed-form derivative, on [-10, 10] away from kinks;
* ``jax.test_util.check_grads`` (orders 1 and 2, forward and reverse mode);
* the derivative at each declared kink, exactly;
* dtype preservation (float16, bfloat16, float32, float64);
* no NaN or inf in a value or derivative at extreme inputs (+-1e30, +-max, +-tiny, +-inf)
  where the float64 evaluation is finite;
* NaN in, NaN out (value and gradient);
* ``jit`` gives the same bits as eager execution.

Error rule: the error of a result against the float64 expectation ``e`` is counted in ULPs of
the tested dtype at ``|e|`` (at least the smallest normal number). Near a zero of the expected
quantity (a sign change within ``max(|x|, 1)/8`` of ``x``, not crossing 0), the ULP is taken at
the largest ``|e|`` within four times that distance: the scale of the terms that cancel there.

Example:

  >>> import jax.numpy as jnp
  >>> from jaxacts.testing import check_activation
  >>> report = check_activation(lambda x: x * jnp.tanh(x),
  ...                           derivative=lambda x: jnp.tanh(x) + x / jnp.cosh(x) ** 2)
  >>> report.raise_if_failed()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from jaxacts._src import registry
from jaxacts._src.jvp import build
from jaxacts._src.registry import Activation, Kink

__all__ = ["check_activation", "CheckReport", "Check", "ActivationCheckError", "TOL", "DTYPES"]

DTYPES = ("float64", "float32", "bfloat16", "float16")
#: Maximum ULP error for (value, first derivative, second derivative) per dtype.
TOL: dict[str, tuple[float, float, float]] = {
    "float64": (4, 8, 16),
    "float32": (4, 8, 16),
    "bfloat16": (1, 1, 1),
    "float16": (1, 1, 1),
}
_ORDER_WORDS = ("value", "derivative", "second derivative")
_FD_RANGE = 10.0
_FD_STEP = 2.0**-12
_FD_RTOL, _FD_ATOL = 1e-6, 1e-9


class ActivationCheckError(AssertionError):
    """Raised by :meth:`CheckReport.raise_if_failed`; the message is the plain report."""


@dataclasses.dataclass(frozen=True)
class Check:
    """The outcome of one check: ``status`` is ``"pass"``, ``"fail"`` or ``"skip"``."""

    name: str
    status: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status != "fail"


@dataclasses.dataclass
class CheckReport:
    """What :func:`check_activation` found, check by check, in plain words."""

    activation: str
    checks: list[Check] = dataclasses.field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, "pass" if ok else "fail", detail))

    def skip(self, name: str, why: str) -> None:
        self.checks.append(Check(name, "skip", why))

    def __str__(self) -> str:
        n_fail = len(self.failures)
        n_pass = sum(c.status == "pass" for c in self.checks)
        head = (f"check_activation({self.activation}): "
                + ("all checks passed" if not n_fail else f"{n_fail} check(s) FAILED")
                + f" ({n_pass} passed, {n_fail} failed, "
                f"{sum(c.status == 'skip' for c in self.checks)} skipped)")
        lines = [head]
        for c in self.checks:
            tag = {"pass": "ok  ", "fail": "FAIL", "skip": "skip"}[c.status]
            lines.append(f"  {tag} {c.name}" + (f": {c.detail}" if c.detail else ""))
        return "\n".join(lines)

    def raise_if_failed(self) -> None:
        """Raise :class:`ActivationCheckError` (an ``AssertionError``) if any check failed."""
        if not self.passed:
            raise ActivationCheckError(str(self))


@dataclasses.dataclass
class _Subject:
    label: str
    f: Callable[[jax.Array], jax.Array]  # the public function, parameters bound
    raw: Callable[[jax.Array], jax.Array]  # the primal formula (evaluated in float64)
    d1: Callable[[jax.Array], jax.Array]  # the closed-form derivative
    d2: Callable[[jax.Array], jax.Array] | None  # closed-form second derivative, if given
    kinks: list[tuple[float, float]]
    smoothness: float
    kind: str = "elementwise"
    random: bool = False
    domain: tuple[float, float] = (-math.inf, math.inf)

    def inside(self, x: np.ndarray, margin: float = 0.0) -> np.ndarray:
        xf = np.asarray(x, np.float64)
        return (xf > self.domain[0] + margin) & (xf < self.domain[1] - margin) | (
            np.isinf(xf) & (xf == np.clip(xf, *self.domain)) & (margin == 0))

    def interval(self, lo: float, hi: float, margin: float = 0.05) -> tuple[float, float]:
        """[lo, hi] intersected with the domain, kept ``margin`` inside it."""
        return max(lo, self.domain[0] + margin), min(hi, self.domain[1] - margin)

    def __post_init__(self) -> None:
        # Built once: jax.jit caches one compilation per (function, dtype) for the checks.
        self.F = tuple(_grad_n(self.f, k) for k in range(3))
        self.R = (jax.jit(self.raw), jax.jit(self.d1),
                  jax.jit(self.d2) if self.d2 is not None else self.F[2])


# ---------------------------------------------------------------------------------------------
# Building the subject


def _user_declaration(fn: Callable, derivative: Callable, second: Callable | None,
                      kinks: Mapping[float, float], name: str) -> Activation:
    d1 = derivative
    if second is not None:
        # The second derivative becomes the derivative of the derivative rule, so that
        # grad(grad(f)) is the user's closed form (as a built-in's would be).
        d1 = jax.custom_jvp(derivative)
        d1.defjvp(lambda p, t: (derivative(p[0]), second(p[0]) * t[0]))
    return Activation(
        name=name, family="custom", summary=f"User activation {name}.", formula="",
        derivative="", fn=fn, tangent=lambda t, x, y: t * d1(x),
        kinks=tuple(Kink(float(a), float(g)) for a, g in kinks.items()),
        smoothness=0 if kinks else math.inf,
    )


def _decl_subject(decl: Activation, public: Callable, params: Mapping[str, Any],
                  static: Mapping[str, Any]) -> _Subject:
    pnames = {p.name for p in decl.params}
    snames = {s.name for s in decl.static}
    unknown = (set(params) - pnames) | (set(static) - snames)
    if unknown:
        raise TypeError(f"check_activation: {decl.name} has no argument(s) "
                        f"{', '.join(sorted(unknown))}; parameters: "
                        f"{', '.join(sorted(pnames)) or 'none'}; static: "
                        f"{', '.join(sorted(snames)) or 'none'}")
    pv = {p.name: p.default for p in decl.params}
    pv.update(params)
    st = {s.name: s.default for s in decl.static}
    st.update(static)
    aux = {a: None for a in decl.aux}

    def ps(x):
        return [jnp.asarray(pv[p.name], x.dtype) for p in decl.params]

    def raw(x):
        return decl.fn(x, *ps(x), **st, **aux)

    def d1(x):
        return decl.tangent(jnp.ones_like(x), x, raw(x), *ps(x), **st, **aux)

    kinks = [(k.point(**pv), k.value(**pv)) for k in decl.kinks
             if all(st.get(s, None) == v for s, v in k.static.items())]
    label = decl.name + "".join(f", {k}={v!r}" for k, v in {**params, **static}.items())
    return _Subject(label, lambda x: public(x, **pv, **st), raw, d1, None, kinks,
                    decl.smoothness, decl.kind, decl.random)


def _subject(fn_or_name: Any, derivative: Callable | None, second: Callable | None,
             kinks: Mapping[float, float] | None, params: Mapping[str, Any],
             static: Mapping[str, Any], name: str | None) -> _Subject:
    if isinstance(fn_or_name, str):
        decl = registry.declaration(fn_or_name)
        return _decl_subject(decl, registry.get(decl.name), params, static)
    if isinstance(fn_or_name, Activation):
        decl = fn_or_name
        try:
            public = registry.get(decl.name)
            if registry.declaration(decl.name) is not decl:
                public = build(decl)
        except KeyError:
            public = build(decl)
        return _decl_subject(decl, public, params, static)
    if not callable(fn_or_name):
        raise TypeError("check_activation: expected an activation name, an Activation or a "
                        f"function, got {type(fn_or_name).__name__}")
    decl = getattr(fn_or_name, "declaration", None)
    if isinstance(decl, Activation) and derivative is None:
        return _decl_subject(decl, fn_or_name, params, static)
    if params or static:
        raise TypeError("check_activation: params/static apply to registered activations; "
                        "bind the parameters of a plain function yourself (functools.partial)")
    label = name or getattr(fn_or_name, "__name__", "function")
    if derivative is None:
        if second is not None:
            raise TypeError("check_activation: second_derivative needs derivative")
        g = jax.grad(fn_or_name)
        return _Subject(label + " (autodiff)", fn_or_name, fn_or_name,
                        lambda x: _elementwise(g, x), None,
                        [(float(a), float(v)) for a, v in (kinks or {}).items()],
                        0 if kinks else math.inf)
    decl = _user_declaration(fn_or_name, derivative, second, kinks or {}, label)
    public = build(decl)
    return _Subject(label, public, fn_or_name, derivative, second,
                    [(float(a), float(v)) for a, v in (kinks or {}).items()],
                    decl.smoothness)


# ---------------------------------------------------------------------------------------------
# Numerics


def _elementwise(g: Callable, x: jax.Array) -> jax.Array:
    """Apply a scalar function over an array of any shape."""
    return jax.vmap(g)(x.ravel()).reshape(x.shape)


def _grad_n(f: Callable, order: int) -> Callable:
    g = f
    for _ in range(order):
        g = jax.grad(g)
    return jax.jit(lambda x: _elementwise(g, x))


def _dtype(name: str) -> np.dtype:
    return np.dtype(getattr(ml_dtypes, name, None) or name)


def _finfo(dtype: np.dtype) -> Any:
    return ml_dtypes.finfo(dtype)


def _ulp(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    fi = _finfo(dtype)
    a = np.abs(np.asarray(a, np.float64))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.floor(np.log2(np.where((a > 0) & np.isfinite(a), a, 1.0)))
        u = np.exp2(e - fi.nmant)
    return np.maximum(np.where(np.isfinite(u) & (a > 0), u, 0.0), float(fi.tiny))


def _ulp_error(got: np.ndarray, want: np.ndarray, dtype: np.dtype,
               scale: np.ndarray | None = None) -> np.ndarray:
    g = np.asarray(got, np.float64)
    fi = _finfo(dtype)
    # what the float64 expectation becomes in the tested dtype (overflow -> inf)
    with np.errstate(over="ignore", invalid="ignore"):
        w = np.where(np.abs(want) > float(fi.max) * (1 + 2.0 ** -(fi.nmant + 1)),
                     np.copysign(np.inf, want), want)
        u = _ulp(np.where(np.isfinite(w), w, 0.0), dtype)
        if scale is not None:
            u = np.maximum(u, _ulp(scale, dtype))
        err = np.abs(g - w) / u
    inf = np.isinf(w)
    err = np.where(inf, np.where(g == w, 0.0, np.inf), err)
    err = np.where(~inf & np.isinf(g), np.inf, err)
    return np.where(np.isnan(g) | np.isnan(w), np.inf, err)


def _grid(dtype: np.dtype, kinks: Sequence[float]) -> np.ndarray:
    fi = _finfo(dtype)
    mags = np.exp(np.linspace(math.log(float(fi.tiny)), math.log(float(fi.max)), 240))
    pts = [np.linspace(-_FD_RANGE, _FD_RANGE, 801), mags, -mags, [0.0]]
    for k in kinks:
        if math.isfinite(k):
            kv = np.float64(np.asarray(k, dtype))
            u = float(_ulp(kv, dtype)[()]) if kv != 0 else float(fi.tiny)
            pts.append([kv, kv - u, kv + u])
    x = np.concatenate([np.asarray(p, np.float64) for p in pts])
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    x = np.unique(x[np.isfinite(x.astype(np.float64))].astype(np.float64))
    return x.astype(dtype)


def _away(x: np.ndarray, kinks: Sequence[float], dist: float = 0.0) -> np.ndarray:
    m = np.ones(x.shape, bool)
    xf = np.asarray(x, np.float64)
    for k in kinks:
        if math.isfinite(k):
            m &= np.abs(xf - k) > dist * (1 + abs(k))
    return m


_CHUNK = 2048


def _apply(jfn: Callable, x: np.ndarray) -> np.ndarray:
    """``jfn`` over a 1-D array in fixed-size chunks, so that each jitted function compiles
    once per dtype whatever the number of points."""
    x = np.asarray(x)
    out = []
    for i in range(0, max(len(x), 1), _CHUNK):
        part = x[i:i + _CHUNK]
        padded = np.zeros(_CHUNK, x.dtype)
        padded[:len(part)] = part
        out.append(np.asarray(jfn(jnp.asarray(padded)))[:len(part)])
    return np.concatenate(out)[:len(x)]


def _eval64(jfn: Callable, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _apply(jfn, np.asarray(x, np.float64)).astype(np.float64)


def _cancel_scale(fn: Callable, x: np.ndarray, want: np.ndarray) -> np.ndarray:
    """The scale of the terms that cancel near a zero of ``fn`` (0 elsewhere)."""
    xf = np.asarray(x, np.float64)
    a = np.abs(xf)
    if not np.all(np.isfinite(xf)):
        raise ValueError("_cancel_scale: finite inputs only")
    # a sign change within w (never across 0, where f(x) ~ c x needs no relaxation) marks a
    # zero; the terms that cancel there are as large as |fn| a few w away
    w = np.where(a < 0.25, a / 2, np.maximum(a, 1.0) / 8)
    k = np.array([-4, -2, -1, 1, 2, 4])[:, None]
    with np.errstate(over="ignore"):
        v = _eval64(fn, (xf + k * w).ravel()).reshape(len(k), -1)
    lo, hi = v[2], v[3]
    with np.errstate(invalid="ignore"):
        near = ((np.sign(lo) * np.sign(hi) < 0) | (want == 0)) & np.isfinite(lo) & np.isfinite(hi)
        big = np.max(np.abs(np.where(np.isfinite(v), v, 0.0)), axis=0)
        return np.where(near, big, 0.0)


def _fd(fn: Callable, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fourth-order central difference of ``fn`` in float64, a mask of the points where it can
    be trusted, and the largest |fn| it used.

    It is not trusted where the central differences with steps h and 2h disagree, or where the
    one-sided (forward and backward) differences disagree by more than 1e-3 relative: ``fn``
    has a kink there (an undeclared kink of a higher derivative, e.g. celu'' at 0).
    """
    h = _FD_STEP
    xs = np.asarray(x, np.float64)
    ks = (-4, -2, -1, 0, 1, 2, 4)
    vals = _eval64(fn, np.concatenate([xs + k * h for k in ks])).reshape(len(ks), -1)
    v = dict(zip(ks, vals, strict=True))
    d1 = (8 * (v[1] - v[-1]) - (v[2] - v[-2])) / (12 * h)
    d2 = (8 * (v[2] - v[-2]) - (v[4] - v[-4])) / (24 * h)
    fwd = (-3 * v[0] + 4 * v[1] - v[2]) / (2 * h)
    bwd = (3 * v[0] - 4 * v[-1] + v[-2]) / (2 * h)
    mag = np.max(np.abs(vals), axis=0)
    with np.errstate(invalid="ignore"):
        allowed = _FD_RTOL * np.abs(d1) + _FD_ATOL * (1 + mag)
        trusted = ((np.abs(d1 - d2) <= allowed)
                   & (np.abs(fwd - bwd) <= 1e3 * allowed))
    return d1, trusted, allowed


def _fmt(v: float) -> str:
    return f"{float(v):.6g}"


def _worst(kind: str, what: str, err: np.ndarray, x: np.ndarray, got: np.ndarray,
           want: np.ndarray, tol: float, unit: str = "ULP") -> str:
    bad = err > tol
    i = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
    e = err[i]
    size = "by inf" if not np.isfinite(e) else f"by {e:.3g} {unit}"
    return (f"{int(bad.sum())} of {len(x)} points above {tol:g} {unit}; {kind} differs from "
            f"{what} {size} at x={_fmt(x[i])} (got {_fmt(got[i])}, expected {_fmt(want[i])})")


# ---------------------------------------------------------------------------------------------
# The checks


def _check_accuracy(rep: CheckReport, s: _Subject, dtypes: Sequence[str], tol: Mapping) -> None:
    kink_pts = [k for k, _ in s.kinks]
    refs = s.R
    what = ("the function in float64", "the closed form in float64",
            "the closed form in float64" if s.d2 else "grad(grad(f)) in float64")
    for dname in dtypes:
        dt = _dtype(dname)
        xs = _grid(dt, kink_pts)
        xs = xs[s.inside(xs)]
        for order in range(3):
            x = xs if order == 0 else xs[_away(xs, kink_pts)]
            x64 = x.astype(np.float64)
            want = _eval64(refs[order], x64)
            got = _apply(s.F[order], x)
            name = f"{_ORDER_WORDS[order]} ({dname})"
            if got.dtype != dt:
                rep.add(name, False, f"result has dtype {got.dtype}, expected {dt}")
                continue
            scale = _cancel_scale(refs[order], x64, want)
            err = _ulp_error(got, want, dt, scale)
            t = tol[dname][order]
            ok = bool(np.all(err <= t))
            finite = np.isfinite(err)
            detail = (f"max {np.max(err[finite]) if finite.any() else 0:.3g} ULP over "
                      f"{len(x)} points" if ok else
                      _worst(_ORDER_WORDS[order], what[order], err, x64,
                             got.astype(np.float64), want, t))
            rep.add(name, ok, detail)


def _check_finite_differences(rep: CheckReport, s: _Subject) -> None:
    name1 = "closed-form derivative vs float64 finite differences"
    name2 = "second derivative vs float64 finite differences of the derivative"
    if s.smoothness < 0:
        for n in (name1, name2):
            rep.skip(n, "discontinuous: the derivative is a surrogate, not the true one")
        return
    x = np.linspace(-_FD_RANGE, _FD_RANGE, 401)
    x = x[s.inside(x, 8 * _FD_STEP)]
    x = x[_away(x, [k for k, _ in s.kinks], 4 * _FD_STEP)]
    pairs = ((name1, "derivative", "finite differences of f", s.R[1], s.R[0]),
             (name2, "second derivative", "finite differences of f'", s.F[2], s.R[1]))
    for name, kind, what, fn, base in pairs:
        want, trusted, allowed = _fd(base, x)
        got = _eval64(fn, x)
        with np.errstate(invalid="ignore"):
            rel = np.abs(got - want) / allowed
        rel = np.where(np.isnan(rel), np.inf, rel)
        bad = trusted & (rel > 1)
        n_skip = int((~trusted).sum())
        skipped = (f"; {n_skip} point(s) skipped where the differences are not reliable "
                   "(a kink of a higher derivative)" if n_skip else "")
        detail = (f"agree within {_FD_RTOL:g} relative at {int(trusted.sum())} points in "
                  f"[-{_FD_RANGE:g}, {_FD_RANGE:g}]{skipped}" if not bad.any() else
                  _worst(kind, what, np.where(trusted, rel, 0) * _FD_RTOL, x, got, want,
                         _FD_RTOL, "relative error"))
        rep.add(name, not bad.any(), detail)


def _check_grads(rep: CheckReport, s: _Subject) -> None:
    from jax.test_util import check_grads

    name = "jax.test_util.check_grads (fwd and rev)"
    if s.smoothness < 0:
        rep.skip(name, "discontinuous: the derivative is a surrogate, not the true one")
        return
    order = 2 if s.smoothness >= 2 else 1
    xs = np.random.default_rng(1).uniform(*s.interval(-3.0, 3.0), 64)
    xs = xs[_away(xs, [k for k, _ in s.kinks], 0.05)][:8]
    shape = (2, 4) if s.kind == "axis" else xs.shape
    try:
        check_grads(s.f, (jnp.asarray(xs.reshape(shape), jnp.float64),), order=order,
                    modes=("fwd", "rev"))
    except AssertionError as e:
        msg = " ".join(str(e).split())[:300]
        rep.add(f"{name}, order {order}", False, f"numerical and automatic derivatives "
                f"disagree: {msg}")
        return
    rep.add(f"{name}, order {order}", True, f"at {len(xs)} points in [-3, 3]")


def _check_kinks(rep: CheckReport, s: _Subject, dtypes: Sequence[str]) -> None:
    if not s.kinks:
        return
    bad = []
    for dname in dtypes:
        dt = _dtype(dname)
        got = _apply(s.F[1], np.array([a for a, _ in s.kinks]).astype(dt))
        for (at, want), g in zip(s.kinks, got, strict=True):
            if not g == np.asarray(want, dt):
                bad.append(f"f'({at:g}) is {_fmt(g)} in {dname}, declared {want:g}")
    rep.add("derivative at the kinks", not bad,
            "; ".join(bad[:4]) if bad else
            ", ".join(f"f'({a:g}) = {v:g}" for a, v in s.kinks) + " in every dtype")


def _check_dtypes(rep: CheckReport, s: _Subject) -> None:
    bad = []
    for dname in DTYPES:
        dt = _dtype(dname)
        x = np.full(3, 0.5, dt)
        for order, what in ((0, "output"), (1, "gradient")):
            got = (s.f(jnp.asarray(x)) if s.kind == "axis" and order == 0 else
                   None if s.kind == "axis" else _apply(s.F[order], x))
            if got is not None and got.dtype != dt:
                bad.append(f"{dname} input gave a {got.dtype} {what}")
    rep.add("dtype preserved (float16, bfloat16, float32, float64)", not bad, "; ".join(bad))


_EXTREMES = (1e30, -1e30, "max", "-max", "tiny", "-tiny", math.inf, -math.inf)


def _check_extremes(rep: CheckReport, s: _Subject, dtypes: Sequence[str]) -> None:
    refs = s.R
    kink_pts = [k for k, _ in s.kinks]
    bad = []
    for dname in dtypes:
        dt = _dtype(dname)
        fi = _finfo(dt)
        special = {"max": float(fi.max), "-max": -float(fi.max), "tiny": float(fi.tiny),
                   "-tiny": -float(fi.tiny)}
        with np.errstate(over="ignore"):
            xs = np.unique(np.array([special.get(v, v) for v in _EXTREMES]).astype(dt))
        xs = xs[s.inside(xs)]
        for order in range(3):
            x = xs if order == 0 else xs[_away(xs, kink_pts)]
            x64 = x.astype(np.float64)
            got = _apply(s.F[order], x).astype(np.float64)
            want = _eval64(refs[order], x64)
            # at +-inf a NaN reference says nothing: use the value at +-1e300 as the limit
            proxy = _eval64(refs[order], np.where(np.isinf(x64), np.sign(x64) * 1e300, x64))
            want = np.where(np.isinf(x64) & np.isnan(want), proxy, want)
            with np.errstate(over="ignore", invalid="ignore"):
                in_range = np.abs(want) <= float(fi.max)
            for xi, g, w, r in zip(x64, got, want, in_range, strict=True):
                wrong = ((np.isnan(g) and (np.isfinite(xi) or not np.isnan(w)))
                         or (np.isinf(g) and np.isfinite(w) and r)
                         or (np.isinf(w) and not np.isnan(g) and g != w))
                if wrong:
                    ref = ("the float64 evaluation gives" if np.isfinite(xi) else
                           "its limit (the float64 value at +-1e300) is")
                    bad.append(f"{_ORDER_WORDS[order]} at x={_fmt(xi)} ({dname}) is "
                               f"{_fmt(g)}, but {ref} {_fmt(w)}")
    rep.add("no NaN/inf at extreme inputs (+-1e30, +-max, +-tiny, +-inf)", not bad,
            "; ".join(bad[:4]) + (f" (and {len(bad) - 4} more)" if len(bad) > 4 else ""))


def _check_nan(rep: CheckReport, s: _Subject) -> None:
    x = np.asarray([np.nan, float(np.mean(s.interval(-0.5, 1.5)))], np.float32)
    y, d = _apply(s.F[0], x), _apply(s.F[1], x)
    bad = []
    if not np.isnan(y[0]):
        bad.append(f"f(nan) = {_fmt(y[0])}")
    if np.isnan(y[1]):
        bad.append("a NaN elsewhere in the array made f(0.5) NaN")
    if not np.isnan(d[0]):
        bad.append(f"the gradient at nan is {_fmt(d[0])} (the NaN disappeared)")
    rep.add("NaN in, NaN out (value and gradient)", not bad, "; ".join(bad))


def _check_jit(rep: CheckReport, s: _Subject) -> None:
    x = jnp.asarray(np.random.default_rng(0).uniform(*s.interval(-5.0, 5.0), 64), jnp.float32)
    grad = jax.grad(lambda v: jnp.sum(s.f(v)))
    bad = []
    for what, fn in (("value", s.f), ("gradient", grad)):
        eager, jitted = np.asarray(fn(x)), np.asarray(jax.jit(fn)(x))
        diff = eager != jitted
        if diff.any():
            i = int(np.argmax(diff))
            bad.append(f"{what} differs at {int(diff.sum())} of {x.size} points, e.g. "
                       f"x={_fmt(x[i])}: eager {_fmt(eager[i])}, jit {_fmt(jitted[i])}")
    rep.add("jit == eager (bitwise, float32)", not bad, "; ".join(bad))


def check_activation(fn_or_name: str | Activation | Callable[..., Any],
                     derivative: Callable[[jax.Array], jax.Array] | None = None,
                     second_derivative: Callable[[jax.Array], jax.Array] | None = None,
                     *, kinks: Mapping[float, float] | None = None,
                     params: Mapping[str, Any] | None = None,
                     static: Mapping[str, Any] | None = None,
                     dtypes: Sequence[str] = DTYPES,
                     tol: Mapping[str, tuple[float, float, float]] | None = None,
                     name: str | None = None,
                     domain: tuple[float, float] | None = None) -> CheckReport:
    """Run the jaxacts test-suite's checks on one activation and report in plain words.

    Args:
      fn_or_name: a registered name (``"gelu"``), an :class:`~jaxacts.Activation` (registered
        or not), a jaxacts function, or a plain JAX function of one array.
      derivative: for a plain function, its closed-form derivative (a function of ``x``).
        Without it, the function's JAX autodiff derivative is checked.
      second_derivative: optional closed-form second derivative of a plain function; without
        it the second derivative is ``grad`` of ``derivative``, checked against finite
        differences.
      kinks: ``{x: derivative chosen there}`` for a plain function's kinks (excluded from the
        smooth checks, checked exactly).
      params, static: parameter and static values of a registered activation (defaults
        otherwise), e.g. ``params={"negative_slope": 0.2}``.
      dtypes: the dtypes of the accuracy, kink and extreme-input checks.
      tol: overrides of :data:`TOL`, ``{dtype: (value, derivative, second) ULP}``.
      name: a label for a plain function in the report.
      domain: ``(low, high)``, the open interval where the function is defined (default the
        whole line; e.g. ``(0, inf)`` for ``log1mexp``). Points outside are not tested.

    Returns:
      A :class:`CheckReport`; ``report.passed``, ``report.failures`` and
      ``report.raise_if_failed()``. ``str(report)`` is the plain report.

    Raises:
      KeyError: unknown activation name (with close matches).
      TypeError: arguments that do not fit the kind of ``fn_or_name``.
      ValueError: an unknown dtype name.
    """
    unknown = [d for d in dtypes if d not in DTYPES]
    if unknown:
        raise ValueError(f"check_activation: unknown dtype(s) {unknown}; allowed: {DTYPES}")
    tols = {**TOL, **(tol or {})}
    with jax.enable_x64(True):
        s = _subject(fn_or_name, derivative, second_derivative, kinks, dict(params or {}),
                     dict(static or {}), name)
        if domain is not None:
            lo, hi = float(domain[0]), float(domain[1])
            if not lo < hi:
                raise ValueError(f"check_activation: domain must be (low, high) with low < high, "
                                 f"got {domain!r}")
            s.domain = (lo, hi)
        rep = CheckReport(s.label)
        if s.random:
            rep.skip("all checks", "random activations (they take a PRNG key) are checked by "
                     "the test-suite's own statistical tests")
            return rep
        if s.kind == "axis":
            for n in ("accuracy", "finite differences", "kinks", "extreme inputs"):
                rep.skip(n, "elementwise checks do not apply to an activation along an axis")
            _check_grads(rep, s)
            _check_dtypes(rep, s)
            _check_jit(rep, s)
            return rep
        _check_accuracy(rep, s, dtypes, tols)
        _check_finite_differences(rep, s)
        _check_grads(rep, s)
        _check_kinks(rep, s, dtypes)
        _check_dtypes(rep, s)
        _check_extremes(rep, s, dtypes)
        _check_nan(rep, s)
        _check_jit(rep, s)
    return rep
