"""References for the sigmoid family (mpmath, written from the textbook definitions)."""

import mpmath as mp

from . import Ref


def s(x):
    return 1 / (1 + mp.exp(-x))


def sech2(z):
    return 1 / mp.cosh(z) ** 2


def extra_digits(x):
    """Working precision for a result that cancels like a power of x near 0."""
    return 60 + 3 * max(0, int(-mp.log10(abs(x)))) if x else 60


def _dcap(x, cap):
    # tanh z - z sech^2 z ~ 2 z^3 / 3 near 0: evaluate with enough digits for the cancellation.
    with mp.workdps(extra_digits(x / cap)):
        z = x / cap
        return +(mp.tanh(z) - z * sech2(z))


REFS = {
    "sigmoid": Ref(f=s, df=lambda x: s(x) * s(-x),
                   # -tanh(x/2), not 1 - 2 s(x): that cancels beyond 60 digits for |x| < 1e-57
                   d2f=lambda x: -s(x) * s(-x) * mp.tanh(x / 2)),
    "log_sigmoid": Ref(f=lambda x: -mp.log1p(mp.exp(-x)), df=lambda x: s(-x),
                       d2f=lambda x: -s(x) * s(-x)),
    "tanh": Ref(f=mp.tanh, df=lambda x: sech2(x), d2f=lambda x: -2 * sech2(x) * mp.tanh(x)),
    "soft_sign": Ref(f=lambda x: x / (1 + abs(x)), df=lambda x: 1 / (1 + abs(x)) ** 2,
                     # at 0 (no second derivative) the right-hand limit -2, as jax.nn gives
                     d2f=lambda x: -2 * (1 if x >= 0 else -1) / (1 + abs(x)) ** 3),
    "log1mexp": Ref(f=lambda x: mp.log(-mp.expm1(-x)), df=lambda x: 1 / mp.expm1(x),
                    d2f=lambda x: -mp.exp(x) / mp.expm1(x) ** 2,
                    domain=(5e-324, float("inf"))),
    "softcap": Ref(f=lambda x, cap: cap * mp.tanh(x / cap),
                   df=lambda x, cap: sech2(x / cap),
                   d2f=lambda x, cap: -2 / cap * sech2(x / cap) * mp.tanh(x / cap),
                   dparams={"cap": _dcap},
                   param_sets=({"cap": 1.0}, {"cap": 50.0}, {"cap": 0.1171875})),
}
