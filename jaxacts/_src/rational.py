"""Rational activations: the Padé activation unit (PAU) with the pole-free "safe" denominator.

``rational(x) = P(x) / Q(x)`` with ``P(x) = a_0 + a_1 x + ... + a_m x^m`` and
``Q(x) = 1 + |S(x)|``, ``S(x) = b_1 x + ... + b_n x^n``.  The degrees come from the lengths of
the coefficient vectors, which are not broadcast against ``x``.

Numerics.  For ``|x| <= 1`` the polynomials are evaluated in ``x`` (Horner).  Beyond, ``x^5``
overflows float32 long before the ratio does, so each polynomial is divided by the power of
``|x|`` of its nominal degree and evaluated in ``r = 1/x`` with the coefficients reversed; the
ratio of the scaled values is then multiplied back by ``x^(m-n)``, so large inputs give the
asymptote (the ratio of the leading terms) instead of inf/inf.  Both forms share one Horner
loop whose coefficients are selected per element.

|S| is written as ``sign(S) * S`` with ``sign`` built from ``where`` and ``sign(0) = 0``: the
derivative at a zero of ``S`` is then the average of the one-sided derivatives, chosen on
purpose rather than by ``jnp.abs``'s convention.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxacts._src.registry import Activation, Kink, Param, Reference, register

# The PAU authors' initialisation for leaky ReLU (slope 0.01) at degrees (5, 4):
# "pade_optimized_leakyrelu" in github.com/ml-research/pau (pau/cuda/python_imp/Pade.py).
_NUMERATOR = (3.35583603e-02, 5.05000375e-01, 1.65343934e00, 2.01001052e00, 9.31901999e-01,
              1.52424124e-01)
_DENOMINATOR = (3.30847488e-06, 3.98021568e00, 5.12471206e-07, 3.01830109e-01)


def _sign(v: jax.Array) -> jax.Array:
    """sign(v) with sign(0) = 0, from ``where`` (piecewise constant: derivative exactly 0)."""
    one = jnp.ones_like(v)
    return jnp.where(v > 0, one, jnp.where(v < 0, -one, jnp.zeros_like(v)))


class _Frame:
    """Where each element is evaluated (in ``x`` or in ``1/x``) and the scaling between them.

    For ``|x| > 1`` a polynomial of nominal degree ``d`` is represented by its value divided by
    ``x^d``, i.e. its reversed coefficients evaluated at ``r = 1/x``.
    """

    def __init__(self, x: jax.Array):
        self.small = jnp.abs(x) <= 1
        # 1 where unused: no 1/0, no factor.  From max(|x|, 1) and the sign of x, not a
        # select on x, which XLA's CPU fusion stored in an array of its own (two loops).
        one = jnp.ones_like(x)
        a = jnp.maximum(jnp.abs(x), 1)
        big = jnp.where(self.small, one, jnp.copysign(a, x))
        self.r = jnp.where(self.small, one, jnp.copysign(1 / a, x))
        self.v = jnp.where(self.small, x, self.r)
        self.x = big
        # S has no constant term: S = x * sum_k b_k x^(k-1) in x, while divided by x^n it is
        # sum_k b_k r^(n-k) in r; either way ``lead * poly(b)``.  Its sign is taken from the
        # two factors, so that a product underflowing to 0 near x = 0 keeps the right side.
        self.lead = jnp.where(self.small, x, jnp.ones_like(x))
        self.sgn = _sign(big)

    def poly(self, c: jax.Array) -> jax.Array:
        """sum_k c_k x^k (direct) or sum_k c_k r^(d - k) (reversed), with d = len(c) - 1."""
        k = c.shape[0]
        if k == 0:
            return jnp.zeros_like(self.v)
        acc = jnp.where(self.small, c[k - 1], c[0])
        for j in range(k - 2, -1, -1):
            acc = acc * self.v + jnp.where(self.small, c[j], c[k - 1 - j])
        return acc

    def times_power(self, v: jax.Array, k: int, n: int) -> jax.Array:
        """``v`` times ``sign(x)^n x^k`` (= ``x^(n+k) / |x|^n``) in the reversed frame, else ``v``.

        One factor at a time, so the product overflows only when the true value does.
        """
        for _ in range(abs(k)):
            v = v * (self.x if k > 0 else self.r)
        return v * self.sgn if n % 2 else v


def _derived(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """P' and S' as coefficient vectors, lowest degree first."""
    m, n = a.shape[0] - 1, b.shape[0]
    return (a[1:] * jnp.arange(1, m + 1, dtype=a.dtype),
            b * jnp.arange(1, n + 1, dtype=b.dtype))


def _parts(x, a, b):
    """The frame, P, S, sign(S), Q in the frame's scaling, and the degrees (m, n)."""
    fr = _Frame(x)
    m, n = a.shape[0] - 1, b.shape[0]
    p = fr.poly(a)
    s1 = fr.poly(b)
    s = fr.lead * s1
    sg = _sign(fr.lead) * _sign(s1)
    # The 1 of Q, divided by |x|^n in the reversed frame.
    unit = jnp.ones_like(x)
    ar = jnp.where(fr.r < 0, -fr.r, fr.r)
    for _ in range(n):
        unit = unit * jnp.where(fr.small, 1, ar)
    return fr, p, sg, unit + sg * s, (m, n)


