"""References for the rational (Padé) activation, written from the PAU paper (version B):
f = P / Q, P = sum_k a_k x^k (k = 0..m), Q = 1 + |S|, S = sum_k b_k x^k (k = 1..n).

The derivatives are the quotient rule with Q' = sign(S) S', Q'' = sign(S) S''.  Far from 0 the
terms of f'' cancel to O(1/x^3) from O(1/x), so the working precision grows with log|x|.
The scales are the magnitudes of the terms before they cancel (each term carries the rounding
of its coefficient), used near the zeros of P, P' and f''.
"""

import mpmath as mp

from . import Ref


def _terms(c, x, start, deriv):
    """The terms of d^deriv/dx^deriv sum_k c_k x^(k + start), as a list."""
    out = []
    for i, ci in enumerate(c):
        k = i + start
        coef = mp.mpf(ci)
        for j in range(deriv):
            coef *= k - j
        if coef != 0:
            out.append(coef * x ** (k - deriv))
    return out


def _pq(x, numerator, denominator):
    """P, P', P'', S, S', S'' and the magnitude sums of their terms."""
    vals = []
    for c, start in ((numerator, 0), (denominator, 1)):
        for d in range(3):
            t = _terms(c, x, start, d)
            vals.append((mp.fsum(t), mp.fsum(abs(v) for v in t)))
    return vals


def _digits(x):
    return 4 * int(mp.log10(abs(x))) if abs(x) > 1 else 0


def _eval(order, scale):
    def fn(x, numerator, denominator):
        with mp.workdps(mp.mp.dps + _digits(x) + 10):
            (p0, A0), (p1, A1), (p2, A2), (s0, B0), (s1, B1), (s2, B2) = _pq(
                x, numerator, denominator)
            sg = mp.sign(s0)
            q, q1, q2 = 1 + abs(s0), sg * s1, sg * s2
            if scale:
                qa = 1 + B0
                out = [(A0 + abs(p0) * B0 / q) / q,
                       (A1 * qa + A0 * B1) / q ** 2,
                       A2 / q + (2 * A1 * B1 + A0 * B2) / q ** 2 + 2 * A0 * B1 ** 2 / q ** 3]
            else:
                out = [p0 / q,
                       (p1 * q - p0 * q1) / q ** 2,
                       p2 / q - (2 * p1 * q1 + p0 * q2) / q ** 2 + 2 * p0 * q1 ** 2 / q ** 3]
            return +out[order]
    return fn


def dnumerator(x, numerator, denominator, k):
    """d f / d a_k = x^k / Q."""
    s = mp.fsum(_terms(denominator, x, 1, 0))
    return x ** k / (1 + abs(s))


def ddenominator(x, numerator, denominator, k):
    """d f / d b_k = -P sign(S) x^k / Q^2 (k >= 1)."""
    p = mp.fsum(_terms(numerator, x, 0, 0))
    s = mp.fsum(_terms(denominator, x, 1, 0))
    return -p * mp.sign(s) * x ** k / (1 + abs(s)) ** 2


REFS = {
    "rational": Ref(
        f=_eval(0, False),
        df=_eval(1, False),
        d2f=_eval(2, False),
        # The coefficient vectors are not elementwise: test_rational.py checks their
        # derivatives with dnumerator / ddenominator above.
        scale_f=_eval(0, True),
        scale_df=_eval(1, True),
        scale_d2f=_eval(2, True),
        # n odd with S / x positive definite: the only zero of S is x = 0 (the declared kink).
        param_sets=(
            {"numerator": (0.5, -1.0, 0.25, 2.0, 0.75), "denominator": (1.5, -0.5, 0.75)},
            {"numerator": (1.0, 2.0, -0.5), "denominator": (1.5, -0.5, 0.75)},
        ),
    ),
}
