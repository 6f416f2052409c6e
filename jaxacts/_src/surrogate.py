"""Step functions with opt-in surrogate gradients: heaviside and sign.

Their true derivative is 0 almost everywhere (a jump of size J at 0: J = 1 for heaviside,
J = 2 for sign), which stops learning.  Binarized and spiking networks replace the Dirac delta
J * delta(x) by J * g_k(x), where g_k is a bump of unit area and sharpness k (the derivative of
a smooth step S_k from 0 to 1, so g_k tends to delta as k grows):

==================  ===================================  ==============================
surrogate           g_k(x)                               S_k(x)
==================  ===================================  ==============================
``none``            0 (the true derivative)              the step itself
``straight_through`` k/2 on [-1/k, 1/k], else 0          clip((k x + 1) / 2, 0, 1)
``sigmoid``         k sigma(k x) sigma(-k x)             sigma(k x)
``fast_sigmoid``    k / (2 (1 + k|x|)^2)                 1/2 + k x / (2 (1 + k|x|))
``arctan``          k / (2 (1 + (pi k x / 2)^2))         1/2 + arctan(pi k x / 2) / pi
==================  ===================================  ==============================
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from jaxacts._src import math as m
from jaxacts._src.rectifiers import example
from jaxacts._src.registry import Activation, Kink, Param, Reference, Static, register

SURROGATES = ("none", "straight_through", "sigmoid", "fast_sigmoid", "arctan")
# g_k(0) / k for each surrogate: the derivative at the jump is jump * G0 * k.
G0 = {"none": 0.0, "straight_through": 0.5, "sigmoid": 0.25, "fast_sigmoid": 0.5,
      "arctan": 0.5}


def _abs(x: jax.Array) -> jax.Array:
    # where-based: the derivative of |x| at 0 is +1 (one-sided), not jnp.abs's choice.
    return jnp.where(x < 0, -x, x)


def density(x: jax.Array, k: jax.Array, surrogate: str, jump: float = 1.0) -> jax.Array:
    """``jump * g_k(x)``, the unit-area bump g_k standing in for the Dirac delta (see the module
    docstring), scaled by the jump.

    Written so that it is itself differentiable with no inf * 0 anywhere (its derivative is
    the surrogate second derivative) and accurate in the tails: |x| is taken before scaling by
    k (k * x can flush to 0 and lose the sign), and constant factors are multiplied first so
    that a tiny result is not flushed before it is scaled up."""
    if surrogate == "none":
        return jnp.zeros_like(x)
    c = jump * k
    if surrogate == "straight_through":
        kx = k * x
        return jnp.where((kx >= -1) & (kx <= 1), c / 2, jnp.zeros_like(x))
    a = k * _abs(x)
    if surrogate == "sigmoid":
        # c e^-a / (1 + e^-a)^2 = c sigma(a) sigma(-a): no 1 - sigma(a) cancellation.  a = k|x|
        # as hi + lo (e^-(a + al) = e^-a (1 - al)): its rounding is multiplied by a in the tail
        # (k = 20.6: 58 ULP in float32, 122 in float64).
        # e^-a = e scale, e rescaled where it would flush while k^2 e^-a does not (the second
        # derivative at k = 24, x = -3.6: 1e-35 true, 0 before), and its derivative -k sign(x) e
        # in closed form (through the chain, e's cotangent times e flushed first); so a from x
        # without its tangent (the closed form's; k's stays in it).
        a, al = m.scale_dd(_abs(lax.stop_gradient(x)), k)
        d, scale = m.dsigmoid_scaled(-a, 0.0 if m.no_low_part(al) else -al,
                                     x, -k * jnp.sign(x))
        return (c * d) * scale
    if surrogate == "fast_sigmoid":
        r = 1 / (1 + a)
        # r <= 1, so (c/2) r is above the result: no flushed intermediate (r^2 first flushed
        # sign's k = 17 surrogate at x = -6e17 to 0, 1.5e-37 true).
        return ((c / 2) * r) * r
    if surrogate == "arctan":
        return _arctan_bump(x, k, c)
    raise ValueError(f"unknown surrogate {surrogate!r}; allowed: {', '.join(SURROGATES)}")


def _arctan_parts(x, k):
    # 1 / (1 + z^2) as w^2 / (1 + w^2) with w = 1/z beyond |z| = 1: no overflow of z^2.
    z = (math.pi / 2) * (k * _abs(x))
    big = z > 1
    zs = jnp.where(big, 0, z)
    w = 1 / jnp.where(big, z, 1)
    return big, zs, w


@jax.custom_jvp
def _arctan_bump(x, k, c):
    """c / (2 (1 + z^2)), z = pi k x / 2, whose x-derivative -C z / (1 + z^2)^2 (C = c pi k / 2,
    beyond |z| = 1: -C w^3 / (1 + w^2)^2, w = 1/z) is a closed form with the constants
    multiplied in first: through the chain rule a cotangent times z (or w^2) flushed before
    pi k / 2 scaled it back (heaviside at x = tiny: f'' = -2.9e-38 came out 0; sign at x = 4e12:
    -1.2e-38).  k and c are not differentiated (the sharpness is not learnable)."""
    big, zs, w = _arctan_parts(x, k)
    # ((c/2) w) w: w^2 alone flushed where the result does not (k = 15, x = 6e17).
    return jnp.where(big, (((c / 2) * w) * w) / (1 + w * w), (c / 2) / (1 + zs * zs))


@_arctan_bump.defjvp
def _arctan_bump_jvp(primals, tangents):
    x, k, c = primals
    big, zs, w = _arctan_parts(x, k)
    cc = c * ((math.pi / 2) * k)
    r = 1 / (1 + jnp.where(big, w * w, zs * zs))
    d = jnp.where(big, (((cc * w) * w) * w) * (r * r), (cc * zs) * (r * r))
    # -sign(x), one-sided (+) at 0 as _abs's derivative; d is 0 there
    return _arctan_bump(x, k, c), jnp.where(x < 0, d, -d) * tangents[0]


_SHARPNESS = Param("sharpness", 1.0, "sharpness k of the surrogate (its width is ~1/k; "
                   "ignored for ``surrogate='none'``). Not differentiated.", lower=0.0,
                   lower_open=True, learnable=False)
_SURROGATE = Static("surrogate", "none", "the gradient used in place of the true derivative "
                    "(0 almost everywhere): one of " + ", ".join(map(repr, SURROGATES)) + ".",
                    choices=SURROGATES)
_NOTES = """Surrogate gradients (``surrogate=``; the value is always the exact step): the
derivative is J * g_k(x) with J the jump at 0 and g_k a unit-area bump of sharpness k:
``none``: 0 (the true derivative); ``straight_through``: k/2 on [-1/k, 1/k] (for ``sign`` with
k = 1 this is the hard-tanh straight-through estimator of BinaryNet); ``sigmoid``:
k sigma(kx) sigma(-kx); ``fast_sigmoid``: k / (2 (1 + k|x|)^2) (SuperSpike); ``arctan``:
k / (2 (1 + (pi k x / 2)^2)). The second derivative is J g_k'(x) (g_k' is taken as 0 at the
edges of the straight-through box and one-sided, from the right, at 0 for fast_sigmoid).
snntorch's ``sigmoid(slope=k)`` and ``atan(alpha=k)`` are the heaviside cases here; its
``fast_sigmoid(slope=k)`` is 2/k times ours. The sigmoid surrogate carries k |x| as an exact
double word; in the others k * x is rounded, which their tails (algebraic, not exponential)
do not amplify."""


def _kinks(jump: float) -> tuple[Kink, ...]:
    return tuple(
        Kink(0.0, lambda sharpness, _c=jump * c: _c * sharpness,
             f"the surrogate's value {jump:g} * g_k(0) = {jump * c:g} * k"
             + (" (the true derivative is 0)." if s == "none" else "."),
             static={"surrogate": s})
        for s, c in G0.items())


def _declare(name: str, jump: float, fn, at_zero: str, **kw) -> Activation:
    return Activation(
        name=name,
        family="surrogate",
        params=(_SHARPNESS,),
        param_tangents=(None,),
        static=(_SURROGATE,),
        fn=lambda x, k, surrogate: fn(x),
        tangent=lambda t, x, y, k, surrogate: t * density(x, k, surrogate, jump),
        kinks=_kinks(jump),
        monotonic=True,
        smoothness=-1,
        notes=at_zero + "\n\n" + _NOTES,
        **kw,
    )


def _heaviside(x):
    # NaN compares false in both tests, so it falls through to x itself.
    one, zero = jnp.ones_like(x), jnp.zeros_like(x)
    return jnp.where(x > 0, one, jnp.where(x <= 0, zero, x))


heaviside = register(_declare(
    "heaviside", 1.0, _heaviside,
    "H(0) = 0: the unit fires only strictly above its threshold (as snntorch and norse), and "
    "H equals the derivative jax.nn.relu uses, relu'(x), everywhere. jnp.heaviside(x, 0.0) is "
    "the same map.",
    summary="Heaviside step (0/1) with an opt-in surrogate gradient.",
    formula=r"H(x) = 1 \text{ if } x > 0 \text{ else } 0",
    derivative=(r"H'(x) = 0 \ (x \ne 0); \text{ with a surrogate: } g_k(x), "
                r"\ \textstyle\int g_k = 1"),
    output_range=(0.0, 1.0),
    reference=Reference("F. Zenke, S. Ganguli",
                        "SuperSpike: Supervised Learning in Multilayer Spiking Neural Networks",
                        "Neural Computation 30(6), 2018", "1705.11146"),
    anchors={"jax": "", "torch": "", "keras": ""},
    example=example("heaviside(jnp.array([-1.0, 0.0, 2.0]), surrogate='sigmoid')",
                    "Array([0., 0., 1.], dtype=float32)"),
))

sign = register(_declare(
    "sign", 2.0, jnp.sign,
    "sign(0) = 0, as jnp.sign and torch.sign (BinaryNet-style layers that need +-1 only can "
    "use ``2 * heaviside(x) - 1``, whose surrogate is the same).",
    summary="Sign (-1/0/1) with an opt-in surrogate gradient, for binarized networks.",
    formula=r"\mathrm{sign}(x) = 1 \text{ if } x > 0, \ 0 \text{ if } x = 0, \ -1 "
            r"\text{ if } x < 0",
    derivative=(r"\mathrm{sign}'(x) = 0 \ (x \ne 0); \text{ with a surrogate: } 2 g_k(x), "
                r"\ \textstyle\int g_k = 1"),
    output_range=(-1.0, 1.0),
    zero_centered=True,
    reference=Reference("I. Hubara, M. Courbariaux, D. Soudry, R. El-Yaniv, Y. Bengio",
                        "Binarized Neural Networks", "NeurIPS 2016", "1602.02830"),
    anchors={"jax": "", "torch": "", "keras": ""},
    example=example("sign(jnp.array([-3.0, 0.0, 0.5]), surrogate='straight_through')",
                    "Array([-1.,  0.,  1.], dtype=float32)"),
))
