"""References for the periodic family (Snake, SnakeBeta), written from the papers.

The library reduces a*x exactly only while |a x| <= 2**19 (float32) / 2**34 (float64); the
tested domain stops at |x| <= 2**16 so that every parameter set stays inside that limit.  At
+-inf sin has no limit, so infinities are outside the tested domain too (snake's value there is
checked separately in the library's docstring notes: it is +-inf).
"""

import mpmath as mp

from . import Ref

_DOMAIN = (-(2.0 ** 16), 2.0 ** 16)


def _snake_beta(x, alpha, beta):
    return x + mp.sin(alpha * x) ** 2 / beta


def _snake_beta_df(x, alpha, beta):
    return 1 + alpha / beta * mp.sin(2 * alpha * x)


REFS = {
    "snake": Ref(
        f=lambda x, a: _snake_beta(x, a, a),
        df=lambda x, a: _snake_beta_df(x, a, a),
        d2f=lambda x, a: 2 * a * mp.cos(2 * a * x),
        dparams={"a": lambda x, a: x * mp.sin(2 * a * x) / a - mp.sin(a * x) ** 2 / a ** 2},
        # x and sin^2(a x)/a cancel for -1/a < x < 0.
        scale_f=lambda x, a: abs(x) + mp.sin(a * x) ** 2 / a,
        param_sets=({"a": 2.0}, {"a": 0.125}, {"a": 1e-30}),
        domain=_DOMAIN,
    ),
    "snake_beta": Ref(
        f=_snake_beta,
        df=_snake_beta_df,
        d2f=lambda x, alpha, beta: 2 * alpha ** 2 / beta * mp.cos(2 * alpha * x),
        dparams={
            "alpha": lambda x, alpha, beta: x * mp.sin(2 * alpha * x) / beta,
            "beta": lambda x, alpha, beta: -mp.sin(alpha * x) ** 2 / beta ** 2,
        },
        scale_f=lambda x, alpha, beta: abs(x) + mp.sin(alpha * x) ** 2 / beta,
        # 1 and (alpha/beta) sin(2 alpha x) cancel (exactly at the zeros when alpha <= beta).
        scale_df=lambda x, alpha, beta: 1 + abs(alpha / beta * mp.sin(2 * alpha * x)),
        param_sets=({"alpha": 0.5, "beta": 2.0}, {"alpha": 2.0, "beta": 0.25}),
        domain=_DOMAIN,
    ),
    "sine": Ref(
        f=lambda x, omega: mp.sin(omega * x),
        df=lambda x, omega: omega * mp.cos(omega * x),
        d2f=lambda x, omega: -omega ** 2 * mp.sin(omega * x),
        dparams={"omega": lambda x, omega: x * mp.cos(omega * x)},
        param_sets=({"omega": 1.0}, {"omega": -0.75}),
        domain=(-(2.0 ** 12), 2.0 ** 12),
        fd_eps=1e-4 / 30,  # one step of sin(30 x) as fine as jax's default for sin(x)
    ),
}
