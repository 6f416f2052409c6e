"""Sigmoid-like activations: sigmoid, log_sigmoid, tanh, soft_sign, log1mexp, softcap.

Every rule is built from the helpers of :mod:`jaxacts._src.math`, whose own derivatives are
closed forms, so second derivatives are accurate in the tails (jax.nn's sigmoid derivative is
exactly 0 from x = 17 in float32, its second derivative from x = 9).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from jaxacts._src import math as m
from jaxacts._src.registry import Activation, Param, Reference, register

_LECUN = Reference("Y. LeCun, L. Bottou, G. B. Orr, K.-R. Mueller", "Efficient BackProp",
                   "Neural Networks: Tricks of the Trade, Springer 1998")

sigmoid = register(Activation(
    name="sigmoid",
    family="sigmoid",
    summary="Logistic sigmoid.",
    formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    derivative=r"\sigma'(x) = \sigma(x)\,\sigma(-x), \quad "
               r"\sigma''(x) = -\sigma'(x) \tanh(x/2)",
    fn=m.sigmoid,
    # sigma(x) sigma(-x), not y (1 - y): the latter is exactly 0 from x = 17 in float32.
    tangent=lambda t, x, y: t * m.dsigmoid(x),
    output_range=(0.0, 1.0),
    monotonic=True,
    reference=_LECUN,
    anchors={"jax": "sigmoid", "torch": "sigmoid", "keras": "sigmoid"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.sigmoid(jnp.array([-1.0, 0.0, 2.0]))
Array([0.26894143, 0.5       , 0.8807971 ], dtype=float32)""",
))

def _log_sigmoid(x):
    # min(x, 0) - log1p(e^{-|x|}) = -softplus(-x).  Written as one subtraction (not a
    # negated sum): XLA then keeps the output for the derivative 1 - e^y instead of
    # recomputing it from x and the log1p in the backward pass (24 MiB, not 50, in the
    # MLP training step of benchmarks/memory.py).
    return jnp.where(x < 0, x, 0) - m.log1p_01(jnp.exp(jnp.where(x > 0, -x, x)))


