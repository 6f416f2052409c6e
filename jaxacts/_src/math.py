"""Numerical building blocks shared by the declarations.

Everything here is written so that no unselected branch of a ``where`` produces inf/NaN
(the double-``where`` rule) and so that it stays accurate in the tails.  The helpers that the
tangent rules are built from carry their own closed-form derivative (``jax.custom_jvp``), so
that differentiating a rule (second derivatives, ``jax.hessian``) stays exact instead of
inheriting XLA's cancelling derivative formulas (``logistic``'s ``y * (1 - y)`` for one).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from collections.abc import Callable, Iterator, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero

LN2 = math.log(2.0)

_TARGET16: contextvars.ContextVar[bool] = contextvars.ContextVar("jaxacts_target16",
                                                                default=False)


@contextlib.contextmanager
def rounded_to_16bit(flag: bool) -> Iterator[None]:
    """Trace the enclosed rules as computing, in float32, a result rounded to bfloat16/float16.

    The builder sets this around a declaration's function and tangent rules when it upcasts
    a 16-bit input (:func:`target16`).
    """
    token = _TARGET16.set(flag)
    try:
        yield
    finally:
        _TARGET16.reset(token)


def target16() -> bool:
    """True while tracing a rule whose float32 result is rounded once to a 16-bit float.

    An error-free transformation there only refines bits that this rounding drops: a float32
    argument of ``exp`` off by ``|w| 2^-24`` (``|w| < 104`` before it underflows) moves the
    result by 6e-6 relative, 1/600 of a bfloat16 ULP and 1/150 of a float16 one, and the
    product of two 16-bit values (at most 11 significant bits each) is exact in float32.  So
    a rule may skip such a correction when this holds, never an exact range reduction
    (a periodic argument ``a x`` needs every bit of its product at any precision).
    """
    return _TARGET16.get()


def safe_where(cond: jax.Array, x: jax.Array, safe: float | jax.Array) -> jax.Array:
    """``x`` where ``cond`` holds and a harmless ``safe`` value elsewhere.

    Used as the inner ``where`` of the double-``where`` rule: feed the result to a function
    that would overflow or produce NaN on the values excluded by ``cond``.
    """
    return jnp.where(cond, x, safe)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def clamp(x: jax.Array, lo: float, hi: float) -> jax.Array:
    """``x`` limited to [lo, hi] (NaN passes through; derivative 1 on [lo, hi], 0 outside).

    Rules use it where the true derivative has long reached its limit to the last bit, so
    that ``inf * 0`` never happens at +-inf.

    The value is ``min(max(x, lo), hi)``, the same bits as a pair of selects, but XLA's CPU
    fusion copies it into every loop that reads it, where it stored two selects in an array
    of their own when more than one fusion of a backward pass read them (gelu's
    forward+backward three loops -> two; smish, serf and tanhexp two -> one).  The JVP is
    the selects' (1 at the bounds themselves, not the 1/2 of ``max``'s own rule at a tie).
    """
    return jnp.minimum(jnp.maximum(x, lo), hi)


@clamp.defjvp
def _clamp_jvp(lo: float, hi: float, primals: tuple, tangents: tuple):
    (x,), (t,) = primals, tangents
    return clamp(x, lo, hi), jnp.where(x > hi, 0, jnp.where(x < lo, 0, t))


def times(x: jax.Array, g: jax.Array) -> jax.Array:
    """``x * g`` that is 0 (not NaN) where ``g`` underflowed to 0 and ``x`` is infinite.

    ``x`` itself is replaced (double-``where``), so that reverse-mode derivatives do not
    compute 0 * inf either.
    """
    return jnp.where(g == 0, 0, x) * g


def _with_derivative(deriv: Callable[[jax.Array], jax.Array]):
    """Decorate a one-argument helper with the JVP ``t * deriv(x)``."""

    def wrap(fn: Callable[[jax.Array], jax.Array]):
        f = jax.custom_jvp(fn)
        f.defjvp(lambda p, t: (f(p[0]), t[0] * deriv(p[0])))
        f.__doc__ = fn.__doc__
        return f

    return wrap


def dsigmoid(x: jax.Array) -> jax.Array:
    """sigmoid'(x) = sigmoid(x) sigmoid(-x), accurate in both tails (not ``y (1 - y)``)."""
    return _dsigmoid(x)


