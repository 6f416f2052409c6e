"""Periodic activations: Snake, SnakeBeta and sine.

All evaluate ``sin(a x + m pi/4)`` where ``a x`` is a product of two floats.  Rounding the
product first would cost ``|a x|`` ULPs (the condition number of sin at large arguments), so the
product is kept exact (:func:`two_prod`, with a power of two moved between huge and tiny
operands so that the splitting never overflows) and reduced modulo pi/2 against a three-part
pi/2 (Cody-Waite); the reduced argument is a double word, and sin/cos of it come from short
Taylor series around 0 with the leading terms exact.  The reduction is exact while
``|a x| <= 2**(nmant // 2 + 8)`` (2**19 in float32, 2**34 in float64).  Beyond, with
``a x = p + e`` exactly, ``sin(p + e) = sin p cos e + cos p sin e`` from XLA's own sin and cos of
the floats p and e, which XLA reduces exactly (measured within 0.3 ULP at 1e30 on the CPU): a
few ULP of 1, which is within the targets except within about 1e-6 of a zero of the result.
(A Payne-Hanek reduction for that range was written and measured within 1.3 ULP everywhere, but
inside every derivative program it tripled compile times, ran both branches under ``vmap`` and
more than doubled training-step memory: see git history, commit 0a7d226.)  Where the product
``a x`` itself overflows the float range, ``sin(a x) = sin(2^k q)`` with ``q = a x / 2^k`` exact
and k = 6 doublings of (sin q, cos q): within about 2^6 ULP of 1 (so SIREN's omega = 30 sine is
finite for every finite x); NaN only beyond |a x| = 2^6 max.

On the CPU, XLA's sin and cos of that far branch cost about two thirds of the forward pass
even where no element needs them, so there an activation's value runs the far branch inside a
``lax.cond`` taken only when some element needs it (:func:`_far_free`; a ``custom_vmap`` keeps
it a cond under ``vmap``): forward 2-2.6x faster, forward+backward 1.3-1.5x (float32, 2^22
elements; the derivative rules keep the select, see :func:`_far_free`; other platforms keep
it too).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_batching import custom_vmap

from jaxacts._src.adaptive import opaque, two_prod, two_sum
from jaxacts._src.math import const_dd, no_low_part, target16
from jaxacts._src.registry import Activation, Param, Reference, register

# pi/2 to 52 digits: enough for three parts in float64 (3 * 53 bits).
_PIO2 = Fraction("1.570796326794896619231321691639751442098584699687552910487")


@functools.cache
def _parts(dtype: np.dtype, value: Fraction = _PIO2, n: int = 3) -> tuple[float, ...]:
    """``value`` as ``n`` floats of ``dtype`` (greedy), summing to it within 2**(-n*nmant)."""
    out, rem = [], value
    for _ in range(n):
        c = np.asarray(float(rem), dtype=dtype)
        out.append(float(c))
        rem -= Fraction(float(c))
    return tuple(out)


def _reduce_max(dtype) -> float:
    return 2.0 ** (jnp.finfo(dtype).nmant // 2 + 8)


def _taylor(z: jax.Array, first: int, step_sign: float, nterms: int) -> jax.Array:
    """sum_j (-1)**j z**j / (first + 2j)! * first!: the tail of sin/cos after the exact terms."""
    acc = jnp.zeros_like(z)
    for j in range(nterms, 0, -1):
        n = first + 2 * j
        acc = (1.0 + acc) * (step_sign * z / ((n - 1) * n))
    return acc


def _times_dd(h, lo, value: str):
    """``(h + lo) * value`` as a double word, ``value`` a decimal constant (to 35 digits)."""
    ch, cl = const_dd(value, h.dtype)
    p, e = two_prod(h, jnp.asarray(ch, h.dtype))
    return p, e + (lo * ch + h * cl)


def _sincos_reduced(rh, rl):
    """sin and cos of the double word ``rh + rl`` (|rh| <= pi/4), each as a double word.

    The leading correction terms r^3/6 and r^4/24 are double words too, and rl enters sin as
    rl cos(rh): with them rounded (up to 0.1 and 0.02 of the result) the pair was good to
    about 2^-28 relative in float32, which limited snake's d/da where it cancels 165-fold
    (10.5 ULP at a = 0.28, x = 4.15).

    Under :func:`target16` (a float32 result rounded to 16 bits) sin and cos of ``rh`` in plain
    float32 (Taylor to r^13 and r^12, the next terms below 2^-40), with ``rl`` to first order
    and no low parts (``0.0``): within a few float32 ULP, a hundredth of a float16 ULP even
    where snake's d/da cancels 165-fold; the reduction that gave ``rh + rl`` stays exact."""
    if target16():
        z = rh * rh
        s = rh + rh * _taylor(z, 1, -1.0, 6)
        c = 1.0 + _taylor(z, 0, -1.0, 6)
        return s + rl * c, 0.0, c - rl * s, 0.0
    nt = 6 if jnp.finfo(rh.dtype).nmant < 30 else 10
    sq, sqe = two_prod(rh, rh)
    # sin r = r - r**3/6 (1 + ...), the tail (below 0.03 of r**3/6) rounded once.
    r3, r3e = two_prod(rh, sq)
    t, te = _times_dd(r3, r3e + rh * sqe, "-0.1666666666666666666666666666666666667")
    s_hi, s_lo = two_sum(rh, t)
    s_lo = s_lo + ((te + t * _taylor(sq, 3, -1.0, nt)) + rl * (1.0 - 0.5 * sq))
    s_hi, s_lo = two_sum(s_hi, s_lo)
    # cos r = 1 - r**2/2 + r**4/24 (1 + ...), with r**2 / 2 exact.
    # An opaque 1: XLA folds (1 + b) - 1 into b, which would lose two_sum's error term.
    c_hi, c_lo = two_sum(opaque(rh, 1.0)[0], -0.5 * sq)
    q4, q4e = two_prod(sq, sq)
    u, ue = _times_dd(q4, q4e + 2.0 * sq * sqe, "0.04166666666666666666666666666666666667")
    c_hi, c2 = two_sum(c_hi, u)
    c_lo = c_lo + (c2 + (((ue + u * _taylor(sq, 4, -1.0, nt)) - 0.5 * sqe) - rh * rl))
    c_hi, c_lo = two_sum(c_hi, c_lo)
    return s_hi, s_lo, c_hi, c_lo


