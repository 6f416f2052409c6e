"""Adaptive activations with learnable shape parameters: ACON-C, Dynamic Tanh and xIELU.

Each parameter multiplies ``x`` inside an exponential-type function, whose relative condition
number in the tail is ``|u|``: the product is kept as an exact pair (:func:`_scaled`) so that
its rounding is not amplified.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero

from jaxacts._src import math as jm
from jaxacts._src.math import two_prod, two_sum
from jaxacts._src.registry import Activation, Kink, Param, Reference, register

# ---------------------------------------------------------------------------------------------
# Numerics shared by the learnable families.  The error-free transformations (Dekker, Knuth:
# a product or sum as an exact unevaluated pair (hi, lo)) are math.two_prod and math.two_sum.
# A parameter multiplying x inside exp, sigmoid or sin is rounded before the outer function sees
# it, and the outer function's condition number (|u| for exp(u) and for sin(u)
# at large u) amplifies that rounding; keeping the product as a pair removes it.  Operands
# must stay below finfo.max / 2**(mantissa/2 + 1), where the splitter would overflow.


def dw_mul(ah: jax.Array, al: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The double-word ``(ah + al) * b`` as a double-word (relative error about 2**-2p)."""
    p, e = two_prod(ah, b)
    return two_sum(p, e + al * b)


def expm1_minus_x(x: jax.Array, levels: int = 1) -> jax.Array:
    """``exp(x) - x - 1`` without cancellation, for |x| <= 0.5 * 2**levels.

    The Taylor series on x / 2**levels, then ``levels`` times the halving identity
    ``g(2h) = 2 g(h) + (h + g(h))**2``, whose two terms are never of opposite signs.
    """
    h = x * (0.5 ** levels)
    # |h| <= 0.5: h**2 (1/2! + h/3! + ...) to h**10/10! (float32) or h**16/16! (float64),
    # the first omitted term below 2**-25 / 2**-54 of the sum (Horner on rounded 1/n!: one
    # multiply per term; dividing by n in the loop was a division per term).
    nmax = 10 if jnp.finfo(x.dtype).nmant < 30 else 16
    g = (h * h) * jm.poly(h, [1.0 / math.factorial(n) for n in range(2, nmax + 1)])
    for _ in range(levels):
        e = h + g
        g = 2.0 * g + e * e
        h = 2.0 * h
    return g


def expm1_minus_x_dw(x: jax.Array, levels: int = 1) -> tuple[jax.Array, jax.Array]:
    """``exp(x) - x - 1`` as a double word ``(hi, lo)``, for |x| <= 0.5 * 2**levels.

    As :func:`expm1_minus_x`, with ``h**2`` exact, the series' tail (at most |h|/3 of the sum)
    rounded once, and each halving step ``g(2h) = 2 g(h) + (h + g(h))**2`` in double words:
    about 2**-(p + 3) relative, for a caller whose result cancels against ``g``.
    """
    h = x * (0.5 ** levels)
    nmax = 12 if jnp.finfo(x.dtype).nmant < 30 else 18
    s, se = two_prod(h, h)
    tail = (s * h) * jm.poly(h, [1.0 / math.factorial(n) for n in range(3, nmax + 1)])
    g, gl = two_sum(0.5 * s, tail + 0.5 * se)
    for _ in range(levels):
        e, el = two_sum(h, g)
        q, qe = two_prod(e, e)
        g, g2 = two_sum(2.0 * g, q)
        g, gl = two_sum(g, g2 + (2.0 * gl + (qe + 2.0 * e * (el + gl))))
        h = 2.0 * h
    return g, gl


def expm1(x: jax.Array) -> jax.Array:
    """``exp(x) - 1`` to about 1 ULP (XLA's CPU expm1 is up to 4 ULP off near 0).

    Beyond |x| = 1, ``exp(x) - 1`` cancels by less than 1.6x.
    """
    small = jnp.abs(x) <= 1.0
    xs = jnp.where(small, x, 0.0)
    return jnp.where(small, xs + expm1_minus_x(xs), jnp.exp(x) - 1.0)