@_with_derivative(lambda x: -_dsigmoid(x) * tanh(x * 0.5))
def _dsigmoid(x):
    # A (1 - A) with A = sigmoid(-|x|): one exp, one division.  Its derivative (above) is
    # -sigmoid'(x) tanh(x/2), without the 1 - 2A cancellation near 0.
    # |x| spelled apart from sigmoid's (the same values, bit for bit), so that XLA does not
    # share one array between the value and the derivative: in a forward+backward program it
    # computed that array once, wrote it and read it twice (8 array passes to jax.nn's 5);
    # apart, the backward recomputes it from x where it is consumed (6 passes: sigmoid's
    # forward+backward 0.69x -> 0.93x jax.nn, float32; glu's training step 40 -> 33 MiB).
    a = 1 / (1 + jnp.exp(jnp.where(x < 0, -x, x)))
    return a * (1 - a)


def _sigmoid_small(x):
    # A = sigmoid(-|x|) = 1 / (1 + e^{|x|}): the exp and the reciprocal in one array, which
    # sigmoid and its derivative share.  In a training step XLA keeps that array and the
    # output between the passes (two arrays; r = 1/(1 + q) and q were three).  A reciprocal
    # last: XLA's CPU reciprocal is twice as fast as a division, and q * (1 / (1 + q)) makes
    # XLA keep two arrays.  e^{|x|} overflows only where A is below the smallest normal.
    # (Never differentiated: sigmoid and dsigmoid carry closed-form derivatives.)  |x| as
    # jnp.abs, one operation where a compare and a select were two: forward 1.16-1.19x on the
    # CPU, the same bits; _dsigmoid spells it as a select, so XLA still keeps them apart.
    return 1 / (1 + jnp.exp(jnp.abs(x)))


@_with_derivative(dsigmoid)
def sigmoid(x: jax.Array) -> jax.Array:
    """Logistic sigmoid with the accurate derivative ``dsigmoid``: A or 1 - A (see above)."""
    a = _sigmoid_small(x)
    return jnp.where(x < 0, a, 1 - a)


def _dsech2(x):
    # -2 sech^2 tanh directly: through 4 sigmoid'(2x) the factor sigmoid''(2x) ~ -x/4 is a
    # subnormal (flushed) intermediate for tiny x.
    return -2 * sech2(x) * tanh(x)


@_with_derivative(_dsech2)
def sech2(x: jax.Array) -> jax.Array:
    """sech^2(x) = 4 sigmoid'(2x) (exact scaling; 0 for |x| beyond the overflow of 2x)."""
    return 4 * _dsigmoid(2 * x)


# tanh z = z + z w R(w), w = z^2 <= 0.625^2: R fitted by Chebyshev interpolation (mpmath, 80
# digits; max relative error 4.8e-9 with 6 terms for float32, 6.3e-17 with 12 for float64).
# The correction z w R is at most 0.13 z, so its rounding is a small part of an ULP.
_TANH_R32 = (-0.3333333317214036, 0.1333330355691574, -0.053959259577204544, 0.02176891865102821,
             -0.008343945515839153, 0.002292744816178142)
_TANH_R64 = (-0.3333333333333333, 0.13333333333333042, -0.05396825396789699, 0.021869488519008305,
             -0.008863235103240878, 0.0035921217511549622, -0.0014557754120478055,
             0.0005896606577757043, -0.0002375906496055562, 9.257116129556769e-05,
             -3.12011014257974e-05, 6.485163482793113e-06)


@_with_derivative(sech2)
def tanh(x: jax.Array) -> jax.Array:
    """tanh within about 1.5 ULP: ``z + z w R(w)`` (w = z^2) near 0, ``(1 - e^{-2|x|}) /
    (1 + e^{-2|x|})`` beyond |x| = 0.625.

    (XLA's tanh is up to 3 ULP off near 0 in float32, which made softcap(7.0875, cap=50)
    4.15 ULP off, and 6 ULP near |x| = 19 in float64.)
    """
    if target16():  # XLA's float32 tanh is a few float32 ULP off: far below a 16-bit ULP
        return jnp.tanh(x)
    a = jnp.abs(x)
    u = jnp.exp(-2 * a)
    small = a < 0.625
    # x itself in the series, not a select of it: the series' overflow beyond |x| = 1e19 is
    # never selected, and the value is never differentiated (tanh carries its derivative).
    # One select fewer: 1.05-1.1x faster on the CPU, the same bits.
    w = x * x
    coeffs = _TANH_R32 if jnp.finfo(x.dtype).nmant <= 23 else _TANH_R64
    return jnp.where(small, x + x * (w * poly(w, coeffs)), jnp.copysign((1 - u) / (1 + u), x))


