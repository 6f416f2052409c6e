"""Smooth activations: softplus, gelu (both forms), silu/swish, mish, squareplus and the
modern smooth gates (quick_gelu, smish, serf, shifted_softplus, ...).

Most of them are ``x * g(x)`` with a gate ``g`` that decays like e^x at -inf: the value is
written so that -inf gives 0 (not -inf * 0 = NaN, as in jax.nn and torch), and the rules
clamp their input where the derivative has reached its limit to the last bit so that no
``inf * 0`` appears in a first or second derivative.  The rules use the helpers of
:mod:`jaxacts._src.math`, whose own derivatives are closed forms, so that second derivatives
stay accurate in the tails.
"""

from __future__ import annotations

import decimal
import fractions
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxacts._src import math as m
from jaxacts._src.adaptive import opaque
from jaxacts._src.math import two_prod
from jaxacts._src.registry import Activation, Param, Reference, Static, register

# Beyond these the derivatives of every x * gate(x) below are 0 / 1 to the last bit, and a
# clamp in the rule keeps inf * 0 out of the first and second derivatives.
_XLO, _XHI = -1000.0, 1000.0
_SQRT2PI = math.sqrt(2 * math.pi)

_GELU_REF = Reference("D. Hendrycks, K. Gimpel", "Gaussian Error Linear Units (GELUs)",
                      "arXiv 2016", "1606.08415")
_SWISH_REF = Reference("P. Ramachandran, B. Zoph, Q. V. Le", "Searching for Activation "
                       "Functions", "ICLR 2018 workshop", "1710.05941")

# ----------------------------------------------------------------------------- softplus


def _beta_x(x, beta):
    # z = beta x as hi + lo (exact), for softplus and silu: its rounding would be multiplied by
    # |z| in the tail (softplus at beta = 27.9: 32 ULP in float32, 124 in float64).  The
    # default beta = 1, as a Python number, skips it: z = x.
    if isinstance(beta, float) and beta == 1.0:
        return x, 0.0
    return m.scale_dd(x, beta)


def _softplus(x, beta, *, threshold):
    # max(x, 0) + log1p(e^{-|z|}) / beta, z = beta x: x itself (not z / beta) where x > 0, so
    # that beta x may overflow; e^{-|z|} / beta without flushing e^{-|z|} to zero first.
    z, zl = _beta_x(x, beta)
    # -|z| as abs, not where(z > 0, -z, z): on a GPU a compare on a 16-bit input's float32
    # copy that two selects read became a kernel of its own (bfloat16 forward 0.20 -> 0.12 ms,
    # H200, 2^26; the same bits).
    e, scale = m.exp_scaled(-jnp.abs(z))
    if not m.no_low_part(zl):
        e = e - e * jnp.where(z > 0, zl, -zl)
    # log1p(e^n) = e^n to the last bit where exp_scaled rescales.
    inv = 1 / beta  # a scalar op for a scalar beta: a multiply per element, not a divide
    y = jnp.where(x > 0, x, 0) + jnp.where(scale == 1, m.log1p_01(e) * inv,
                                           e * (scale * inv))
    return y if threshold is None else jnp.where(z > threshold, x, y)


def _softplus_tangent(t, x, y, beta, *, threshold):
    if threshold is None and isinstance(beta, float):
        # sigma(beta x) = 1 - e^{-beta y}, from the output alone (see log_sigmoid): a training
        # step keeps no array besides y.  (Rounding beta y costs at most half an ULP: the
        # relative condition number of 1 - e^-u is below 1.)
        return t * m.one_minus_exp(-(beta * y))
    # sigma(z + zl), z + zl = beta x exactly to first order, with the derivative beta sigma'(z)
    # in closed form (rescaled: sigma'(z) alone flushed where beta sigma'(z) is normal).
    z, zl = _beta_x(lax.stop_gradient(x), beta)
    s = m.sigmoid_along(z, zl, x, jnp.asarray(beta, x.dtype))
    if threshold is None:
        # From y as above where beta = 1 (bit for bit the fast path), from x elsewhere: beta y's
        # rounding is multiplied by beta y in e^{-beta y} (f'' at beta = 5.8, x = 7.95: 30 ULP),
        # and for beta > 1, y = sigma(beta x) / beta flushes to 0 where sigma(beta x) is still
        # a normal number (beta = 20: f' 12 units of the smallest normal off, f'' 230).
        # (beta y, not y, where beta = 1: the same value, and the derivative in beta keeps
        # its y term; without it d/dbeta of f' was off by e^-y y.)
        one = beta == 1
        return t * jnp.where(one, m.one_minus_exp(-jnp.where(one, beta * y, 0)), s)
    return t * jnp.where(z > threshold, 1, s)


def _softplus_dbeta(tb, x, y, beta, *, threshold):
    # (z sigma(z) - softplus(z)) / beta^2 written with n = -|z|: both terms have one sign.
    # z = beta x as hi + lo: d(n + nl) = d(n) + n sigma'(n) nl (the rounding of z alone is
    # multiplied by |z| in the tail: beta = 5.8125 cost 50 ULP).
    z, zl = _beta_x(x, beta)
    n = m.clamp(jnp.where(z > 0, -z, z), _XLO, 0.0)
    d = n * m.sigmoid(n) - m.softplus(n)
    # Where e^n is about to flush: e^n (n - 1 + n nl) (sigma(n) = softplus(n) = e^n there) with
    # e^n rescaled and beta^2 divided in first (beta = 0.51, x = -175.8: 3.3e-37 came out 0).
    tail = n - 1
    if not m.no_low_part(zl):
        nl = jnp.where(z > 0, -zl, zl)
        d = d + (n * m.dsigmoid(n)) * nl
        tail = tail + n * nl
    d = d / (beta * beta)
    e, scale = m.exp_scaled(n)
    d = jnp.where(scale < 1, ((e * tail) / (beta * beta)) * scale, d)
    return tb * (d if threshold is None else jnp.where(z > threshold, 0, d))