def opaque(x: jax.Array, *params: jax.Array) -> tuple[jax.Array, ...]:
    """The parameters made to depend on ``x`` (NaN where ``x`` is NaN, else unchanged).

    Under an enclosing ``jit`` the parameters are often compile-time constants, and XLA then
    refactors the branches around them (hoisting a constant factor out of a select), which
    changes the rounding: eager and jit would differ by an ULP.  XLA removes
    ``optimization_barrier`` before those passes; a dependence on ``x`` it cannot fold.
    """
    return tuple(jnp.where(jnp.isnan(x), x, p) for p in params)


# |u| beyond which exp(-|u|) underflows in every dtype: the exact low part no longer matters.
_SATURATED = 1.0e3


def _scaled(a: jax.Array, al: jax.Array | float, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(a + al) * x`` as a pair ``(u, ul)``; ``ul`` is 0 where ``|u|`` saturates."""
    u = a * x
    lim = 2.0 ** ((jnp.finfo(x.dtype).maxexp - 16) // 2)
    ok = (jnp.abs(u) < _SATURATED) & (jnp.abs(x) < lim) & (jnp.abs(a) < lim)
    xs = jnp.where(ok, x, 0.0)
    _, ul = two_prod(jnp.where(ok, a, 0.0), xs)
    return u, jnp.where(ok, ul + al * xs, 0.0)


# ---------------------------------------------------------------------------------------------
# Dynamic Tanh


def _k_sech2(k: jax.Array, a: jax.Array, x: jax.Array) -> jax.Array:
    """k sech^2(a x) from the exact product a x, k multiplied in before the rescaling (k =
    gamma alpha > 1 lifted a result sech^2 alone had flushed), the x-derivative in closed
    form (math.sech2_scaled).  Next to 0 (|a x| < 2^-40, sech^2 = 1 to 2^-80): k, with
    derivatives in closed form (:func:`_k_near0`)."""
    u, ul = _scaled(a, 0.0, lax.stop_gradient(x))
    d, s = jm.sech2_scaled(u, lax.stop_gradient(ul), x, a)
    near = jnp.abs(u) < 2.0 ** -40
    # x replaced away from 0 (double where): the unselected branch's inf * 0 at x = +-inf
    return jnp.where(near, _k_near0(k, a, jnp.where(near, x, 0.0)), (k * d) * s)


@jax.custom_jvp
def _k_near0(k, a, x):
    """k sech^2(a x) = k for |a x| < 2^-40; its derivatives -2 k a^2 x (in x) and -2 k a x^2 (in
    a) multiplied from the constants toward x: a x alone is below the smallest normal number at
    x = tiny for |a| < 1, and in the chain rule it flushed before gamma a^2 scaled it back (dyt
    f'' at x = tiny, alpha 0.96, gamma -12.3: 22 units of the smallest normal number off)."""
    return k + jnp.zeros_like(x)


@_k_near0.defjvp
def _k_near0_jvp(primals, tangents):
    k, a, x = primals
    tk, ta, tx = tangents
    c = (-2.0 * k) * a
    return _k_near0(k, a, x), tk + ((c * a) * x) * tx + ((c * x) * x) * ta


dyt = register(Activation(
    name="dyt",
    family="adaptive",
    summary="Dynamic Tanh (DyT), the normalization-free replacement for LayerNorm.",
    formula=r"\mathrm{dyt}(x) = \gamma \tanh(\alpha x) + \beta",
    derivative=(r"\partial_x = \gamma\alpha\,\mathrm{sech}^2(\alpha x),\quad "
                r"\partial_\alpha = \gamma x\,\mathrm{sech}^2(\alpha x),\quad "
                r"\partial_\gamma = \tanh(\alpha x),\quad \partial_\beta = 1"),
    params=(Param("alpha", 0.5, "input scale (a learnable scalar in the paper; init 0.5)."),
            Param("gamma", 1.0, "output scale (per channel in the paper; init 1)."),
            Param("beta", 0.0, "output shift (per channel in the paper; init 0).")),
    fn=lambda x, a, g, b: g * jm.tanh(a * x) + b,
    tangent=lambda t, x, y, a, g, b: t * _k_sech2(g * a, a, x),
    param_tangents=(
        lambda ta, x, y, a, g, b: ta * (
            _k_sech2(g * jnp.where(jnp.abs(a * x) < _SATURATED, x, 0.0), a, x)),
        lambda tg, x, y, a, g, b: tg * jm.tanh(a * x),
        lambda tb, x, y, a, g, b: tb * jnp.ones_like(y),
    ),
    output_range=(-1.0, 1.0),
    monotonic=True,
    zero_centered=True,
    notes=("sech^2 is evaluated from the exact product alpha * x, so the derivative keeps its "
           "relative accuracy in the tails where tanh saturates."),
    reference=Reference("J. Zhu, X. Chen, K. He, Y. LeCun, Z. Liu",
                        "Transformers without Normalization", "CVPR 2025", "2503.10622"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.dyt(jnp.array([-2.0, 0.0, 2.0]))
Array([-0.7615941,  0.       ,  0.7615941], dtype=float32)""",
))