def log1p_unit(e: jax.Array) -> jax.Array:
    """log(1 + e) for e in [-1/2, 1] (NaN gives NaN): log(u) + du / u with u + du = 1 + e
    exactly.

    Measured against mpmath: within 1.5 ULP in float32 and 1 ULP in float64 (XLA's log1p: 2.4
    and 2), and 2.7x faster than XLA's log1p on the CPU.  The 1 is made to depend on e, or XLA
    would fold the exact sum around the constant under jit.  For e < 0, u = 1 + e >= 1/2 is
    where log is accurate, and du keeps the bits of e that 1 + e drops (log(1 - e^{-1}) was
    2.9 ULP off in float32 through the rounded 1 - e^{-1}, 1.9 this way).
    """
    u, du = two_sum(jnp.where(jnp.isnan(e), e, 1), e)
    return jnp.log(u) + du / u


# log1p(e) / e on [0, 1], Chebyshev-fitted (benchmarks/fit_polynomials.py): relative error of the
# fit 5.3e-9 (0.04 float32 ULP) with 10 terms, 3.9e-17 (0.2 float64 ULP) with 21.
_LOG1P32 = (0.999999994656292, -0.49999892648063277, 0.3332971049891775, -0.24951616262872076,
            0.19663274257204805, -0.15269667074363288, 0.10543623795419527,
            -0.05637361283010733, 0.019542527261014103, -0.00317605701843196)
_LOG1P64 = (1.0, -0.4999999999999908, 0.33333333333197523, -0.24999999992009522,
            0.19999999749856523, -0.16666661848248537, 0.14285651975275926,
            -0.12499427063514382, 0.11107211585299538, -0.09979768096586568,
            0.09009095815198633, -0.08070954578430206, 0.07015296236526472,
            -0.05718978534193906, 0.041925709853904154, -0.026398779480743217,
            0.013598778090617254, -0.0054217339910016095, 0.0015535244034334333,
            -0.0002827421139374107, 2.4437973948580947e-05)


def log1p_01(e: jax.Array) -> jax.Array:
    """log(1 + e) for e in [0, 1] (the e = e^{-|x|} of softplus and log_sigmoid; NaN gives
    NaN): e P(e), P a polynomial fit of log1p(e) / e (``_LOG1P32`` / ``_LOG1P64``).

    No log and no division: on the CPU softplus's forward pass took 2.3-2.6x less time than
    with :func:`log1p_unit` (float32 and float64, 2^22 elements), and its values were as
    accurate (measured against mpmath: within 1.6 ULP in float32 where log1p_unit gave 1.8,
    2 ULP in float64 as before, both counting exp's rounding).  Only for a value: the
    derivative of the polynomial is not the closed form.
    """
    coeffs = _LOG1P32 if jnp.finfo(e.dtype).nmant <= 23 else _LOG1P64
    return e * poly(e, coeffs)


@_with_derivative(sigmoid)
def softplus(x: jax.Array) -> jax.Array:
    """log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}), with derivative ``sigmoid``."""
    neg = jnp.where(x > 0, -x, x)
    return jnp.where(x > 0, x, 0) + log1p_01(jnp.exp(neg))


def _d_inv_expm1(x):
    # d/dx 1/(e^x - 1) = -e^x / (e^x - 1)^2 = 1 / (expm1(x) expm1(-x)): no overflow of e^x.
    return 1 / (jnp.expm1(x) * jnp.expm1(-x))


@_with_derivative(_d_inv_expm1)
def inv_expm1(x: jax.Array) -> jax.Array:
    """1 / (e^x - 1)."""
    return 1 / jnp.expm1(x)


def expm1_nonpositive(u: jax.Array, e: jax.Array) -> jax.Array:
    """``expm1(u)`` for ``u <= 0`` given ``e = exp(u)``, cheaper than XLA's expm1 and as accurate.

    Below -ln 2, ``e - 1`` loses nothing (e < 1/2, so one ULP of e is at most one of the
    result); above, a Taylor polynomial (alternating, |u| < 0.7: about 1 ULP).  Sharing ``e``
    with the derivative lets XLA compute one exp for a training step's forward and backward.
    """
    small = u > -math.log(2)
    us = jnp.where(small, u, jnp.zeros_like(u))
    n = 17 if u.dtype == jnp.float64 else 10
    q = jnp.full_like(u, 1 / math.factorial(n))
    for j in range(n - 1, 0, -1):
        q = q * us + 1 / math.factorial(j)
    return jnp.where(small, us * q, e - 1)