softplus = register(Activation(
    name="softplus",
    family="smooth",
    summary="Softplus, with torch's ``beta`` and ``threshold``.",
    formula=r"\mathrm{softplus}(x) = \frac{1}{\beta}\log(1 + e^{\beta x})"
            r"\ (= x \text{ where } \beta x > \text{threshold, if given})",
    derivative=r"\partial_x = \sigma(\beta x), \quad \partial_x^2 = \beta\sigma'(\beta x), "
               r"\quad \partial_\beta = \frac{\beta x\,\sigma(\beta x) - "
               r"\log(1 + e^{\beta x})}{\beta^2}",
    params=(Param("beta", 1.0, "sharpness beta (torch's ``beta``).", lower=0.0,
                  lower_open=True, fast_values=(1.0,)),),
    static=(Static("threshold", None, "torch's switch to the identity where beta * x > "
                   "threshold; ``None`` (default) never switches, as jax.nn.softplus."),),
    fn=_softplus,
    tangent=_softplus_tangent,
    param_tangents=(_softplus_dbeta,),
    output_range=(0.0, math.inf),
    monotonic=True,
    notes="With the defaults this is ``jax.nn.softplus``. torch's ``threshold=20`` is only an "
          "overflow guard there; jaxacts' formula max(x, 0) + log1p(e^{-|x|}) needs none, and "
          "the switch costs accuracy: at beta * x = 20 it drops log1p(e^-20) = 2e-9, below "
          "float32's resolution but 6e5 float64 ULP. Pass ``threshold=20.0`` for torch's exact "
          "semantics (derivative 1 and derivative in beta 0 beyond it).",
    reference=Reference("C. Dugas, Y. Bengio, F. Belisle, C. Nadeau, R. Garcia",
                        "Incorporating Second-Order Functional Knowledge for Better Option "
                        "Pricing", "NeurIPS 2000"),
    anchors={"jax": "softplus", "torch": "softplus", "keras": "softplus"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.softplus(jnp.array([-20.0, 0.0, 2.0]))
Array([2.0611537e-09, 6.9314718e-01, 2.1269281e+00], dtype=float32)""",
))


def _shifted_softplus(x):
    # softplus(x) - ln 2 = log1p(v), one expm1 and one log1p for every branch:
    #   |x| < 2:  x/2 + log cosh(x/2), v = cosh(x/2) - 1 = E^2 / (2 (1 + E)), E = expm1(x/2)
    #             (no cancellation near 0, where the result is x/2 + x^2/8);
    #   x <= -2:  log((1 + e^x) / 2), v = expm1(x) / 2;
    #   x >= 2:   x + log((1 + e^-x) / 2), v = expm1(-x) / 2
    # (v in [-1/2, 0.55]: log1p_unit's range).  Each form is used where it cancels less than a
    # factor 2.5.  (Before: sinh, two exp and three log1p, one per branch: 3.7x softplus's time.)
    mid = jnp.abs(x) < 2  # (one compare: XLA stored the "and" of two in an array of its own)
    em = jnp.expm1(jnp.where(mid, x * 0.5, jnp.where(x > 0, -x, x)))
    v = jnp.where(mid, em * em / (2 + 2 * em), em * 0.5)
    lg = m.log1p_unit(v)
    return jnp.where(mid, x * 0.5 + lg, jnp.where(x >= 2, x + lg, lg))


shifted_softplus = register(Activation(
    name="shifted_softplus",
    family="smooth",
    summary="Shifted softplus (SchNet): softplus(x) - ln 2, zero at 0.",
    formula=r"\mathrm{ssp}(x) = \log(1 + e^x) - \log 2",
    derivative=r"\partial_x = \sigma(x), \quad \partial_x^2 = \sigma(x)\sigma(-x)",
    fn=_shifted_softplus,
    tangent=lambda t, x, y: t * m.sigmoid(x),
    output_range=(-math.log(2.0), math.inf),
    monotonic=True,
    zero_centered=True,
    notes="Accurate near 0, where softplus(x) - ln 2 cancels (it is x/2 + x^2/8 there).",
    reference=Reference("K. T. Schuett, P.-J. Kindermans, H. E. Sauceda, S. Chmiela, "
                        "A. Tkatchenko, K.-R. Mueller", "SchNet: A continuous-filter "
                        "convolutional neural network for modeling quantum interactions",
                        "NeurIPS 2017", "1706.08566"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.shifted_softplus(jnp.array([-1.0, 1e-6, 2.0]))
Array([-3.7988549e-01,  5.0000011e-07,  1.4337809e+00], dtype=float32)""",
))

# ----------------------------------------------------------------------------- silu family


def _silu_parts(x, beta):
    # The gate's exponential carries its x-derivative in closed form (slope beta): in reverse
    # mode its cotangent times e^-|beta x| fell below the smallest normal number before beta
    # brought it back (beta = -21: f'' at x = 4.35, 2.3e-37, came out 0).  beta x from x
    # without its tangent, once: with a slope, w's tangent enters only through the exponential.
    w, wl = _beta_x(lax.stop_gradient(x), beta)
    return m.x_sigmoid_parts(x, w, wl, beta, slope=beta, w_stop=w)


def _silu(x, beta):
    return _silu_parts(x, beta)[0]


def _silu_tangent(t, x, y, beta):
    # from y and the value's own gate (not from x): a training step keeps two arrays.  For
    # |beta| > 1 (an array beta only), x as well: y = x sigma(beta x) flushes first in the tail
    # where beta y, the derivative, does not (|beta| > 4: f' below 1e-35 came out 0).
    g = _silu_parts(x, beta)[1]
    if isinstance(beta, float) and beta == 1.0:
        return t * m.x_sigmoid_grad(y, g, beta)
    xs = jnp.where(jnp.isinf(x), 0, x)  # x_sigmoid_grad wants it finite
    return t * m.x_sigmoid_grad(y, g, beta, xs, jnp.abs(beta) > 1)


def _silu_dbeta(tb, x, y, beta):
    # x^2 sigma'(beta x), multiplied in an order that underflows instead of overflowing, with
    # z = beta x as hi + lo, sigma'(z + zl) = sigma'(-|z + zl|) (the rounding of z alone is
    # multiplied by |z|: beta = 8.4 cost 54 ULP), scaled until x^2 has multiplied it:
    # sigma'(z) alone flushed to 0 where x^2 sigma'(z) is 1e-34 (beta = 0.5, x = -176).
    z, zl = _beta_x(x, beta)
    d, scale = m.dsigmoid_scaled(-jnp.abs(z), 0.0 if m.no_low_part(zl) else -jnp.sign(z) * zl)
    return tb * ((x * (x * d)) * scale)


silu = register(Activation(
    name="silu",
    family="smooth",
    summary="SiLU / Swish, with the optional Swish-beta sharpness ``beta``.",
    formula=r"\mathrm{silu}(x) = x\,\sigma(\beta x)",
    derivative=r"\partial_x = \sigma(z) + z\sigma'(z),\ z = \beta x, \quad "
               r"\partial_x^2 = \beta\sigma'(z)(2 - z\tanh(z/2)), \quad "
               r"\partial_\beta = x^2\sigma'(\beta x)",
    params=(Param("beta", 1.0, "Swish-beta sharpness (1 gives SiLU; learnable).",
                  fast_values=(1.0,)),),
    fn=_silu,
    tangent=_silu_tangent,
    param_tangents=(_silu_dbeta,),
    output_range=(-0.2784645427610738, math.inf),
    aliases=("swish",),
    notes="``silu(x)`` is ``jax.nn.silu(x)``; ``beta`` is the learnable Swish-beta. "
          "At -inf the value is 0 and the derivatives 0 (jax.nn and torch give NaN).",
    reference=_SWISH_REF,
    anchors={"jax": "silu", "torch": "silu", "keras": "silu"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.silu(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.26894143,  0.        ,  1.7615942 ], dtype=float32)""",
))

def _quick_w(x):
    # 1.702 as hi + lo in the compute dtype, times x exactly.
    hi, lo = m.const_dd("1.702", x.dtype)
    return m.scale_dd(x, jnp.asarray(hi, x.dtype), lo)


def _quick_gelu_tangent(t, x, y):
    return t * m.x_sigmoid_grad(y, m.x_sigmoid_parts(x, *_quick_w(x), 1.702)[1], 1.702)


quick_gelu = register(Activation(
    name="quick_gelu",
    family="smooth",
    summary="QuickGELU (CLIP): the sigmoid approximation x sigma(1.702 x) of GELU.",
    formula=r"\mathrm{quick\_gelu}(x) = x\,\sigma(1.702\,x)",
    derivative=r"\partial_x = \sigma(z) + z\sigma'(z),\ z = 1.702 x",
    fn=lambda x: m.x_sigmoid_parts(x, *_quick_w(x), 1.702)[0],
    tangent=_quick_gelu_tangent,
    output_range=(-0.1636, math.inf),
    notes="The constant 1.702 is rounded to the compute dtype (as in CLIP's code).",
    reference=_GELU_REF,
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.quick_gelu(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.15420423,  0.        ,  1.9356586 ], dtype=float32)""",
))

# ----------------------------------------------------------------------------- gelu


_GT1 = "1.5957691216057307117597842397375275"  # 2 sqrt(2/pi): 1 + tanh(u) = 2 sigma(2u)
_GT3 = "0.071354816272600248776338752279863541"  # 2 sqrt(2/pi) 0.044715


def _gelu_tanh_ddw(x):
    return jnp.where(jnp.abs(x) > 40, 0.0, 6 * float(_GT3) * x)


@m._with_derivative(_gelu_tanh_ddw)
def _gelu_tanh_dw(x):
    """dw/dx = C1 + 3 C3 x^2 (x clamped to [-40, 40] like w; the gate is exactly 0 or 1 beyond)
    with its derivative 6 C3 x in closed form: in reverse mode far in the negative tail the
    cotangent of x^2 is near the smallest normal number before 3 C3 and 2x scale it (gelu'' in
    float32 at x = -10.03 lost that term, 0.8% of the result, 20 units of the smallest normal
    number).  (No select on |x| > 40 here: in a training step it made XLA keep another array,
    gelu's MLP step 52 -> 68 MiB.)"""
    xs = m.clamp(x, -40.0, 40.0)
    return float(_GT1) + 3 * float(_GT3) * (xs * xs)


def _gelu_tanh_w(x):
    # w = 2u = x (C1 + C3 x^2) in double-word arithmetic; |x| <= 40 keeps the splits finite
    # (beyond, the gate is 0 or 1 to the last bit).
    xs = m.clamp(x, -40.0, 40.0)
    if m.target16():  # rounded to 16 bits: w's float32 rounding is far below it
        return xs * (float(_GT1) + float(_GT3) * (xs * xs)), 0.0
    c1, c1l = m.const_dd(_GT1, x.dtype)
    c3, c3l = m.const_dd(_GT3, x.dtype)
    # The constants made opaque to XLA: under jit it simplifies (c1 + p) - c1 to p, which
    # breaks the error-free sum (the low part would be wrong).
    c1v, c3v = opaque(x, jnp.asarray(c1, x.dtype), jnp.asarray(c3, x.dtype))
    s, se = two_prod(xs, xs)
    p, pe = two_prod(c3v, s)
    q, qe = m.two_sum(c1v, p)
    qe = qe + (c1l + (pe + (c3 * se + c3l * s)))
    w, we = two_prod(xs, q)
    return w, lax.stop_gradient(we + xs * qe)


def _gelu_tanh(x):
    # x (1 + tanh u) / 2 = x sigma(2u): no 1 + tanh(u) cancellation (jax.nn's is 0 below
    # x = -4.9) and no x**3 overflow NaN.
    # (beyond |x| = 40, w is clamped but still far enough for a gate of exactly 0 or 1)
    return m.x_sigmoid_parts(x, *_gelu_tanh_w(x), 1.0, _gelu_tanh_dw(x))[0]


def _gelu_tanh_tangent(t, x, y):
    dw = _gelu_tanh_dw(x)
    g = m.x_sigmoid_parts(x, *_gelu_tanh_w(x), 1.0, dw)[1]
    xs = m.clamp(x, -40.0, 40.0)
    return t * m.x_sigmoid_grad(y, g, dw, xs)


# Phi(-a) e^{a^2/2} = Q(u) / (c + a), u = (c - a) / (c + a) in (-1, 1], c = 181/64 (close to
# 2 sqrt 2, and exact: c - a is exact for a in [c/2, 2c], and no rounded constant scales a).
# Q is smooth, between 0.4 and 1.5 on [u(40), 1] (|x| is clamped at 40), fitted by Chebyshev
# interpolation on that interval (mpmath, 60 digits; max relative error of the
# float64-rounded coefficients 1.8e-10 with 14 terms for float32, 2.7e-17 with 30 for
# float64).  XLA's own erfc is up to 60 ULP (float32) and 500 ULP (float64) off in the tail,
# mostly from rounding z^2.  (Before: u from z = a / sqrt 2, whose two roundings cost up to
# 0.8 ULP more: float64 gelu(-3.25) was 4.36 ULP off on a GPU.)
_QC = 181 / 64
_Q32 = (0.7223554272788718, 0.48585255294191565, 0.19755828084249588, 0.025732265803269545,
        -0.015216211589868734, -0.004576543235299269, 0.0021866272439575846,
        0.0005916727792753282, -0.0004677238181586676, -2.6715150482405932e-05,
        9.958227920128358e-05, -1.862169598711272e-05, -1.3624033341578122e-05,
        5.53039123836712e-06)
_Q64 = (0.7223554272765189, 0.48585255292691626, 0.19755828194956362, 0.025732263090197476,
        -0.015216246641337373, -0.004576467705113174, 0.0021869645586147153,
        0.0005910083658860573, -0.00046910310324072316, -2.4022964462506408e-05,
        0.00010214956666075411, -2.42156152821816e-05, -1.531777061236605e-05,
        1.1409437781044716e-05, -8.047746392671354e-07, -2.5773223946735746e-06,
        1.4139448508689616e-06, 3.3500142734925446e-09, -3.9829861271766487e-07,
        2.1938474521273863e-07, -7.460492814639185e-09, -6.647664811129036e-08,
        4.337855158334731e-08, -1.4597150772800426e-09, -1.3813006670733284e-08,
        6.156827639646413e-09, 1.2349747086557318e-09, -1.4233176558722398e-09,
        1.5299442878891454e-10, 5.3777714177259654e-11)


def _gauss_parts(x):
    """Phi(-|x|) = k e^{-(h + l)}: k = Q(u) / (c + |x|) and x^2 / 2 = h + l exactly (|x| <= 40)."""
    a = m.clamp(jnp.abs(x), 0.0, 40.0)
    d = _QC + a
    coeffs = _Q32 if jnp.finfo(x.dtype).nmant <= 23 else _Q64
    # u and k through selects of their own: XLA's CPU fusion does not fuse a division into a
    # fusion that reads it more than once (the polynomial; k's two uses) and stored each apart,
    # an extra pass over memory (gelu_erf's forward was three loops, now one).  NaN x gives
    # NaN u and k either way.
    nan = jnp.isnan(x)
    u = jnp.where(nan, x, (_QC - a) / d)
    k = jnp.where(nan, x, m.poly(u, coeffs) / d)
    if m.target16():  # a 16-bit a: a^2 is exact in float32
        return k, (a * a) * 0.5, 0.0
    s, se = two_prod(a, a)
    return k, s * 0.5, lax.stop_gradient(se * 0.5)


def _exp_dd(k, h, lo):
    # k e^{-(h + lo)}, |lo| below half an ULP of h: k e^{-h} (1 - lo) with one rounding less.
    r = m.mul_exp(k, -h)
    return r if m.no_low_part(lo) else r - r * lo


def _phi(x):
    _, h, lo = _gauss_parts(x)
    return _exp_dd(1 / _SQRT2PI, h, lo)


@m._with_derivative(_phi)
def _ncdf(x):
    k, h, lo = _gauss_parts(x)
    e = _exp_dd(k, h, lo)
    return jnp.where(x < 0, e, 1 - e)


def _gelu_erf(x):
    k, h, lo = _gauss_parts(x)
    # below -40 the value underflows (|x| is clamped in _gauss_parts)
    neg = jnp.where(x < -40, 0, _exp_dd(x * k, h, lo))
    return jnp.where(x < 0, neg, x * (1 - _exp_dd(k, h, lo)))


def _gelu_erf_tangent(t, x, y):
    x = m.clamp(x, -40.0, 40.0)
    return t * (_ncdf(x) + x * _phi(x))


_GELU_COMMON = dict(
    family="smooth",
    output_range=(-0.17, math.inf),
    reference=_GELU_REF,
)

gelu_tanh = register(Activation(
    name="gelu_tanh",
    summary="GELU, tanh approximation (jax.nn's default, torch's approximate='tanh').",
    formula=r"\frac{x}{2}\Bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715x^3)\bigr)\Bigr)"
            r" = x\,\sigma(2u)",
    derivative=r"\partial_x = \sigma(2u) + x\,2u'\,\sigma'(2u),\ "
               r"u = \sqrt{2/\pi}(x + 0.044715x^3)",
    fn=_gelu_tanh,
    tangent=_gelu_tanh_tangent,
    anchors={"torch": "gelu(approximate='tanh')"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.gelu_tanh(jnp.array([-6.0, 0.0, 2.0]))
Array([-8.4396469e-11,  0.0000000e+00,  1.9545977e+00], dtype=float32)""",
    **_GELU_COMMON,
))

gelu_erf = register(Activation(
    name="gelu_erf",
    summary="GELU, exact form x Phi(x) (torch's default, jax.nn's approximate=False).",
    formula=r"x\,\Phi(x) = \frac{x}{2}\,\mathrm{erfc}\bigl(-x/\sqrt{2}\bigr)",
    derivative=r"\partial_x = \Phi(x) + x\varphi(x), \quad \partial_x^2 = \varphi(x)(2 - x^2)",
    fn=_gelu_erf,
    tangent=_gelu_erf_tangent,
    aliases=("gelu_exact",),
    anchors={"torch": "gelu", "keras": "gelu(approximate=False)"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.gelu_erf(jnp.array([-6.0, 0.0, 2.0]))
Array([-5.9195253e-09,  0.0000000e+00,  1.9544997e+00], dtype=float32)""",
    **_GELU_COMMON,
))

gelu = register(Activation(
    name="gelu",
    summary="Gaussian error linear unit (jax.nn's signature: the tanh form by default).",
    formula=r"x\,\Phi(x) \text{ (approximate=False) or } "
            r"\frac{x}{2}\bigl(1 + \tanh(\sqrt{2/\pi}(x + 0.044715x^3))\bigr)",
    derivative=r"\text{see } \mathtt{gelu\_erf},\ \mathtt{gelu\_tanh}",
    static=(Static("approximate", True, "use the tanh approximation (jax.nn's default).",
                   choices=(True, False)),),
    fn=lambda x, *, approximate: _gelu_tanh(x) if approximate else _gelu_erf(x),
    tangent=lambda t, x, y, *, approximate: (
        _gelu_tanh_tangent if approximate else _gelu_erf_tangent)(t, x, y),
    anchors={"jax": "gelu", "torch": "gelu", "keras": "gelu"},
    notes="``gelu_tanh`` and ``gelu_erf`` are the two forms under their own names (e.g. for "
          "lookup by name from a config).",
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.gelu(jnp.array([-1.0, 0.0, 2.0]), approximate=False)
Array([-0.15865524,  0.        ,  1.9544997 ], dtype=float32)""",
    **_GELU_COMMON,
))

# ----------------------------------------------------------------------------- mish & co


def _mish(x):
    # tanh(softplus(x)) = n / (n + 2), n = e^x (e^x + 2): one exp.  Beyond x = 20 the ratio
    # is 1 to the last float64 bit.  Where e^x is about to flush, x e^x (e^x + 2) / (n + 2)
    # with e^x as mul_exp's exponential part: x e^x is a normal number down to x = -91.8 in
    # float32, where e^x alone is not.
    # min, not where(x > 20, 20, x) beside the select below (see _softplus: bfloat16 forward
    # 0.21 -> 0.12 ms on an H200; the same bits).
    es, scale = m.exp_scaled(jnp.minimum(x, 20))
    e = es * scale
    n = e * (e + 2)
    tiny = m.times(x * ((e + 2) / (n + 2)) * scale, es)  # (one rounding more)
    return jnp.where(scale < 1, tiny, jnp.where(x > 20, x, x * (n / (n + 2))))


def _mish_tangent(t, x, y):
    # tanh(sp) + x sech^2(sp) sigma(x) as rational functions of q = e^{-|x|} (one exp).  With
    # D = 1 + 2q + 2q^2: x >= 0: 1 - 2q^2/D + 4x q^2 (1 + q)/D^2 (q = e^-x);
    # x < 0: q ((q + 2)/w + 4x (1 + q)/w^2) with w = q (q + 2) + 2 (q = e^x, the factor q
    # as mul_exp's exponential part, as in the value).
    # Each form avoids the cancellation of the other (and its overflow); differentiating it
    # gives the second derivative.
    x = m.clamp(x, _XLO, _XHI)
    qs, scale = m.exp_scaled(jnp.where(x > 0, -x, x))
    q = qs * scale
    q2 = q * q
    dd = 1 + 2 * q + 2 * q2
    pos = 1 - 2 * q2 / dd + 4 * x * q2 * (1 + q) / (dd * dd)
    w = q * (q + 2) + 2
    neg = m.times(((q + 2) / w + 4 * x * (1 + q) / (w * w)) * scale, qs)
    return t * jnp.where(x > 0, pos, neg)


mish = register(Activation(
    name="mish",
    family="smooth",
    summary="Mish: x tanh(softplus(x)).",
    formula=r"\mathrm{mish}(x) = x \tanh(\log(1 + e^x))",
    derivative=r"\partial_x = \tanh(\mathrm{sp}(x)) + x\,\mathrm{sech}^2(\mathrm{sp}(x))"
               r"\,\sigma(x)",
    fn=_mish,
    tangent=_mish_tangent,
    output_range=(-0.30884, math.inf),
    reference=Reference("D. Misra", "Mish: A Self Regularized Non-Monotonic Activation "
                        "Function", "BMVC 2020", "1908.08681"),
    anchors={"jax": "mish", "torch": "mish", "keras": "mish"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.mish(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.30340147,  0.        ,  1.943959  ], dtype=float32)""",
))


def _smish(x):
    # tanh(log(1 + sigma(x))) = ((1+s)^2 - 1) / ((1+s)^2 + 1) as a rational function of
    # e = e^{-|x|}: e (2 + 3e) / (2 + 6e + 5e^2) for x < 0, (3 + 2e) / (5 + 6e + 2e^2) for x >= 0.
    n = jnp.where(x < 0, x, -x)
    e = jnp.exp(n)
    neg = m.mul_exp(x, n) * ((2 + 3 * e) / (2 + e * (6 + 5 * e)))
    pos = x * ((3 + 2 * e) / (5 + e * (6 + 2 * e)))
    return jnp.where(x < 0, neg, pos)


def _smish_tangent(t, x, y):
    # tanh(lg) + x sech^2(lg) sigma'(x) / (1 + s), lg = log1p(s), s = sigma(x), as rational
    # functions of q = e^{-|x|} (the value's forms), with the factor q of sigma'(x) as
    # mul_exp's exponential part: x q is a normal number where q alone flushes (|x| in
    # [87.3, 91.8] in float32).  sigma'(x) / (1 + s) = q / ((1 + q)(1 + 2q)) for x < 0 and
    # q / ((1 + q)(2 + q)) for x >= 0.
    x = m.clamp(x, _XLO, _XHI)
    neg = x < 0
    qs, scale = m.exp_scaled(jnp.where(neg, x, -x))
    q = qs * scale
    s = jnp.where(neg, q, 1) / (1 + q)
    xd = x * m.sech2(jnp.log1p(s)) / ((1 + q) * jnp.where(neg, 1 + 2 * q, 2 + q))
    gate_neg = (2 + 3 * q) / (2 + q * (6 + 5 * q))  # times q
    gate_pos = (3 + 2 * q) / (5 + q * (6 + 2 * q))
    return t * (jnp.where(neg, 0, gate_pos)
                + m.times((jnp.where(neg, gate_neg, 0) + xd) * scale, qs))


smish = register(Activation(
    name="smish",
    family="smooth",
    summary="Smish: x tanh(log(1 + sigmoid(x))).",
    formula=r"\mathrm{smish}(x) = x \tanh(\log(1 + \sigma(x)))",
    derivative=r"\partial_x = \tanh(\ell) + x\,\mathrm{sech}^2(\ell)\,"
               r"\frac{\sigma'(x)}{1 + \sigma(x)},\ \ell = \log(1 + \sigma(x))",
    fn=_smish,
    tangent=_smish_tangent,
    output_range=(-0.2797, math.inf),
    reference=Reference("X. Wang, H. Ren, A. Wang", "Smish: A Novel Activation Function for "
                        "Deep Learning Methods", "Electronics 11(4):540, 2022"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.smish(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.23377882,  0.        ,  1.1184375 ], dtype=float32)""",
))


# x g(x) gates whose g'(x) = k e^{-(n + lo)} decays like a (double) exponential: the rounding
# of the exponent n would be multiplied by |n| in g' and in every term of the second
# derivative, so n is carried as a double word (hi n, low lo) and the rule is built from
# helpers whose derivatives are closed forms in that same form.


def _x_gate_rule(gate_parts):
    """The tangent rule t (g(x) + x g'(x)) of x g(x) from ``gate_parts(x) -> (g, k, n, lo, c)``
    with g'(x) = k e^{-(n + lo)} (|lo| below an ULP of n) and g''(x) = g'(x) c(x).

    x g'(x) is one helper (k e^{-(n + lo)} with x folded into k), so that it stays a normal
    number where g'(x) alone underflows (x e^x at x = -90 in float32).
    """

    def d(x):
        _, k, n, lo, _ = gate_parts(x)
        return _exp_dd(k, n, lo)

    def xd(x):
        _, k, n, lo, _ = gate_parts(x)
        return _exp_dd(x * k, n, lo)

    def gate(x):
        return gate_parts(x)[0]

    def d_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        _, k, n, lo, c = gate_parts(x)
        return _exp_dd(k, n, lo), t * _exp_dd(k * c, n, lo)

    def xd_jvp(primals, tangents):
        # (x g')' = g' + x g'' = g' (1 + x c)
        (x,), (t,) = primals, tangents
        _, k, n, lo, c = gate_parts(x)
        return _exp_dd(x * k, n, lo), t * _exp_dd(k * (1 + x * c), n, lo)

    d = jax.custom_jvp(d)
    d.defjvp(d_jvp)
    xd = jax.custom_jvp(xd)
    xd.defjvp(xd_jvp)
    gate = m._with_derivative(d)(gate)

    def tangent(t, x, y):
        x = m.clamp(x, _XLO, _XHI)
        return t * (gate(x) + xd(x))

    return tangent


# erf(s) = s P(s^2) for 0 <= s < 1.25: P fitted by Chebyshev interpolation (mpmath, 60 digits;
# max relative error 1.1e-9 with 8 terms for float32, 3.5e-17 with 17 for float64).  XLA's
# float32 erf is up to 2.8 ULP off below 0.5 and 4 ULP near 3, which made serf(-6.21) 4.3 ULP
# off.
_ERF32 = (1.1283791661217897, -0.37612630916223405, 0.1128368362516748, -0.026860568279096275,
          0.00520958965824029, -0.0008344853610921509, 0.00010418097656600243,
          -7.616689263883488e-06)
_ERF64 = (1.1283791670955126, -0.37612638903183754, 0.11283791670955126, -0.026866170645131245,
          0.005223977625442113, -0.0008548327023445077, 0.00012055332981492831,
          -1.4925650347793287e-05, 1.646211409256012e-06, -1.6365839506281977e-07,
          1.4807119425983943e-08, -1.2289776362373654e-09, 9.416577968236517e-11,
          -6.675131377739766e-12, 4.309983893266277e-13, -2.3350787504156896e-14,
          7.890053404538256e-16)


def _erf_nonneg(s):
    """erf(s) for s >= 0 (NaN passes): the polynomial below 1.25, with the leading term
    s 2/sqrt(pi) from the constant as a double word (one rounding there); 1 - erfc(s) beyond,
    where XLA's erfc (up to 30 ULP off) is weighted down by erfc(s) / erf(s) <= 0.08 (0.2 ULP
    at most, measured)."""
    small = s < 1.25
    ss = jnp.where(small, s, 0)
    coeffs = _ERF32 if jnp.finfo(s.dtype).nmant <= 23 else _ERF64
    c0, c0l = m.const_dd("1.1283791670955125738961589031215451716881012586580", s.dtype)
    w = ss * ss
    poly = ss * c0 + ss * (c0l + w * m.poly(w, coeffs[1:]))
    return jnp.where(small, poly, 1 - lax.erfc(jnp.where(small, 2.0, s)))


def _serf_parts(x):
    # erf(sp), sp = softplus(x); g' = (2/sqrt(pi)) sigma(x) e^{-sp^2}, g'' = g' (sigma(-x) -
    # 2 sp sigma(x)).  sp = max(x, 0) + log1p(e^{-|x|}) as hi + lo and sp^2 as hi + lo: the
    # rounding of sp^2 ~ 700 alone was 100+ ULP of every term of serf''.  Below x = -30,
    # e^{-sp^2} = 1 to the last bit and the e^x of sigma(x) becomes the exponential part, so
    # that x g' does not flush with e^x.
    x = m.clamp(x, -1000.0, 40.0)  # beyond 40, g' is 0 (e^{-1600}) in every dtype
    neg = x < -30
    xs = jnp.where(neg, 0, x)
    sp_h, sp_l = m.two_sum(jnp.where(xs > 0, xs, 0), jnp.log1p(jnp.exp(-jnp.abs(xs))))
    s2, s2e = two_prod(sp_h, sp_h)
    s2e = s2e + 2 * sp_h * sp_l
    sig = m.sigmoid(xs)
    c2 = 2 / math.sqrt(math.pi)
    k = jnp.where(neg, c2 / (1 + jnp.exp(x)), c2 * sig)
    n = jnp.where(neg, -x, s2)
    lo = lax.stop_gradient(jnp.where(neg, 0, s2e))
    sp = jnp.where(neg, 0, sp_h)
    c = m.sigmoid(-x) - 2 * sp * jnp.where(neg, 0, sig)
    return _erf_nonneg(m.softplus(x)), k, n, lo, c


def _serf(x):
    # Below x = -40, erf(softplus(x)) = (2/sqrt(pi)) e^x to the last bit, and x e^x is formed
    # without flushing e^x (it is a normal number down to x = -91.8 in float32, e^x is not).
    # (x itself, not x masked, into the main branch: with a select in front XLA split the
    # program into fusions that each recomputed the gate, 5x slower.)
    low = x < -40
    xl = jnp.where(low, x, 0)
    return jnp.where(low, m.mul_exp(xl * (2 / math.sqrt(math.pi)), xl),
                     x * _erf_nonneg(m.softplus(x)))


serf = register(Activation(
    name="serf",
    family="smooth",
    summary="Serf: x erf(softplus(x)).",
    formula=r"\mathrm{serf}(x) = x\,\mathrm{erf}(\log(1 + e^x))",
    derivative=r"\partial_x = \mathrm{erf}(\mathrm{sp}(x)) + "
               r"x\frac{2}{\sqrt\pi}e^{-\mathrm{sp}(x)^2}\sigma(x)",
    fn=_serf,
    tangent=_x_gate_rule(_serf_parts),
    output_range=(-0.3607, math.inf),
    reference=Reference("S. Nag, M. Bhattacharyya", "SERF: Towards better training of deep "
                        "neural networks using log-Softplus ERror activation Function",
                        "WACV 2023", "2108.09598"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.serf(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.34224796,  0.        ,  1.9947393 ], dtype=float32)""",
))


# e^r - 1 = r P(r), P(r) = sum_i r^i / (i + 1)!.  The compensated Horner scheme carries the
# leading coefficients as double words (rounded, they alone would make e^x off by ~eps/100,
# which 2 e^x ~ 700 magnifies); the tail's rounding is ~r^5/120 eps.
_EXPM1_DW = tuple(str(decimal.Decimal(1) / math.factorial(i + 1)) for i in range(5))
_EXPM1_TAIL = tuple(1 / math.factorial(i + 1) for i in range(5, 16))
_LN2 = "0.69314718055994530941723212145817656808"


def _pow2(k):
    """2^k for an integer-valued float k in the normal exponent range, from its bits (exact;
    jnp.ldexp costs as much as the whole of _exp_dw)."""
    if jnp.finfo(k.dtype).nmant <= 23:
        bits = (k.astype(jnp.int32) + 127) << 23
    else:
        bits = (k.astype(jnp.int64) + 1023) << 52
    return lax.bitcast_convert_type(bits, k.dtype)


def _exp_dw(x):
    """e^x as hi + lo to about eps^2 relative, for 0 <= x <= 10.

    x = k ln2 + r (Cody-Waite: ln2's high part has 4 trailing zero bits, so k ln2_hi and
    r = x - k ln2_hi are exact for k < 16), e^r - 1 by a compensated Horner scheme (Graillat,
    Langlois, Louvet 2005), e^x = 2^k + 2^k (e^r - 1).
    """
    dt = x.dtype
    p = jnp.finfo(dt).nmant + 1
    ln2_hi = math.ldexp(round(math.ldexp(math.log(2), p - 4)), 4 - p)
    ln2_lo = float(np.asarray(float(decimal.Decimal(_LN2) - decimal.Decimal(ln2_hi)), dt))
    k = jnp.round(x * (1 / math.log(2)))
    r = x - k * ln2_hi
    rl = -(k * ln2_lo)
    s = m.poly(r, _EXPM1_TAIL[: 7 if p <= 24 else 11])
    c = jnp.zeros_like(r)
    for a in reversed(_EXPM1_DW):
        a_hi, a_lo = m.const_dd(a, dt)
        s, pe = two_prod(s, r)
        s, se = m.two_sum(s, jnp.asarray(a_hi, dt))  # (the constant second: see two_sum)
        c = c * r + (pe + se + a_lo)
    em1, em1e = two_prod(r, s)
    em1e = em1e + r * c + rl * (1 + em1)  # + the low part of r, to first order
    two_k = _pow2(k)
    hi, hie = m.two_sum(two_k, two_k * em1)
    # renormalized: the low part of r (k ln2_lo) can exceed an ULP of hi (float32)
    return m.two_sum(hi, hie + two_k * em1e)


def _tanh_coeffs(n):
    """Coefficients of tanh(z) / z in powers of z^2: 2^2j (2^2j - 1) B_2j / (2j)!, j >= 1."""
    bern = [fractions.Fraction(1)]
    for i in range(1, 2 * n + 1):
        bern.append(-sum(math.comb(i + 1, j) * bern[j] for j in range(i)) / (i + 1))
    return tuple(float(4 ** j * (4 ** j - 1) * bern[2 * j] / math.factorial(2 * j))
                 for j in range(1, n + 1))


# tanh(z) / z for z < 0.625 (z^2 < 0.39, a fifth of the series' radius of convergence): the
# small-argument tanh of XLA is up to 2 eps off, which alone is 4 ULP of x tanh(e^x).
_TANH_SERIES = _tanh_coeffs(22)
_TANH_SERIES_MAX_LOG = math.log(0.625)


def _tanh_ratio(u):
    """tanh(z) / z for u = z^2 < 0.39."""
    return m.poly(u, _TANH_SERIES[: 11 if jnp.finfo(u.dtype).nmant <= 23 else 22])


def _tanhexp_parts(x):
    # g = tanh(E), E = e^x; g' = E sech^2(E), g'' = g' (1 - 2 E tanh E); with Q = e^{-2E} and
    # r = 1 / (1 + Q): tanh E = (1 - Q) r (its series below E = 0.625), sech^2 E = 4 Q r^2.
    # x >= 0: g' = 4E r^2 Q with 2E as a double word (hi n, low lo) in the exponential part
    # Q: its rounding would be multiplied by 2E (up to ~730 before g' underflows).
    # x < 0: g' = 4 Q r^2 e^x, with e^x as the exponential part so that x g' does not flush
    # with e^x.
    pos = x >= 0
    xp = jnp.where(pos, jnp.where(x > 8, 8, x), 0)  # beyond 8, g' = 0 in every dtype
    eh, el = _exp_dw(xp)
    xn = jnp.where(pos, 0, x)
    e = jnp.where(pos, eh, jnp.exp(xn))
    q = jnp.exp(-2 * e)
    r = 1 / (1 + q)
    small = e < 0.625
    es = jnp.where(small, e, 0)
    th = jnp.where(small, es * _tanh_ratio(es * es), (1 - q) * r)
    k = jnp.where(pos, 4 * eh, 4 * q) * (r * r)
    n = jnp.where(pos, 2 * eh, -xn)
    lo = lax.stop_gradient(jnp.where(pos, 2 * el, 0))
    return th, k, n, lo, 1 - 2 * e * th


def _tanhexp(x):
    # Below x = log(0.625), x e^x T(e^2x) with e^x as mul_exp's exponential part: no flushing
    # of e^x where x e^x is still normal (down to x = -91.8 in float32), and 0 at -inf.
    small = x < _TANH_SERIES_MAX_LOG
    # Each branch's argument by min/max (x itself where the branch is taken; tanh(e^20) = 1 in
    # every dtype), not by selects, which XLA's CPU fusion stored in arrays of their own.
    xs = jnp.minimum(x, _TANH_SERIES_MAX_LOG)
    xb = m.clamp(x, _TANH_SERIES_MAX_LOG, 20.0)
    e = jnp.exp(xs)
    return jnp.where(small, m.mul_exp(xs * _tanh_ratio(e * e), xs), x * m.tanh(jnp.exp(xb)))


tanhexp = register(Activation(
    name="tanhexp",
    family="smooth",
    summary="TanhExp: x tanh(e^x).",
    formula=r"\mathrm{tanhexp}(x) = x \tanh(e^x)",
    derivative=r"\partial_x = \tanh(e^x) + x e^x \mathrm{sech}^2(e^x), \quad "
               r"\partial_x^2 = e^x \mathrm{sech}^2(e^x)\bigl(2 + x - 2x e^x \tanh(e^x)\bigr)",
    fn=_tanhexp,
    tangent=_x_gate_rule(_tanhexp_parts),
    output_range=(-0.3532858, math.inf),
    notes="The derivatives hold sech^2(e^x) ~ 4 e^{-2e^x}, which magnifies the rounding of "
          "e^x by 2e^x (up to ~730 before they underflow): e^x is computed there as a double "
          "word (Cody-Waite reduction and a compensated Horner scheme).",
    reference=Reference("X. Liu, X. Di", "TanhExp: A smooth activation function with high "
                        "convergence speed for lightweight neural networks",
                        "IET Computer Vision 15(2):136-150, 2021", "2003.09855"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.tanhexp(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.3521355,  0.       ,  1.9999986], dtype=float32)""",
))


# ----------------------------------------------------------------------------- others


def _sqrt_x2_plus_b(x, b):
    # sqrt(x^2 + b) without overflowing x^2 (squareplus overflowed for |x| > 2e19).
    # One sqrt of a selected argument (two sqrt branches were each kept as an array by XLA).
    a = jnp.abs(x)
    big = a > jnp.sqrt(jnp.finfo(x.dtype).max) * 0.25
    asmall = jnp.where(big, 0, a)
    abig = jnp.where(big, a, 1)
    return abig * jnp.sqrt(jnp.where(big, 1 + (b / abig) / abig, asmall * asmall + b))


def _squareplus(x, b):
    # (x + r) / 2 = max(x, 0) + q with q = b / (2 (r + |x|)): the x < 0 half of x + r cancels.
    den = 2 * (_sqrt_x2_plus_b(x, b) + jnp.abs(x))
    q = jnp.where(den == 0, 0, b / jnp.where(den == 0, 1, den))  # (NaN goes through)
    return jnp.where(x > 0, x, 0) + q


def _squareplus_d(x, y, b):
    """f' = (1 + x / r) / 2 = y / r, r = sqrt(x^2 + b), from x and the output y alone: r = y +
    (y - x) (y - x exact for x > 0, no cancellation for x < 0; 2 y would overflow), so that a
    training step keeps x and y only (82 MiB, not 36, with the rule written from r and q).
    Its own derivative (f'', and the b-derivative) is the closed form from x, assuming y is
    squareplus(x, b), which holds wherever the builder calls it."""
    r = y + (y - x)
    d = jnp.where(r == 0, 0.5, y / jnp.where(r == 0, 1, r))
    return jnp.where(x == jnp.inf, 1, d)  # r = inf - inf at +inf


_squareplus_d = jax.custom_jvp(_squareplus_d)


@_squareplus_d.defjvp
def _squareplus_d_jvp(primals, tangents):
    x, y, b = primals
    tx, _, tb = tangents
    r = _sqrt_x2_plus_b(x, b)
    rs = jnp.where(r == 0, 1, r)
    inv3 = ((1 / rs) / rs) / rs  # 1/r^3, underflowing rather than overflowing
    return _squareplus_d(x, y, b), tx * (0.5 * b * inv3) - tb * (0.25 * x * inv3)


squareplus = register(Activation(
    name="squareplus",
    family="smooth",
    summary="Squareplus: a softplus-like algebraic function.",
    formula=r"\mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}",
    derivative=r"\partial_x = \frac{1}{2}\Bigl(1 + \frac{x}{\sqrt{x^2+b}}\Bigr), \quad "
               r"\partial_x^2 = \frac{b}{2(x^2+b)^{3/2}}, \quad "
               r"\partial_b = \frac{1}{4\sqrt{x^2+b}}",
    params=(Param("b", 4.0, "smoothness b (b = 0 gives relu).", lower=0.0),),
    fn=_squareplus,
    tangent=lambda t, x, y, b: t * _squareplus_d(x, y, b),
    param_tangents=(lambda tb, x, y, b: tb * (0.25 / _sqrt_x2_plus_b(x, b)),),
    output_range=(0.0, math.inf),
    monotonic=True,
    notes="Written as max(x, 0) + b / (2 (sqrt(x^2 + b) + |x|)): no cancellation for x < 0 "
          "and no overflow of x^2 (jax.nn's gives inf for |x| > 2e19 in float32).",
    reference=Reference("J. T. Barron", "Squareplus: A Softplus-Like Algebraic Rectifier",
                        "arXiv 2021", "2112.11687"),
    anchors={"jax": "squareplus", "keras": "squareplus"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.squareplus(jnp.array([-1e30, 0.0, 2.0]))
Array([1.0000000e-30, 1.0000000e+00, 2.4142137e+00], dtype=float32)""",
))

tanh_shrink = register(Activation(
    name="tanh_shrink",
    family="smooth",
    summary="Tanh-shrink: x - tanh(x).",
    formula=r"\mathrm{tanh\_shrink}(x) = x - \tanh x",
    derivative=r"\partial_x = \tanh^2 x, \quad \partial_x^2 = 2\tanh x\,\mathrm{sech}^2 x",
    fn=m.x_minus_tanh,
    tangent=lambda t, x, y: t * jnp.square(m.tanh(x)),
    monotonic=True,
    zero_centered=True,
    notes="Accurate near 0, where x - tanh x cancels (it is x^3/3 there; torch gives 0 for "
          "|x| < 1e-4 in float32): a positive series is used for |x| < 2.",
    reference=Reference("R. Collobert", "Torch7 nn.Tanhshrink", "torch7 documentation, 2011"),
    anchors={"torch": "tanhshrink", "keras": "tanh_shrink"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.tanh_shrink(jnp.array([-3.0, 1e-3, 2.0]))
Array([-2.0049453e+00,  3.3333328e-10,  1.0359724e+00], dtype=float32)""",
))

exponential = register(Activation(
    name="exponential",
    family="smooth",
    summary="The exponential e^x (Keras' ``exponential`` activation).",
    formula=r"\exp(x) = e^x",
    derivative=r"\partial_x = e^x",
    fn=jnp.exp,
    tangent=lambda t, x, y: t * y,
    output_range=(0.0, math.inf),
    monotonic=True,
    reference=None,
    anchors={"keras": "exponential"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.exponential(jnp.array([-1.0, 0.0, 2.0]))
Array([0.36787945, 1.        , 7.389056  ], dtype=float32)""",
))