# ---------------------------------------------------------------------------------------------
# ACON-C


def _acon_arg(x, p1, p2, beta):
    """``(d, dl, v, vl)``: d + dl = p1 - p2 and v + vl = beta (p1 - p2) x, exact pairs."""
    d, dl = two_sum(p1, -p2)
    k, kl = dw_mul(d, dl, beta)
    # beta (p1 - p2) = 0 is the linear mean (d/2 + p2) x, also at x = +-inf (v = 0, not NaN)
    v, vl = _scaled(k, kl, jnp.where((k == 0) & jnp.isinf(x), 0.0, x))
    return d, dl, v, vl


def _sig(v, vl):
    """sigmoid(v + vl) and sigmoid(-(v + vl)) to first order in the tiny ``vl``."""
    s, sn = jm.sigmoid(v), jm.sigmoid(-v)
    # sigmoid'(v) vl = s sn vl, applied relatively (math.with_low): it flushes first
    return jm.with_low(s, vl * sn), jm.with_low(sn, -(vl * s))


# q(w) = sigmoid(-w) (1 - w sigmoid(w)) gives every ACON-C derivative; q(w) + q(-w) = 1 and
# q'(w) = -sigmoid'(w) (2 - w tanh(w/2)) (even).  1 - w sigmoid(w) vanishes at w0 = 1 + W(1/e);
# with w = w0 + delta and exp(-w0) = w0 - 1 it equals sigmoid(w) ((w0 - 1) expm1(-delta) -
# delta), whose two terms never have opposite signs.
# (split for the compute dtype: a float64 split rounded to float32 dropped W0's float32
# rounding error, 3e-8, which cost the p1/p2 derivatives 349 ULP where q vanishes)
_W0_TEXT = "1.278464542761073795109358739022980155"
_W0 = float(_W0_TEXT)


def _q_small(u, ul):
    """``(P, D, s)`` for u >= 0 (``ul`` a low part): q(u + ul) = P s and sigmoid'(u + ul) = D s,
    rescaled as :func:`math.dsigmoid_scaled` does, so that the caller's factors (beta (p1 -
    p2)^2, x) multiply P and D before s: q alone is below the smallest normal number from u =
    87 (float32) while d q'(u) dv/dx is not (p1 6, p2 -1, beta 3: f'' = -6e-35 came out 0)."""
    dd, scale = jm.dsigmoid_scaled(-u, -ul)
    s, sn = _sig(u, ul)
    dd = jnp.where(scale < 1, dd, s * sn)  # two sigmoids: 2.5 -> 2 ULP (f' cancels by 3x)
    w0, w0l = jm.const_dd(_W0_TEXT, u.dtype)
    dh, dl = two_sum(u, -jnp.asarray(w0, u.dtype))
    delta = dh + (dl + (ul - w0l))
    return dd * ((_W0 - 1.0) * expm1(-delta) - delta), dd, scale


