"""References for the adaptive family (ACON-C, DyT), written from the papers."""

import mpmath as mp

from . import Ref, sigmoid


def _sech2(u):
    return 1 / mp.cosh(u) ** 2


def _acon(x, p1, p2, beta):
    d = p1 - p2
    v = beta * d * x
    return d, v, sigmoid(v), sigmoid(-v)


REFS = {
    "dyt": Ref(
        f=lambda x, alpha, gamma, beta: gamma * mp.tanh(alpha * x) + beta,
        df=lambda x, alpha, gamma, beta: gamma * alpha * _sech2(alpha * x),
        d2f=lambda x, alpha, gamma, beta: (-2 * gamma * alpha ** 2 * mp.tanh(alpha * x)
                                           * _sech2(alpha * x)),
        dparams={
            "alpha": lambda x, alpha, gamma, beta: gamma * x * _sech2(alpha * x),
            "gamma": lambda x, alpha, gamma, beta: mp.tanh(alpha * x),
            "beta": lambda x, alpha, gamma, beta: mp.mpf(1),
        },
        # gamma tanh(alpha x) and beta cancel at the zero of a shifted DyT.
        scale_f=lambda x, alpha, gamma, beta: abs(beta),
        param_sets=({"alpha": 2.0, "gamma": 1.5, "beta": 0.25},
                    {"alpha": -0.75, "gamma": 0.5, "beta": 0.0}),
    ),
    "acon_c": Ref(
        f=lambda x, p1, p2, beta: (lambda d, v, s, sn: d * x * s + p2 * x)(
            *_acon(x, p1, p2, beta)),
        df=lambda x, p1, p2, beta: (lambda d, v, s, sn: d * s * (1 + v * sn) + p2)(
            *_acon(x, p1, p2, beta)),
        d2f=lambda x, p1, p2, beta: (lambda d, v, s, sn: (
            d * d * beta * s * sn * (2 - v * mp.tanh(v / 2))))(*_acon(x, p1, p2, beta)),
        dparams={
            "p1": lambda x, p1, p2, beta: (lambda d, v, s, sn: x * s * (1 + v * sn))(
                *_acon(x, p1, p2, beta)),
            "p2": lambda x, p1, p2, beta: (lambda d, v, s, sn: x * sn * (1 - v * s))(
                *_acon(x, p1, p2, beta)),
            "beta": lambda x, p1, p2, beta: (lambda d, v, s, sn: (d * x) ** 2 * s * sn)(
                *_acon(x, p1, p2, beta)),
        },
        # p2 x cancels d x sigmoid(v) when p2 and p1 - p2 have opposite signs; f'' vanishes
        # where v tanh(v/2) = 2, a difference of those two terms.
        scale_f=lambda x, p1, p2, beta: abs(p2 * x),
        scale_df=lambda x, p1, p2, beta: abs(p2),
        scale_d2f=lambda x, p1, p2, beta: (lambda d, v, s, sn: abs(
            d * d * beta * s * sn) * (2 + abs(v * mp.tanh(v / 2))))(*_acon(x, p1, p2, beta)),
        param_sets=({"p1": 1.5, "p2": 0.25, "beta": 2.0},
                    {"p1": -0.5, "p2": 0.75, "beta": 0.5}),
    ),
}