def _rational(x, a, b):
    fr, p, _, q, (m, n) = _parts(x, a, b)
    return fr.times_power(p / q, m - n, n)


def _rational_tangent(t, x, y, a, b):
    fr, p, sg, q, (m, n) = _parts(x, a, b)
    da, ds = _derived(a, b)
    d = (fr.poly(da) * q - p * sg * fr.poly(ds)) / (q * q)
    return t * fr.times_power(d, m - n - 1, n)


def _dnumerator(ta, x, y, a, b):
    # f is linear in the numerator: its tangent is the same ratio with the tangent vector as
    # numerator, a contraction of ta with (x^k / Q)_k done by Horner.
    fr, _, _, q, (m, n) = _parts(x, a, b)
    return fr.times_power(fr.poly(ta) / q, m - n, n)


def _ddenominator(tb, x, y, a, b):
    fr, p, sg, q, (m, n) = _parts(x, a, b)
    return fr.times_power(-(p * sg) * (fr.lead * fr.poly(tb)) / (q * q), m - n, n)


def _validate(x, a, b):
    for name, v, least in (("numerator", a, 1), ("denominator", b, 1)):
        shape = np.shape(v)
        if len(shape) != 1 or shape[0] < least:
            raise ValueError(f"rational: {name} must be a 1-D vector of coefficients (lowest "
                             f"degree first) with at least {least} entry; got shape {shape}")


def _kink_grad(numerator=_NUMERATOR, **_):
    return numerator[1] if len(numerator) > 1 else 0.0


rational = register(Activation(
    name="rational",
    family="rational",
    summary="Rational (Padé) activation unit with a pole-free denominator.",
    formula=(r"\mathrm{rational}(x) = \frac{P(x)}{Q(x)} = "
             r"\frac{a_0 + a_1 x + \dots + a_m x^m}{1 + |b_1 x + b_2 x^2 + \dots + b_n x^n|}"),
    derivative=(r"\partial_x = \frac{P'(x) Q(x) - P(x)\,\mathrm{sign}(S(x))\,S'(x)}{Q(x)^2},"
                r"\ \partial_{a_k} = \frac{x^k}{Q(x)},\ "
                r"\partial_{b_k} = -\frac{P(x)\,\mathrm{sign}(S(x))\,x^k}{Q(x)^2},\ "
                r"S(x) = \textstyle\sum_{k=1}^n b_k x^k"),
    params=(
        Param("numerator", _NUMERATOR, "numerator coefficients (a_0, ..., a_m), lowest degree "
              "first; a 1-D vector (its length sets the degree m + 1), not broadcast against x.",
              broadcast=False),
        Param("denominator", _DENOMINATOR, "denominator coefficients (b_1, ..., b_n), lowest "
              "degree first (Q = 1 + |b_1 x + ... + b_n x^n|); a 1-D vector, not broadcast "
              "against x.", broadcast=False),
    ),
    fn=_rational,
    tangent=_rational_tangent,
    param_tangents=(_dnumerator, _ddenominator),
    kinks=(Kink(0.0, _kink_grad,
                "S(0) = 0, so |S| has a kink at 0 (when b_1 != 0); with sign(0) = 0 the "
                "derivative there is a_1, the average of the one-sided derivatives "
                "a_1 -+ a_0 |b_1|, and the value the rule would have with b_1 = 0."),),
    output_range=(-math.inf, math.inf),
    smoothness=0,
    validate=_validate,
    notes=(
        "This is PAU \"version B\" (Q = 1 + |S(x)|, no poles for any coefficients). The "
        "defaults, degrees (5, 4), are the PAU authors' initialisation approximating leaky ReLU "
        "(slope 0.01) on [-3, 3] (``pade_optimized_leakyrelu`` in github.com/ml-research/pau, "
        "fitted for 1 + sum |b_k| |x|^k; b_1 and b_3 are below 4e-6, so |S| differs from that "
        "sum by less than 4e-6 |x| (1 + x^2) and the fit carries over). Asymptotically "
        "rational(x) ~ (a_5 / |b_4|) x = 0.505 x. Besides x = 0, |S| has a kink wherever S "
        "changes sign (for the defaults at x = -8.3e-7, a jump of 2.2e-7 in the derivative); "
        "the derivative there also uses sign(0) = 0. Polynomials are evaluated in 1/x for "
        "|x| > 1, so large inputs give the asymptote without overflow."),
    reference=Reference("A. Molina, P. Schramowski, K. Kersting",
                        "Padé Activation Units: End-to-end Learning of Flexible Activation "
                        "Functions in Deep Networks", "ICLR 2020", "1907.06732"),
    anchors={},
    aliases=("pau",),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.rational(jnp.array([-1.0, 0.0, 1.0]))
Array([-0.00918875,  0.03355836,  1.0008112 ], dtype=float32)""",
))