@jax.custom_jvp
def _q_along(x, u, ul, du):
    """P of :func:`_q_small` for u = u(x, p) computed from ``lax.stop_gradient(x)``, du = du/dx:
    its x-derivative is (P' du) t_x as one coefficient (see :func:`math.exp_along`), P' = -D (2 -
    u tanh(u/2)) in P's scale."""
    return _q_small(u, ul)[0]


def _q_along_jvp(primals, tangents):
    x, u, ul, du = primals
    tx, tu, _, _ = tangents  # ul is a constant low part; du's tangent is not needed
    p, dd, _ = _q_small(u, ul)
    dp = -dd * (2.0 - u * jm.tanh(0.5 * u))
    out = None
    if not isinstance(tx, SymbolicZero):
        out = (dp * du) * tx
    if not isinstance(tu, SymbolicZero):
        out = dp * tu if out is None else out + dp * tu
    return p, jnp.zeros_like(p) if out is None else out


_q_along.defjvp(_q_along_jvp, symbolic_zeros=True)


def _acon_q(x, p1, p2, beta):
    """``(d, pos, b, s)``: d = p1 - p2 and q(-v) = [v > 0] + b s for v = beta d x (so q(v) =
    [v <= 0] - b s), b s the part that vanishes in the tails, rescaled by s (see
    :func:`_q_small`): the caller multiplies its factor into b before s."""
    d, _, v, vl = _acon_arg(lax.stop_gradient(x), p1, p2, beta)
    pos = v > 0
    # NaN stays NaN; the clamp is far enough that e^-u is 0 even rescaled by e^512 (float64:
    # at 1000 it was not, and x q(v) at x = -max came out 9e-124 for 0)
    u = jnp.minimum(jnp.abs(v), 4 * _SATURATED)
    ul = lax.stop_gradient(jnp.where(pos, vl, -vl))
    k = beta * d
    p = _q_along(x, u, ul, jnp.where(pos, k, -k))
    return d, pos, jnp.where(pos, -p, p), jm.exp_scaled(-u)[1]  # _q_small's scale


def _acon_c(x, p1, p2, beta):
    d, dl, v, vl = _acon_arg(x, p1, p2, beta)
    neg = v < 0
    # sigma(-|v|) = a s with s = e^-64 where it is about to flush (math.exp_scaled): one exp and
    # one division for both signs.  Its low part (absolute, first order): sigma'(v) sl from v's
    # low part, and the division's residual r = e - a (1 + e s) (exact: e - a by Sterbenz, a e s
    # as a pair) over 1 + e s, which is r (1 - sigma) where s = 1 (elsewhere ``far`` is used).
    # Rounded twice, sigma cost up to 4.4 ULP in the slope below (amplified up to 2x).
    e, scale = jm.exp_scaled(-jnp.abs(v))
    sl = jnp.where(neg, vl, -vl)
    es = e * scale
    # The division through a select on isnan(x) (a is NaN there anyway; the result is x):
    # XLA's CPU fusion stored a division read more than once in an array of its own.
    a = jnp.where(jnp.isnan(x), x, e / (1 + es))
    small = a * scale
    rh, rl = two_prod(a, e)  # (e, not e s: where s < 1, ``far`` is used)
    r = ((e - a) - rh) - rl
    om = 1 - small
    # Where small * sl would flush (as in math.with_low), sl's correction is applied
    # multiplicatively and the residual (half an ULP) is dropped.
    near = jm.low_flushes(small)
    lo = jnp.where(near, 0.0, small * (sl * om) + r * om)
    small = jnp.where(near, small * (1 + sl * om), small)
    # The slope d sigmoid(v) + p2, as p1 - d sigmoid(-v) for v > 0, summed exactly and rounded
    # once: the two terms can cancel (p1 7.2, p2 -0.86, beta 0.039, x = -3.74: by 1.8x, and a
    # slope rounded term by term cost 5 ULP); d's rounding error dl and sigma's low part count.
    sg = jnp.where(neg, 1.0, -1.0).astype(small.dtype)
    ph, pe = two_prod(d, small)  # (d's split is a constant for Python-number parameters)
    ph, pe = sg * ph, sg * pe
    c, cl = two_sum(jnp.where(neg, p2, p1), ph)
    c = c + (cl + (pe + sg * (dl * small + d * lo)))
    # A zero slope gives 0 even at x = +-inf (SiLU's limit); NaN stays NaN.
    y = jnp.where(c == 0, 0.0, x * c)
    # Where sigma(-|v|) is about to flush (|v| > 86 in float32): p x +- (d x a) e^-64, so that
    # d x sigma(-|v|) is a normal number wherever it is one (p1 6, p2 0, beta 3: acon_c(-4.9) =
    # -1.5e-37 came out 0); jm.times: x p and x d a are inf * 0 at x = +-inf where they vanish.
    far = (jm.times(x, jnp.where(neg, p2, p1))
           + jm.times(x, d * jm.with_low(a, sl)) * jnp.where(neg, scale, -scale))
    y = jnp.where(scale < 1, far, y)
    return jnp.where(jnp.isnan(x), x, y)