log_sigmoid = register(Activation(
    name="log_sigmoid",
    family="sigmoid",
    summary="Logarithm of the logistic sigmoid.",
    formula=r"\log\sigma(x) = -\log(1 + e^{-x}) = -\mathrm{softplus}(-x)",
    derivative=r"\partial_x = \sigma(-x), \quad \partial_x^2 = -\sigma(x)\sigma(-x)",
    fn=_log_sigmoid,
    tangent=lambda t, x, y: t * m.one_minus_exp(y),
    output_range=(-math.inf, 0.0),
    monotonic=True,
    reference=_LECUN,
    anchors={"jax": "log_sigmoid", "torch": "logsigmoid", "keras": "log_sigmoid"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.log_sigmoid(jnp.array([-100.0, 0.0, 20.0]))
Array([-1.0000000e+02, -6.9314718e-01, -2.0611537e-09], dtype=float32)""",
))

tanh = register(Activation(
    name="tanh",
    family="sigmoid",
    summary="Hyperbolic tangent.",
    formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    derivative=r"\tanh'(x) = \mathrm{sech}^2 x = 4\sigma'(2x), \quad "
               r"\tanh''(x) = -2\,\mathrm{sech}^2 x \tanh x",
    fn=m.tanh,
    # sech^2 directly, not 1 - y^2 (which is exactly 0 from |x| = 9 in float32).
    tangent=lambda t, x, y: t * m.sech2(x),
    output_range=(-1.0, 1.0),
    monotonic=True,
    zero_centered=True,
    reference=_LECUN,
    anchors={"jax": "tanh", "torch": "tanh", "keras": "tanh"},
    notes="Accurate to 2 ULP in float64 too (XLA's own float64 tanh is 6 ULP off near 19).",
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.tanh(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.7615941,  0.       ,  0.9640276], dtype=float32)""",
))


def _soft_sign(x):
    # inf / inf would be NaN: the limit is sign(x).
    return jnp.where(jnp.isinf(x), jnp.sign(x), x / (1 + jnp.abs(x)))


def _soft_sign_tangent(t, x, y):
    # 1/(1+|x|)^2 from x (1 - |y| cancels for large |x|); squared as a product so that it
    # underflows instead of overflowing.
    d = 1 / (1 + jnp.abs(x))
    return t * d * d


soft_sign = register(Activation(
    name="soft_sign",
    family="sigmoid",
    summary="Softsign.",
    formula=r"\mathrm{soft\_sign}(x) = \frac{x}{1 + |x|}",
    derivative=r"\partial_x = \frac{1}{(1 + |x|)^2}, \quad "
               r"\partial_x^2 = \frac{-2\,\mathrm{sign}(x)}{(1 + |x|)^3}",
    fn=_soft_sign,
    tangent=_soft_sign_tangent,
    output_range=(-1.0, 1.0),
    monotonic=True,
    smoothness=1,
    zero_centered=True,
    notes="The first derivative is continuous (1 at 0); the second jumps from 2 to -2 at 0, "
          "where jaxacts gives -2, the right-hand limit (as ``jax.grad(jax.grad("
          "jax.nn.soft_sign))(0.0)``: the derivative of |x| at 0 is taken as 1).",
    reference=Reference("J. Turian, J. Bergstra, Y. Bengio",
                        "Quadratic Features and Deep Architectures for Chunking",
                        "NAACL-HLT 2009"),
    anchors={"jax": "soft_sign", "torch": "softsign", "keras": "softsign"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.soft_sign(jnp.array([-1.0, 0.0, 3.0]))
Array([-0.5 ,  0.  ,  0.75], dtype=float32)""",
))


def _log1mexp(x):
    # Maechler's switch at ln 2: expm1 where e^{-x} is close to 1, log1p(-e^{-x}) beyond, as
    # log(u) + du/u with u + du = 1 - e^{-x} exactly (m.log1p_unit): XLA's float64 log1p is
    # 120 ULP off on [-1/2, -1/4], and the rounding of 1 - e^{-x} cost 2 ULP in float32.
    # expm1 from m.expm1_nonpositive (about 1 ULP, one exp shared with the other branch):
    # XLA's expm1 made log1mexp(0.4625) 4.04 ULP off in float32.
    e = jnp.exp(-x)
    return jnp.where(x < m.LN2, jnp.log(-m.expm1_nonpositive(-x, e)), m.log1p_unit(-e))


log1mexp = register(Activation(
    name="log1mexp",
    family="sigmoid",
    summary="log(1 - exp(-x)), computed stably; defined for x >= 0 (NaN for x < 0).",
    formula=r"\mathrm{log1mexp}(x) = \log(1 - e^{-x})",
    derivative=r"\partial_x = \frac{1}{e^x - 1}, \quad "
               r"\partial_x^2 = \frac{1}{\mathrm{expm1}(x)\,\mathrm{expm1}(-x)}",
    fn=_log1mexp,
    tangent=lambda t, x, y: t * m.inv_expm1(x),
    output_range=(-math.inf, 0.0),
    monotonic=True,
    notes="Same definition and domain as ``jax.nn.log1mexp``: -inf at 0, NaN for x < 0. The "
          "second derivative is written as 1/(expm1(x) expm1(-x)), which neither overflows "
          "nor cancels (-e^x/expm1(x)^2 gives NaN from x = 89 in float32).",
    reference=Reference("M. Maechler",
                        "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr package",
                        "CRAN vignette, 2012"),
    anchors={"jax": "log1mexp"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.log1mexp(jnp.array([1e-3, 1.0, 20.0]))
Array([-6.9082551e+00, -4.5867515e-01, -2.0611537e-09], dtype=float32)""",
))


def _z(x, c):
    # x * (1/c), not x / c: under an outer jit a constant cap turns x / c into x * (1/c)
    # (XLA's simplifier), and jit must equal eager.
    return x * (1 / c)


def _softcap(x, c):
    # c tanh(x/c) = x to the last bit for |x/c| < 1e-9; x/c may underflow there.
    return jnp.where(jnp.abs(x) < c * 1e-9, x, c * m.tanh(_z(x, c)))


def _softcap_tangent(t, x, y, c):
    # sech^2(z + zl) with z + zl = x / c exactly to first order: the rounding of z alone is
    # multiplied by 2|z| in the tail (cap 0.12: 103 ULP in float32).  Rescaled (1 / c scales
    # it up in the second derivative) and with its x-derivative in closed form.
    z, zl = m.ratio_dd(lax.stop_gradient(x), c)
    d, s = m.sech2_scaled(z, zl, x, 1 / c)
    return t * (d * s)


softcap = register(Activation(
    name="softcap",
    family="sigmoid",
    summary="Tanh soft-capping (Gemma 2): squashes x smoothly into (-cap, cap).",
    formula=r"\mathrm{softcap}(x) = c \tanh(x / c)",
    derivative=r"\partial_x = \mathrm{sech}^2(x/c), \quad "
               r"\partial_c = \tanh(z) - z\,\mathrm{sech}^2 z,\ z = x/c",
    params=(Param("cap", 30.0, "the cap c (Gemma 2: 50 for attention logits, 30 for the "
                               "final logits).", lower=0.0, lower_open=True),),
    fn=_softcap,
    tangent=_softcap_tangent,
    # z clamped: x / c overflows for a small cap near the top of the range (inf sech^2 = NaN);
    # beyond |z| = 1e4 the derivative is sign(z) to the last bit.
    param_tangents=(lambda tc, x, y, c: tc * m.tanh_minus_x_sech2(m.clamp(_z(x, c), -1e4, 1e4)),),
    output_range=(-30.0, 30.0),
    monotonic=True,
    zero_centered=True,
    notes="The derivative in ``cap`` cancels near x = 0 (it is 2z^3/3 there); it is computed "
          "from a positive series for |x/c| < 2.",
    reference=Reference("Gemma Team", "Gemma 2: Improving Open Language Models at a Practical "
                        "Size", "2024", "2408.00118"),
    anchors={},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.softcap(jnp.array([-100.0, 0.0, 10.0]), cap=30.0)
Array([-29.923738,   0.      ,   9.645383], dtype=float32)""",
))