def one_minus_exp(u: jax.Array) -> jax.Array:
    """1 - e^u for u <= 0: sigma(-x) from u = log_sigmoid(x), sigma(x) from u = -softplus(x).

    Accurate (the relative condition number is below 1), so those derivatives come from the
    output alone and a training step keeps no other array.
    """
    return -expm1_nonpositive(u, jnp.exp(u))


def poly(z: jax.Array, coeffs: Sequence[float]) -> jax.Array:
    """Horner evaluation of sum(coeffs[k] * z**k)."""
    acc = jnp.full_like(z, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = acc * z + c
    return acc


def odd_series(x: jax.Array, coeffs: Sequence[float]) -> jax.Array:
    """x^3 * sum(coeffs[k] * x^(2k)): the small-|x| branch of a cancelling odd function."""
    return x * x * x * poly(x * x, coeffs)


def tanh_minus_x_sech2(z: jax.Array) -> jax.Array:
    """tanh z - z sech^2 z without the cancellation near 0 (the softcap ``cap`` derivative).

    Equal to sech^2(z) (sinh(2z) - 2z) / 2, whose series sum_k (2z)^(2k+1) / (2 (2k+1)!)
    has positive terms, so it is used for |z| < 2; the direct form cancels less than a factor
    1.2 beyond.
    """
    small = jnp.abs(z) < 2
    zs = jnp.where(small, z, 0)
    series = sech2(zs) * odd_series(zs, _SINH_MINUS_X)
    zb = jnp.where(small, 2, z)
    direct = tanh(zb) - zb * sech2(zb)
    return jnp.where(small, series, direct)


def x_minus_tanh(x: jax.Array) -> jax.Array:
    """x - tanh x without the cancellation near 0 (tanh_shrink).

    Equal to (x cosh x - sinh x) / cosh x, whose series sum_k 2k x^(2k+1) / (2k+1)! has
    positive terms, so it is used for |x| < 2; the direct form is exact to 1 ULP beyond.
    """
    small = jnp.abs(x) < 2
    xs = jnp.where(small, x, 0)
    series = odd_series(xs, _XCOSH_MINUS_SINH) / jnp.cosh(xs)
    # The direct form from |x| (tanh is odd, bit for bit): max(|x|, 2), not a select on x,
    # which XLA's CPU fusion stored in an array of its own (two loops).
    a = jnp.maximum(jnp.abs(x), 2)
    return jnp.where(small, series, jnp.copysign(a - tanh(a), x))


# (sinh(2z) - 2z)/2 = sum_k 4^k z^(2k+1) / (2k+1)!, k >= 1, as coefficients of z^3 * z^(2j)
_SINH_MINUS_X = tuple(4.0 ** k / math.factorial(2 * k + 1) for k in range(1, 20))
# x cosh x - sinh x = sum_k 2k x^(2k+1) / (2k+1)!, k >= 1
_XCOSH_MINUS_SINH = tuple(2.0 * k / math.factorial(2 * k + 1) for k in range(1, 15))



# ------------------------------------------------------------------ double-word arithmetic
# A gate sigma(w) with |w| up to ~700 multiplies the rounding error of w by |w|: a value of
# x * sigma(w) in the tail is only accurate if w is known to more than working precision.
# These helpers carry w as an unevaluated sum hi + lo (error-free transformations; XLA does
# not reassociate floating-point arithmetic, which is checked under jit by the tests).


def _split_factor(dtype) -> float:
    return 4097.0 if jnp.finfo(dtype).nmant <= 23 else 134217729.0  # 2^12 + 1, 2^27 + 1


def _split(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    t = a * _split_factor(a.dtype)
    hi = t - (t - a)
    return hi, a - hi


def two_prod(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """a * b = p + e exactly (Dekker, no FMA); |a|, |b| must stay well below overflow."""
    # p passes through a select: otherwise the CPU compiler may contract ah * bh - p into an
    # FMA that uses the unrounded a * b in some uses of p and not others (hi and lo of
    # different products).
    p = jnp.where(jnp.isnan(a), a, a * b)
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def no_low_part(lo: jax.Array | float) -> bool:
    """True for a double word's low part given as the Python float 0.0 (no correction to
    apply: :func:`scale_dd` under :func:`target16`, silu's fast ``beta = 1``), so that no
    ``* 0`` reaches the program."""
    return isinstance(lo, float) and lo == 0.0


def scale_dd(x: jax.Array, b: jax.Array,
             b_lo: float = 0.0) -> tuple[jax.Array, jax.Array | float]:
    """x * (b + b_lo) as hi + lo; lo is exact where |hi| < 1e3 (where a gate sigma(hi) still
    varies) and 0 elsewhere, so that the splitting never overflows.  (lo = 0.0, a Python
    float, under :func:`target16`.)"""
    z = x * b
    if target16():
        return z, 0.0
    ok = jnp.abs(z) < 1e3
    xs = jnp.where(ok, x, 0)
    _, ze = two_prod(xs, jnp.where(ok, b, 0))
    return z, lax.stop_gradient(ze + xs * b_lo)


def ratio_dd(x: jax.Array, s: jax.Array) -> tuple[jax.Array, jax.Array | float]:
    """x / s as hi + lo, lo the rounding error of the division to first order (lo = 0 where
    |hi| >= 1e3, where hi or x is within 2^(p+2) of the smallest normal number, or where the
    splitting is not finite; lo = 0.0, a Python float, under
    :func:`target16`).  For an argument whose error an ``exp`` multiplies by |x / s|: celu's
    e^{x / alpha} at alpha = 0.056 was 87 ULP off in float32, 124 in float64.

    hi = x (1 / s) (under jit, XLA's simplifier turns a division by a constant into that
    product, and jit must equal eager); x - hi s is exact (hi s is within a few ULP of x), and
    so is hi s = p + pe (Dekker)."""
    inv = 1 / s
    q = x * inv
    if target16():
        return q, 0.0
    # Not near the smallest normal number either: the splitting's partial products flush there
    # and lo came out as large as hi (softcap'' at x = -tiny, cap = 0.042, was twice its value).
    fi = jnp.finfo(x.dtype)
    low = float(fi.tiny) * 2.0 ** (fi.nmant + 2)
    ok = (jnp.abs(q) < 1e3) & (jnp.abs(q) >= low) & (jnp.abs(x) >= low)
    qs = jnp.where(ok, q, 0)
    p, pe = two_prod(qs, s)
    lo = ((jnp.where(ok, x, 0) - p) - pe) * inv
    return q, lax.stop_gradient(jnp.where(jnp.isfinite(lo), lo, 0))


def two_sum(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """a + b = s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def low_flushes(e: jax.Array) -> jax.Array:
    """Where ``e`` is within 2^(p+1) of the smallest normal number: there a relative correction
    e el (|el| <= 2^-p) is below it and flushes to 0."""
    fi = jnp.finfo(e.dtype)
    return jnp.abs(e) < float(fi.tiny) * 2.0 ** (fi.nmant + 1)


def with_low(e: jax.Array, el: jax.Array) -> jax.Array:
    """e (1 + el) for a small relative correction el (e^{n + nl} = e^n (1 + nl)): ``e + e el``
    (one rounding), but as ``e * (1 + el)`` where e el would flush (:func:`low_flushes`):
    e^-681 (float64), corrected by 1.6e-14, lost 71 ULP (acon_c's d/dp1 at beta (p1 - p2) x =
    -681)."""
    return jnp.where(low_flushes(e), e * (1 + el), e + e * el)


def const_dd(value: str, dtype) -> tuple[float, float]:
    """A decimal constant as hi + lo in ``dtype`` (``value`` given to 35 digits)."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 50
        d = decimal.Decimal(value)
        hi = float(np.asarray(float(d), dtype=np.dtype(dtype)))
        return hi, float(d - decimal.Decimal(hi))


def _exp_shift(dtype) -> float:
    # e^n flushes to zero below log(tiny): -87.3 (float32), -708.4 (float64).  n + c is exact
    # for n in [-2c, -c/2] (Sterbenz), and e^{-c/2} is below half an ULP of 1 in both.
    return 64.0 if jnp.finfo(dtype).nmant <= 23 else 512.0


def mul_exp(k: jax.Array, n: jax.Array) -> jax.Array:
    """k * e^n, also where e^n alone is below the smallest normal but the product is not
    (x e^x at x = -90 in float32 is 7e-38, while e^-90 flushes to 0).  One ``exp``."""
    e, scale = exp_scaled(n)
    return times(k * scale, e)


def exp_scaled(n: jax.Array, x: jax.Array | None = None,
               dn: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
    """(e, s) with e^n = e * s, e a normal number wherever e^n * 2^c is (c = 64 or 512).
    With ``x`` and ``dn`` (dn/dx in closed form), e carries its derivative as
    :func:`exp_along` does (n then computed from ``lax.stop_gradient(x)``)."""
    c = _exp_shift(n.dtype)
    # Only where e^n is about to flush (one rounding more there); n + c is exact.
    low = n < math.log(float(jnp.finfo(n.dtype).tiny)) + 1
    arg = jnp.where(low, n + c, n)
    e = jnp.exp(arg) if dn is None else exp_along(x, arg, dn)
    return e, jnp.where(low, math.exp(-c), 1.0).astype(n.dtype)


def dsigmoid_scaled(n: jax.Array, nl: jax.Array | float = 0.0, x: jax.Array | None = None,
                    dn: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
    """(d, s) with sigmoid'(n + nl) = d * s for n <= 0 (``nl`` a low part, first order):
    d = e / (1 + e s)^2 with e^n = e s from :func:`exp_scaled` (``x``, ``dn`` as there), so d
    stays normal until the caller's factors have multiplied it; sigmoid'(n) alone flushes
    where, say, x^2 sigmoid'(n) is 1e-34.  With ``x``, d's derivative is e' (1 - e^n) /
    (1 + e s)^3 with 1 - e^n from expm1: the chain rule's e' r^2 - 2 e s r^3 e' cancels to 0
    near n = 0 (softcap'' = -2z/c there)."""
    e, scale = exp_scaled(n, x, dn)
    if not no_low_part(nl):
        e = with_low(e, nl)
    if x is None:
        r = 1 / (1 + e * scale)
        return e * (r * r), scale
    return _ratio_sq(e, -exp_along(x, n, dn, minus_one=True), scale), scale


@jax.custom_jvp
def _ratio_sq(e: jax.Array, om: jax.Array, scale: jax.Array) -> jax.Array:
    """e / (1 + e scale)^2, whose derivative in e is om / (1 + e scale)^3 with om = 1 - e scale
    given without cancellation; om and scale have no derivative of their own here (om's
    enters through the rule's output, a second order on)."""
    r = 1 / (1 + e * scale)
    return e * (r * r)


@_ratio_sq.defjvp
def _ratio_sq_jvp(primals, tangents):
    e, om, scale = primals
    r = 1 / (1 + e * scale)
    # om (about -n, tiny next to n = 0) last: om r^3 alone was below the smallest normal number
    # at x = tiny where dyt'' (gamma alpha^3 scales it) is not.
    return e * (r * r), (tangents[0] * (r * (r * r))) * om


def sigmoid_along(z: jax.Array, zl: jax.Array | float, x: jax.Array,
                  dz: jax.Array) -> jax.Array:
    """sigmoid(z + zl) (``zl`` a low part, first order) whose x-derivative sigma'(z) dz is
    formed from a rescaled e^-|z| (:func:`exp_scaled`): the chain sigmoid' -> z -> x flushed
    sigma'(z) to 0 first where sigma'(z) dz is still a normal number (softplus' = sigmoid(beta
    x), beta > 20).  z = z(x, p) from ``lax.stop_gradient(x)``, dz = dz/dx (see
    :func:`exp_along`)."""
    neg = z < 0
    e, scale = exp_scaled(jnp.where(neg, z, -z), x, jnp.where(neg, dz, -dz))
    if not no_low_part(zl):
        e = with_low(e, jnp.where(neg, zl, -zl))
    a = (e / (1 + e * scale)) * scale
    return jnp.where(neg, a, 1 - a)


def sech2_scaled(z: jax.Array, zl: jax.Array | float, x: jax.Array,
                 dz: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(d, s) with sech^2(z + zl) = d * s (``zl`` a low part, first order), d = 4 sigmoid'(-2|z|)
    rescaled as in :func:`dsigmoid_scaled`: the caller multiplies its factors into d before s,
    so a parameter-scaled k sech^2 (dyt's gamma alpha, softcap's 1 / cap in the second
    derivative) is a normal number wherever the result is (sech^2 alone flushed first: softcap
    at cap = 0.117 lost f'' below 40 times the smallest normal number).  z = z(x, p) computed
    from ``lax.stop_gradient(x)``, dz = dz/dx in closed form (see :func:`exp_along`)."""
    pos = z > 0
    n = jnp.where(pos, -2 * z, 2 * z)
    nl = 0.0 if no_low_part(zl) else jnp.where(pos, -2 * zl, 2 * zl)
    d, scale = dsigmoid_scaled(n, nl, x, jnp.where(pos, -2 * dz, 2 * dz))
    return 4 * d, scale


def x_sigmoid(x: jax.Array, w: jax.Array, we: jax.Array | float = 0.0) -> jax.Array:
    """x * sigmoid(w + we) for a double-word argument, accurate into the underflow tail."""
    return x_sigmoid_parts(x, w, we)[0]


def exp_along(x: jax.Array, n: jax.Array, dn: jax.Array, minus_one: bool = False) -> jax.Array:
    """e^n for n = n(x, p) with dn/dx = ``dn`` in closed form: the derivative with respect to
    x is (e^n dn) t_x as one coefficient, the derivative through anything else n depends on
    (a parameter p) is e^n t_n.  ``n`` must therefore be computed from ``lax.stop_gradient(x)``
    (its tangent is its dependence on the parameters alone); ``dn`` is an ordinary function of
    x and p.  In reverse mode the chain e^n -> n -> x multiplies a cotangent by e^n first,
    which can fall below the smallest normal number before dn (large there) brings it back.
    The coefficient e^n dn is formed from a rescaled e^n (:func:`exp_scaled`), so it is a
    normal number wherever the product is, also where e^n alone flushes (celu'' =
    e^{x/alpha} / alpha).  Every order of derivative is exact: the coefficient is itself
    built on ``exp_along``.  (Before, n's own tangent was dropped: celu's d/dalpha of f' was
    0, tests/test_mixed.py.)  ``minus_one``: e^n - 1 (XLA's expm1), with the same derivative."""
    return _exp_along(minus_one, x, n, dn)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _exp_along(minus_one, x, n, dn):
    return jnp.expm1(n) if minus_one else jnp.exp(n)


def _exp_along_jvp(minus_one, primals, tangents):
    x, n, dn = primals
    tx, tn, _ = tangents  # dn's tangent is not needed: e^n does not depend on dn
    y = _exp_along(minus_one, x, n, dn)
    out = None
    if not isinstance(tx, SymbolicZero):
        es, scale = exp_scaled(n, x, dn)
        out = ((es * dn) * scale) * tx
    if not isinstance(tn, SymbolicZero):
        en = y + 1 if minus_one else y
        out = en * tn if out is None else out + en * tn
    return y, jnp.zeros_like(y) if out is None else out


_exp_along.defjvp(_exp_along_jvp, symbolic_zeros=True)


def x_sigmoid_parts(x: jax.Array, w: jax.Array, we: jax.Array | float = 0.0,
                    dw: jax.Array | float | None = None,
                    slope: jax.Array | float | None = None,
                    w_stop: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
    """``(y, g)``: y = x sigmoid(W), W = w + we, and the signed gate ``g`` that, with y alone,
    gives the derivative (:func:`x_sigmoid_grad`, same ``dw``).

    |g| = Q r = min(sigmoid(W), sigmoid(-W)), times e^c where that alone would underflow;
    g < 0 marks that rescaling.  One ``exp`` and one division, all inside ``g``, which y is
    computed from: in a training step XLA then keeps g and y between the forward and the
    backward pass (two arrays), instead of the intermediates (e, r, k x, x) that a rule
    written from x makes it keep (silu's step took 82 MiB instead of 36).  The branch
    W < 0 is taken from the signs of x and ``dw`` (the sign of W' = dW/dx), which the
    derivative can read back from y: sign(w) alone may be lost to a flushed subnormal
    (``dw=None``: from sign(w), for a value without that derivative).

    ``slope``: dw/dx in closed form (w a function of x alone), for a gate whose slope is large
    in the tail: the exponential's derivative is then e^-|W| W' as one factor
    (:func:`exp_along`).  gelu (tanh form) in float32 had f'' by reverse-over-reverse 24 units
    of the smallest normal number off for x in [-10.3, -10.15]: the cotangent between the
    exponential and w was subnormal there.  ``w_stop``: w computed from
    ``lax.stop_gradient(x)``, for a w that also depends on a parameter (its tangent, the
    parameter's, is kept; see :func:`exp_along`); without it w is taken as a function of x
    alone.
    """
    c = _exp_shift(w.dtype)
    if dw is None:
        neg = w < 0
    else:
        neg = jnp.signbit(x) != jnp.signbit(jnp.asarray(dw, x.dtype))
    a = jnp.where(neg, -w, w)
    big = a > c / 2  # c - a is exact for a in [c/2, 2c]; beyond, the result underflows
    # e^{-|W|} = e^{-|w|} (1 -+ we): first order is exact to the last bit (|we| < ulp(w)).
    # The correction is inside g: the second derivative is proportional to it in the tail.
    n = jnp.where(big, c - a, -a)
    if slope is None:
        e = jnp.exp(n)
    else:
        # n's tangent in x is the closed-form slope; what is left of it is the parameters'.
        if w_stop is None:
            n_stop = lax.stop_gradient(n)
        else:
            a_stop = jnp.where(neg, -w_stop, w_stop)
            n_stop = jnp.where(big, c - a_stop, -a_stop)
        e = exp_along(x, n_stop, jnp.where(neg, slope, -slope))
    if not no_low_part(we):
        e = e * (1 + jnp.where(neg, we, -we))
    scale = jnp.where(big, math.exp(-c), 1.0).astype(w.dtype)
    # The sign goes into the divisor: XLA keeps the result of the division (the costly op
    # that y and the derivative share) and would recompute a select after it from x.
    one = jnp.where(big, -1.0, 1.0).astype(w.dtype)
    g = e / (one + one * (e * scale))
    q = jnp.abs(g)
    # the scale into x before the small factor q, so that x sigma(W) stays normal where
    # e^{-|W|} is not; a zero keeps the sign of x (x_sigmoid_grad reads the branch from it).
    small = jnp.where(q == 0, jnp.copysign(jnp.zeros_like(x), x), scale * x) * q
    return jnp.where(neg, small, x - small), g


def x_sigmoid_grad(y: jax.Array, g: jax.Array, dw: jax.Array | float,
                   x: jax.Array | None = None, x_where: jax.Array | None = None) -> jax.Array:
    """d/dx [x sigmoid(W)] = s + y W' (1 - s) from y and g of :func:`x_sigmoid_parts`.

    With A = |g| (times e^-c where g < 0), s = sigmoid(W) is A (W < 0) or 1 - A.  No x here,
    so that a training step keeps only y and g.  Where g is rescaled, A is below float's
    resolution next to 1 and may be a subnormal (flushed to 0 on the CPU), so the terms are
    summed before the scaling: every term of the second derivative keeps its factor |g| too.

    ``x`` (finite; a rule that keeps x anyway): y W' in that rescaled tail as x |g| W' instead of
    y W' e^c.  y itself flushes to 0 first where W' is large: gelu (tanh form) at x = -10.1 in
    float32 has y below the smallest normal number but f' = 2.7e-37 and f'' = 6e-36, which
    came out 0.  ``x_where``: use x only there (elsewhere the forms from y, bit for bit those
    without x: silu with an array beta equal to 1 must equal its default path).
    """
    c = _exp_shift(g.dtype)
    # the sign bit, not g < 0: where e^-|W| e^c flushed too, g is -0.0, and its derivative (a
    # normal number since exp_along) is still that of the rescaled branch (silu, beta = 25,
    # x = 6.06: f'' 2.3e-37 for 6e-63 when read as unscaled).
    big = jnp.signbit(g)
    q = jnp.abs(g)
    neg = jnp.signbit(y) != jnp.signbit(jnp.asarray(dw, g.dtype))
    # y is replaced where q = 0 (y may be infinite there): double-where.  The selects after the
    # products also keep XLA from contracting them into the following add under jit only.
    ys = jnp.where(q == 0, 0, y)
    yd = jnp.where(q == 0, 0, ys * dw)
    near = jnp.where(neg, q + yd * (1 - q), (1 - q) + yd * q)
    # y W' e^c overflows away from the rescaled W < 0 tail: replaced there.
    ydb = jnp.where(big & neg, yd, 0) * math.exp(c)
    pos = (yd - 1) * q
    if x is not None:
        ydb_x = jnp.where(big & neg, x * (q * dw), 0)  # y = x |g| e^-c there
        # y (W' |g|), not (y W' - 1) |g|: in reverse mode the cotangent of y W' is |g| e^-c,
        # below the smallest normal number where W' is large (gelu'' at x = 10.002 lost 1%).
        # Only here: in silu's program the reordered form changed XLA's fusion so that one
        # entry of clamped_swiglu's jitted gradient differed from eager by an ULP.
        pos_x = jnp.where(q == 0, 0, ys * (dw * q)) - q
        if x_where is None:
            ydb, pos = ydb_x, pos_x
        else:
            ydb, pos = jnp.where(x_where, ydb_x, ydb), jnp.where(x_where, pos_x, pos)
    far = jnp.where(neg, ydb + q, pos) * math.exp(-c) + jnp.where(neg, 0, 1)
    return jnp.where(big, far, near)