def _exact_product(pa, xa):
    """``pa * xa = p + e`` exactly, for any finite operands whose product does not overflow."""
    # Veltkamp splitting overflows for operands above max / 2**(nmant/2 + 1): move a power of
    # 2 from the huge operand to the other one (exact, their product being in range).
    fi = jnp.finfo(xa.dtype)
    sc = 2.0 ** (fi.maxexp // 2)
    big_x, big_a = jnp.abs(xa) > sc, jnp.abs(pa) > sc
    pa, xa = jnp.where(big_x, pa * sc, pa), jnp.where(big_x, xa * (1 / sc), xa)
    pa, xa = jnp.where(big_a, pa * (1 / sc), pa), jnp.where(big_a, xa * sc, xa)
    p, e = two_prod(pa, xa)
    # Veltkamp halves of operands below tiny * 2**nmant are subnormal (flushed to 0), which
    # breaks two_prod; there the rounded product alone is used (sin(p) = p to the ULP).
    low = float(fi.tiny) * 2.0 ** (fi.nmant + 2)
    return p, jnp.where((jnp.abs(pa) < low) | (jnp.abs(xa) < low), 0.0, e)


# Where the product a x overflows, sin(a x) = sin(2^k q) with q = (a 2^-k) x exact, by k
# doublings of (sin q, cos q) (for |a x| below 2^k max).
_DOUBLINGS = 6


def _sin_far(p, e, m, ok, a, x):
    """``sin(p + e + m pi/4)`` where ``|p| > _reduce_max`` (``~ok``), ``p + e`` the exact product
    ``a x``: ``sin(p + e)`` from XLA's sin and cos of the floats p and e (each reduced exactly
    by XLA), then the quarter turns of m exactly and an eighth turn as (sin + cos) / sqrt 2.

    Where ``a x`` overflows, ``q = a x / 2^k`` instead (exact; ``k = _DOUBLINGS``) and k
    doublings ``sin 2t = 2 sin t cos t``, ``cos 2t = (cos t - sin t) (cos t + sin t)``: each
    doubles the absolute error, so the result is within about 2^k ULP of 1 there (the number
    of doublings is fixed, so that the program has no per-element branch); NaN where even
    ``a x / 2^k`` overflows.
    """
    over = jnp.isinf(p) & jnp.isfinite(x)
    qp, qe = _exact_product(jnp.where(over, a * 2.0 ** -_DOUBLINGS, 0.0), x)
    p, e = jnp.where(ok, 0.0, jnp.where(over, qp, p)), jnp.where(ok, 0.0, jnp.where(over, qe, e))
    sp, cp, se, ce = jnp.sin(p), jnp.cos(p), jnp.sin(e), jnp.cos(e)
    s, c = sp * ce + cp * se, cp * ce - sp * se
    s2, c2 = s, c
    for _ in range(_DOUBLINGS):
        s2, c2 = 2 * s2 * c2, (c2 - s2) * (c2 + s2)
    s, c = jnp.where(over, s2, s), jnp.where(over, c2, c)
    s, c = ((s, c), (c, -s), (-s, -c), (-c, s))[(m // 2) % 4]
    return (s + c) * math.sqrt(0.5) if m % 2 else s


def _sin_dw_near(p, e, x, m, ok):
    """``sin(p + e + m pi/4)`` by Cody-Waite reduction, where ``ok`` (``|p| <= _reduce_max``),
    ``p + e`` the exact product ``a x``."""
    dt = x.dtype
    c0, c1, c2 = opaque(x, *_parts(np.dtype(dt)))
    p, e = jnp.where(ok, p, 0.0), jnp.where(ok, e, 0.0)
    if m % 2:
        q4 = opaque(x, *_parts(np.dtype(dt), _PIO2 / 2, 2))
        p, e2 = two_sum(p, q4[0])
        e = e + (e2 + q4[1])
    k = jnp.round(p * (2.0 / math.pi))
    q0, q0e = two_prod(k, c0)
    q1, q1e = two_prod(k, c1)
    d = p - q0  # exact: q0 is within a factor 2 of p (or 0)
    rh, rl = two_sum(d, -q1)
    rl = rl + (((e - q0e) - q1e) - k * c2)
    rh, rl = two_sum(rh, rl)
    # k can exceed the int32 range (float64): its residue mod 4 first, exactly in floats.
    kq = k - 4.0 * jnp.floor(k * 0.25)
    return _quadrant(rh, rl, kq.astype(jnp.int32) + m // 2)


def _quadrant(rh, rl, quad):
    """sin(r + quad pi/2) as a double word, for the reduced double word ``r = rh + rl``."""
    s_hi, s_lo, c_hi, c_lo = _sincos_reduced(rh, rl)
    quad = quad % 4
    hi = jnp.select([quad == 0, quad == 1, quad == 2], [s_hi, c_hi, -s_hi], -c_hi)
    if no_low_part(s_lo):  # (target16) -0.0 added to any hi, -0 included, leaves it unchanged
        return hi, -0.0
    lo = jnp.select([quad == 0, quad == 1, quad == 2], [s_lo, c_lo, -s_lo], -c_lo)
    return hi, lo


def _near(p: jax.Array) -> jax.Array:
    """Where the exact product's float ``p`` is within the exact reduction's range (False for
    NaN): ``sin_dw``'s select and ``_far_free``'s cond read the same test."""
    return jnp.abs(p) <= _reduce_max(p.dtype)


def sin_dw(a: jax.Array, x: jax.Array, m: int = 0, near_only: bool = False):
    """``sin(a x + m pi/4)`` as a double word ``(hi, lo)`` from the exact product ``a x``.

    Accurate to a small fraction of an ULP while ``|a x| <= _reduce_max``; beyond that, to a
    few ULP of 1 (:func:`_sin_far`; ``lo = 0``), about 2^6 ULP of 1 where ``a x`` overflows;
    NaN at +-inf and where ``a x`` exceeds ``2^6 max``.  ``near_only``: without the far
    branch, for a caller that knows ``|a x| <= _reduce_max`` everywhere (:func:`_far_free`).
    """
    p, e = _exact_product(a, x)  # one product for both branches, each masks it
    ok = _near(p)
    hi, lo = _sin_dw_near(p, e, x, m, ok)
    if near_only:
        return hi, lo
    return jnp.where(ok, hi, _sin_far(p, e, m, ok, a, x)), jnp.where(ok, lo, 0.0)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def sin_ax(a: jax.Array, x: jax.Array, m: int = 0, near_only: bool = False) -> jax.Array:
    """``sin(a x + m pi/4)`` from the exact product; differentiable to any order."""
    hi, lo = sin_dw(a, x, m, near_only)
    return hi + lo


@sin_ax.defjvp
def _sin_ax_jvp(m, near_only, primals, tangents):
    a, x = primals
    ta, tx = tangents
    return sin_ax(a, x, m, near_only), sin_ax(a, x, m + 2) * (a * tx + x * ta)


def _elementwise_cond(pred, slow, fast, *args):
    """``slow(*args)`` if the elementwise ``pred(*args)`` holds for any element, else
    ``fast(*args)``: XLA runs only one (``lax.cond``).  Under ``vmap`` the whole batch decides
    together (``custom_vmap``; a batched predicate would otherwise turn the cond into a
    select that runs both).  ``pred``, ``slow`` and ``fast`` must be elementwise in their
    broadcast arguments.  Not differentiable (``custom_vmap`` has no transpose): for an
    activation's value, which the builder's ``custom_jvp`` never differentiates.  With
    concrete arguments (``jax.disable_jit``) the choice is made in Python: a ``lax.cond``
    built per call would be compiled per call."""
    args = tuple(jnp.asarray(v) for v in args)
    if not any(isinstance(v, jax.core.Tracer) for v in args):
        return slow(*args) if bool(jnp.any(pred(*args))) else fast(*args)

    @custom_vmap
    def f(*args):
        return lax.cond(jnp.any(pred(*args)), slow, fast, *args)

    @f.def_vmap
    def _rule(axis_size, in_batched, *args):
        del axis_size
        nd = max(v.ndim - b for v, b in zip(args, in_batched, strict=True))
        # the batch axis in front, the per-example shapes aligned to broadcast as before
        args = [v.reshape(v.shape[:1] + (1,) * (nd + 1 - v.ndim) + v.shape[1:]) if b else v
                for v, b in zip(args, in_batched, strict=True)]
        out = _elementwise_cond(pred, slow, fast, *args)
        return out, jax.tree.map(lambda _: True, out)

    return f(*args)


def _far_free(value):
    """An activation's value ``value(x, a, *rest, near_only=...)`` of ``sin(a x)``, with the far
    branch of :func:`sin_dw` (four of XLA's sin and cos, about two thirds of the time) only
    where some element needs it (:func:`_elementwise_cond`).  For the value alone: in a
    derivative's coefficient the cond's output would be an array that a training step keeps
    from the forward pass to the backward one (the MLP step of benchmarks/memory.py took 86
    MiB instead of 52)."""

    def needs_far(x, a, *_):
        return ~_near(_exact_product(a, x)[0])

    full = functools.partial(value, near_only=False)

    def on_cpu(x, a, *rest):
        return _elementwise_cond(needs_far, full, functools.partial(value, near_only=True),
                                 x, a, *rest)

    def fn(x, a, *rest):
        # On the CPU only: there XLA's sin and cos cost about 3 ns an element whatever the
        # argument.  On an H200 the cond made the forward 1.35-1.5x faster at 2^26 elements but
        # 1.4-2.1x slower at 2^16 (XLA's GPU conditional reads its predicate back on the host:
        # a round trip per activation) and left forward+backward unchanged: the other
        # platforms keep the select.
        return lax.platform_dependent(x, jnp.asarray(a, x.dtype), *rest, cpu=on_cpu,
                                      default=full)

    return fn


def _snake_beta_value(x, alpha, beta, near_only):
    # sin**2 / beta as s * (s / beta): no overflow or 0/0 for tiny beta.  beta made to depend
    # on x: XLA divided by a scalar beta in one program and multiplied by its reciprocal in
    # another (snake per row and with its parameter batched by vmap were an ULP apart); by an
    # array it divides.  By a select on isinf(x), where the value is x anyway, not opaque()'s:
    # snake (alpha = beta) shared that one with alpha, and XLA materialized it between fusions
    # (bfloat16 forward 2x slower).  Not s * (1 / beta) (math.ratio_dd's way to the same
    # consistency): that rounds twice, and snake's value with a scalar parameter would move by
    # an ULP in 1-15% of elements (the select moves snake_beta's, 0.2-8%, instead).
    s = sin_ax(opaque(x, alpha)[0], x, 0, near_only)
    beta = jnp.where(jnp.isinf(x), 1.0, beta)
    y = x + s * (s / beta)
    return jnp.where(jnp.isinf(x), x, y)


_snake_beta = _far_free(_snake_beta_value)


def _snake_tangent(t, x, y, alpha, *_):
    # 1 + sin(2 a x) = 2 sin(a x + pi/4)**2: no cancellation near the zeros of f'.
    s = sin_ax(alpha, x, 1)
    return t * (2.0 * s * s)


def _snake(x, a):
    return _snake_beta(x, a, a)


def _snake_da(t, x, y, a):
    """d/da of sin(a x)**2 / a = (s/a) (2 x cos(a x) - s/a), the bracket in double words.

    The bracket vanishes where tan(a x) = 2 a x; computed from the double-word sin and cos it
    keeps its relative accuracy there.
    """
    a = opaque(x, a)[0]
    s_hi, s_lo = sin_dw(a, x, 0)
    c_hi, c_lo = sin_dw(a, x, 2)
    q = s_hi / a
    ph, pl = _exact_product(q, a)  # (scaled: q ~ x can be huge, as can 2 x below)
    ql = ((s_hi - ph) - pl + s_lo) / a  # s/a = q + ql
    # Where u**2 / 6 is below half an ULP, s/a = x (sin(u) may have underflowed).
    small = jnp.abs(a * x) < 2.0 ** -(jnp.finfo(x.dtype).nmant // 2 + 1)
    q, ql = jnp.where(small, x, q), jnp.where(small, 0.0, ql)
    # Half the bracket, x cos(a x) - s / (2 a): 2 x overflows for |x| > max / 2 while the
    # derivative, x sin(2 a x) / a - (s/a)**2, is finite there (halving q and ql is exact).
    u, ue = _exact_product(c_hi, x)
    bh, bl = two_sum(u, -0.5 * q)
    half = bh + (bl + (ue + c_lo * x - 0.5 * ql))
    return t * (((q + ql) * half) * 2.0)


_SIN_NOTE = (
    "sin(a x) is computed from the exact product a x = p + e: reduced modulo pi/2 exactly "
    "(Cody-Waite) while |a x| <= 2**19 in float32 or 2**34 in float64, within about 1 ULP; "
    "beyond, sin p cos e + cos p sin e from XLA's exactly reduced sin and cos of the floats p "
    "and e, within a few ULP of 1.  Where a x overflows the float range (|x| > max / |a|), "
    "sin(a x) comes from 6 doublings of sin and cos of a x / 2^6 (exact), within about 2^6 "
    "ULP of 1; NaN only where |a x| > 2^6 max.  ")

snake = register(Activation(
    name="snake",
    family="periodic",
    summary="Snake, x + sin^2(a x) / a: a periodic inductive bias that stays monotone-ish.",
    formula=r"\mathrm{snake}(x) = x + \frac{\sin^2(a x)}{a}",
    derivative=(r"\partial_x = 1 + \sin(2ax) = 2\sin^2(ax + \pi/4),\quad "
                r"\partial_a = \frac{x\sin(2ax)}{a} - \frac{\sin^2(ax)}{a^2}"),
    params=(Param("a", 1.0, "frequency (per channel in practice; init 1).", lower=0.0,
                  lower_open=True),),
    fn=_snake,
    tangent=_snake_tangent,
    param_tangents=(_snake_da,),
    output_range=(-math.inf, math.inf),
    monotonic=True,
    notes=(_SIN_NOTE + "At x = +-inf the value is +-inf (its limit); the derivatives "
           "oscillate and have no limit there, so they are NaN.  The derivative is evaluated "
           "as 2 sin^2(a x + pi/4), exact near its zeros."),
    reference=Reference("L. Ziyin, T. Hartwig, M. Ueda",
                        "Neural Networks Fail to Learn Periodic Functions and How to Fix It",
                        "NeurIPS 2020", "2006.08195"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.snake(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.29192662,  0.        ,  2.8268218 ], dtype=float32)""",
))


snake_beta = register(Activation(
    name="snake_beta",
    family="periodic",
    summary="SnakeBeta (BigVGAN), x + sin^2(alpha x) / beta with separate frequency and scale.",
    formula=r"\mathrm{snake\_beta}(x) = x + \frac{\sin^2(\alpha x)}{\beta}",
    derivative=(r"\partial_x = 1 + \frac{\alpha}{\beta}\sin(2\alpha x),\quad "
                r"\partial_\alpha = \frac{x\sin(2\alpha x)}{\beta},\quad "
                r"\partial_\beta = -\frac{\sin^2(\alpha x)}{\beta^2}"),
    params=(Param("alpha", 1.0, "frequency (per channel in BigVGAN).", lower=0.0,
                  lower_open=True),
            Param("beta", 1.0, "magnitude divisor (per channel in BigVGAN).", lower=0.0,
                  lower_open=True)),
    fn=_snake_beta,
    # sin(2 alpha x) from the exact product (2 alpha) x, so that its derivative is accurate.
    tangent=lambda t, x, y, alpha, beta: t * (
        1.0 + (alpha / beta) * sin_ax(2.0 * alpha, x, 0)),
    param_tangents=(
        lambda t, x, y, alpha, beta: t * ((x / beta) * sin_ax(2.0 * alpha, x, 0)),
        lambda t, x, y, alpha, beta: t * -jnp.square(sin_ax(alpha, x, 0) / beta),
    ),
    output_range=(-math.inf, math.inf),
    notes=(_SIN_NOTE + "BigVGAN learns log(alpha) and log(beta) (``alpha_logscale``); that "
           "reparametrization belongs to the module (pass ``exp`` of the learned values), "
           "not to this function.  At x = +-inf the value is +-inf; the derivatives have no "
           "limit there (NaN).  1 + (alpha/beta) sin(2 alpha x) cancels where alpha = beta; "
           "use ``snake`` for that case, which evaluates it without cancellation."),
    reference=Reference("S. Lee, W. Ping, B. Ginsburg, B. Catanzaro, S. Yoon",
                        "BigVGAN: A Universal Neural Vocoder with Large-Scale Training",
                        "ICLR 2023", "2206.04658"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.snake_beta(jnp.array([-1.0, 0.0, 2.0]), alpha=1.0, beta=2.0)
Array([-0.6459633,  0.       ,  2.413411 ], dtype=float32)""",
))


sine = register(Activation(
    name="sine",
    family="periodic",
    summary="Sine activation of SIREN, sin(omega x).",
    formula=r"\mathrm{sine}(x) = \sin(\omega x)",
    derivative=(r"\partial_x = \omega\cos(\omega x),\quad \partial_\omega = x\cos(\omega x)"),
    params=(Param("omega", 30.0, "frequency (omega_0 = 30 in SIREN)."),),
    fn=_far_free(lambda x, omega, near_only: sin_ax(*opaque(x, omega), x, 0, near_only)),
    tangent=lambda t, x, y, omega: t * (omega * sin_ax(omega, x, 2)),
    param_tangents=(lambda t, x, y, omega: t * (x * sin_ax(omega, x, 2)),),
    output_range=(-1.0, 1.0),
    zero_centered=True,
    notes=(_SIN_NOTE + "sin has no limit at +-inf: the value and derivatives are NaN there.  "
           "SIREN's special weight initialization is a layer concern, not part of this "
           "function."),
    reference=Reference("V. Sitzmann, J. N. P. Martel, A. W. Bergman, D. B. Lindell, "
                        "G. Wetzstein",
                        "Implicit Neural Representations with Periodic Activation Functions",
                        "NeurIPS 2020", "2006.09661"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.sine(jnp.array([0.0, 0.05]), omega=30.0)
Array([0.      , 0.997495], dtype=float32)""",
))
