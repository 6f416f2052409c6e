"""References for the adaptive family (ACON-C, DyT, xIELU), written from the papers."""

import mpmath as mp

from . import Ref, sigmoid


def _sech2(u):
    return 1 / mp.cosh(u) ** 2


def _acon(x, p1, p2, beta):
    d = p1 - p2
    v = beta * d * x
    return d, v, sigmoid(v), sigmoid(-v)


def _expm1_minus(u, x):
    """expm1(u) - x, with enough extra digits that the cancellation near 0 costs nothing."""
    extra = int(-2 * mp.log10(abs(x))) if 0 < abs(x) < 1 else 0
    with mp.workdps(mp.mp.dps + extra + 10):
        return +(mp.expm1(u) - x)


def _xielu_f(x, alpha_p, alpha_n, beta, eps):
    if x > 0:
        return alpha_p * x * x + beta * x
    return alpha_n * _expm1_minus(min(x, eps), x) + beta * x


def _xielu_df(x, alpha_p, alpha_n, beta, eps):
    if x > 0:
        return 2 * alpha_p * x + beta
    if x > eps:
        return beta - alpha_n
    return alpha_n * mp.expm1(x) + beta


def _xielu_d2f(x, alpha_p, alpha_n, beta, eps):
    if x > 0:
        return 2 * alpha_p
    if x > eps:
        return mp.mpf(0)
    return alpha_n * mp.exp(x)


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
                    {"p1": -0.5, "p2": 0.75, "beta": 0.5},
                    # v = beta (p1 - p2) x crosses w0 (where q vanishes) near x = 7.27
                    {"p1": -2.9375, "p2": -3.875, "beta": -0.1875}),
    ),
    "xielu": Ref(
        f=_xielu_f,
        df=_xielu_df,
        d2f=_xielu_d2f,
        dparams={
            "alpha_p": lambda x, alpha_p, alpha_n, beta, eps: x * x if x > 0 else mp.mpf(0),
            "alpha_n": lambda x, alpha_p, alpha_n, beta, eps: (
                mp.mpf(0) if x > 0 else _expm1_minus(min(x, eps), x)),
            "beta": lambda x, alpha_p, alpha_n, beta, eps: x,
            "eps": lambda x, alpha_p, alpha_n, beta, eps: (
                alpha_n * mp.exp(eps) if eps < x <= 0 else mp.mpf(0)),
        },
        # d/dalpha_n = expm1(eps) - x vanishes at x = expm1(eps) (eps < x <= 0): written as
        # e^eps - (1 + x) or (expm1(eps) - eps) + (eps - x), the smaller of the terms that cancel.
        scale_dparams={"alpha_n": lambda x, alpha_p, alpha_n, beta, eps: (
            min(mp.exp(eps), abs(mp.expm1(eps) - eps)) if eps < x <= 0 else mp.mpf(0))},
        # The negative branch has a zero (near x = -2.45 by default) where
        # alpha_n (expm1(x) - x) cancels beta x, and f' one where alpha_n expm1(x) cancels beta.
        scale_f=lambda x, alpha_p, alpha_n, beta, eps: abs(beta * x),
        scale_df=lambda x, alpha_p, alpha_n, beta, eps: abs(beta),
        param_sets=({"alpha_p": 1.5, "alpha_n": 1.25, "beta": 0.25, "eps": 0.0},
                    {"alpha_p": 0.25, "alpha_n": 2.0, "beta": 0.5, "eps": -2.0 ** -10},
                    # eps below -1: the clamped part's series does not hold there
                    {"alpha_p": 4.5, "alpha_n": 19.75, "beta": -3.21875, "eps": -18.0625}),
    ),
}