def _acon_tangent(t, x, y, p1, p2, beta):
    d, pos, b, s = _acon_q(x, p1, p2, beta)
    return t * (jnp.where(pos, p1, p2) + (d * b) * s)


def _acon_dp(t, x, p1, p2, beta, first):
    """x q(-v) (``first``: d/dp1) or x q(v) (d/dp2), the vanishing part scaled last."""
    _, pos, b, s = _acon_q(x, p1, p2, beta)
    if not first:  # q(v) = [v <= 0] - b s
        pos, b = ~pos, -b
    # jm.times: x b = inf * 0 at x = +-inf, where b vanishes
    far = jnp.where(pos, x, 0.0) + jm.times(x, b) * s
    return t * jnp.where(s < 1, far, jm.times(x, jnp.where(pos, 1.0, 0.0) + b))


def _acon_dbeta(t, x, y, p1, p2, beta):
    # (d x)^2 sigmoid'(v), sigmoid'(v) rescaled until (d x)^2 has multiplied it (as silu's).
    d, _, v, vl = _acon_arg(x, p1, p2, beta)
    neg = v < 0
    dd, s = jm.dsigmoid_scaled(jnp.where(neg, v, -v), jnp.where(neg, vl, -vl))
    dx = d * jnp.where(jnp.abs(v) < _SATURATED, x, 0.0)
    return t * ((dx * (dx * dd)) * s)


acon_c = register(Activation(
    name="acon_c",
    family="adaptive",
    summary="ACON-C (activate or not), a learnable smooth switch between p1 x and p2 x.",
    formula=(r"\mathrm{acon\_c}(x) = (p_1 - p_2)\,x\,\sigma(\beta (p_1 - p_2) x) + p_2 x"),
    derivative=(r"\partial_x = d\,\sigma(v)\,(1 + v\,\sigma(-v)) + p_2,\ "
                r"\partial_{p_1} = x\,\sigma(v)(1 + v\,\sigma(-v)),\ "
                r"\partial_{p_2} = x\,\sigma(-v)(1 - v\,\sigma(v)),\ "
                r"\partial_\beta = (d x)^2 \sigma(v)\sigma(-v),\ "
                r"d = p_1 - p_2,\ v = \beta d x"),
    params=(Param("p1", 1.0, "slope for large positive beta*x (per channel in the paper)."),
            Param("p2", 0.0, "slope for large negative beta*x (per channel in the paper)."),
            Param("beta", 1.0, "switching factor (0 gives the linear mean; inf a max).")),
    fn=_acon_c,
    tangent=_acon_tangent,
    param_tangents=(
        lambda t, x, y, p1, p2, beta: _acon_dp(t, x, p1, p2, beta, True),
        lambda t, x, y, p1, p2, beta: _acon_dp(t, x, p1, p2, beta, False),
        _acon_dbeta,
    ),
    output_range=(-0.2784645427610738, math.inf),
    notes="With the defaults p1=1, p2=0, beta=1 it is SiLU (Swish).",
    reference=Reference("N. Ma, X. Zhang, M. Liu, J. Sun",
                        "Activate or Not: Learning Customized Activation", "CVPR 2021",
                        "2009.04759"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.acon_c(jnp.array([-1.0, 0.0, 2.0]), p1=1.0, p2=0.25, beta=2.0)
Array([-0.38681915,  0.        ,  1.9288611 ], dtype=float32)""",
))


# ---------------------------------------------------------------------------------------------
# xIELU


def _xielu_neg(x, an, b):
    """The x <= eps branch, an (expm1(x) - x) + b x, without cancellation inside the bracket."""
    near = x > -2.0
    xn = jnp.where(near, x, -2.0)
    xf = jnp.where(near, -2.0, x)
    # an g + b x cancels by up to a factor 2.5 on [-2, 0) (and fully at f's zero, where the
    # error is measured against |b x|): g as a double word and both products exact.  With g
    # rounded, xielu(-1.448) (alpha_n 1.25, beta 0.25) was 4.3 ULP off in float32 and float64.
    an, b = (jnp.asarray(v, x.dtype) for v in (an, b))  # Python floats for d/d(alpha_n)
    g, gl = expm1_minus_x_dw(xn, levels=2)
    p, pe = two_prod(an, g)
    q, qe = two_prod(b, xn)
    s, se = two_sum(p, q)
    return jnp.where(near, s + (se + (pe + an * gl + qe)), an * expm1(xf) + (b - an) * xf)


def _xielu(x, ap, an, b, eps):
    ap, an, b, eps = opaque(x, ap, an, b, eps)
    pos = x > 0
    xp = jnp.where(pos, x, 0.0)
    xn = jnp.where(x <= eps, x, eps)
    return jnp.where(pos, xp * (ap * xp + b),
                     jnp.where(x <= eps, _xielu_neg(xn, an, b),
                               an * _clamped(x, eps, fence=False) + b * x))


def _clamped(x, eps, fence=True):
    # expm1(eps) - x for eps <= x <= 0, exact where x is close to eps.  The barrier stops
    # XLA from reassociating a constant eps into (eps + g) - x, which cancels.  The series
    # holds for |eps| <= 1 only; beyond, e^eps + (-1 - x) (eps - x would be rounded on the
    # scale of |eps| and then cancel against g: eps = -18 cost 66 ULP; the series alone at
    # eps = -10.9 gave 0.30 for -0.074; -1 - x is exact where the sum cancels).
    near = eps >= -1
    g = expm1_minus_x(jnp.where(near, eps, 0.0))
    far = jnp.exp(jnp.where(near, -1.0, eps)) + (-1.0 - x)
    # Not fenced where eps is already x-dependent (opaque(), in the value): there XLA has no
    # constant to reassociate, and the barrier split the value's GPU program in two kernels.
    d = jax.lax.optimization_barrier(eps - x) if fence else eps - x
    return jnp.where(near, d + g, far)


def _xielu_tangent(t, x, y, ap, an, b, eps):
    xn = jnp.where(x < eps, x, eps)
    d = jnp.where(x > 0, 2.0 * ap * x + b, jnp.where(x < eps, an * expm1(xn) + b, b - an))
    # NaN in, NaN out, without the generic guard (whose transpose multiplies 0 by an
    # infinite f' at the top of the float range).
    return t * jnp.where(jnp.isnan(x), x, d)


def _validate_xielu(x, ap, an, b, eps):
    if not any(isinstance(v, jax.core.Tracer) for v in (an, b)):
        if np.any(np.asarray(an) <= np.asarray(b)):
            raise ValueError(f"xielu: alpha_n must be greater than beta (the paper's "
                             f"alpha_n = beta + softplus(.)); got alpha_n={an}, beta={b}")


xielu = register(Activation(
    name="xielu",
    family="adaptive",
    summary="xIELU, the expanded integral of the ELU (the activation of Apertus).",
    formula=(r"\mathrm{xielu}(x) = \alpha_p x^2 + \beta x \text{ if } x > 0 \text{ else } "
             r"\alpha_n(\mathrm{expm1}(\min(x, \epsilon)) - x) + \beta x"),
    derivative=(r"\partial_x = 2\alpha_p x + \beta\ (x > 0),\ \beta - \alpha_n\ "
                r"(\epsilon \le x \le 0),\ \alpha_n \mathrm{expm1}(x) + \beta\ (x < \epsilon);"
                r"\ \partial_{\alpha_p} = x^2\ (x>0),\ "
                r"\partial_{\alpha_n} = \mathrm{expm1}(\min(x,\epsilon)) - x\ (x \le 0),\ "
                r"\partial_\beta = x,\ \partial_\epsilon = \alpha_n e^\epsilon\ "
                r"(\epsilon \le x \le 0)"),
    params=(Param("alpha_p", 0.8, "curvature of the positive part (softplus(a_p) in the "
                  "paper; init 0.8).", lower=0.0, lower_open=True),
            Param("alpha_n", 0.8, "scale of the negative part (beta + softplus(a_n) in the "
                  "paper; init 0.8); must exceed beta.", lower=0.0, lower_open=True),
            Param("beta", 0.5, "linear coefficient (fixed to 0.5 in the paper)."),
            Param("eps", -2.0 ** -20, "clamp of the exponential's argument: the reference "
                  "implementation's -1e-6 rounded to -2**-20 (about -9.5e-7), which every "
                  "dtype represents, so the kink is where the dtype says; 0 gives the exact "
                  "C^1 form.", upper=0.0,
                  learnable=False)),
    fn=_xielu,
    tangent=_xielu_tangent,
    param_tangents=(
        lambda t, x, y, ap, an, b, eps: t * jnp.where(x > 0, x * x, 0.0),
        lambda t, x, y, ap, an, b, eps: t * jnp.where(
            x > 0, 0.0, jnp.where(x <= eps, _xielu_neg(jnp.where(x <= eps, x, eps), 1.0, 0.0),
                                  _clamped(x, eps))),
        lambda t, x, y, ap, an, b, eps: t * x,
        lambda t, x, y, ap, an, b, eps: t * jnp.where(
            (x > 0) | (x < eps), 0.0, an * jnp.exp(eps)),
    ),
    kinks=(
        Kink(lambda eps=-2.0 ** -20, **_: eps, lambda beta=0.5, alpha_n=0.8, **_: beta - alpha_n,
             "On [eps, 0] the function is linear (the clamp of the reference "
             "implementation); the derivative there, beta - alpha_n, is used at both ends."),
        Kink(0.0, lambda beta=0.5, alpha_n=0.8, **_: beta - alpha_n,
             "The value jumps by alpha_n expm1(eps) (about -7.6e-7) at 0 unless eps = 0."),
    ),
    output_range=(-0.20575121972355087, math.inf),
    smoothness=-1,
    validate=_validate_xielu,
    nan_guard=False,
    notes=("Follows the reference implementation (Apertus, HF transformers; eps rounded to "
           "-2**-20): with eps < 0 the function is linear on [eps, 0] and jumps by "
           "alpha_n expm1(eps) at 0. "
           "expm1(x) - x is evaluated without cancellation near 0."),
    reference=Reference("A. H. Huang, I. Schlag",
                        "Deriving Activation Functions Using Integration", "",
                        "2411.13010"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.xielu(jnp.array([-1.0, 0.0, 2.0]))
Array([-2.0569645e-01, -7.6293912e-07,  4.1999998e+00], dtype=float32)""",
))
