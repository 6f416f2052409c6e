"""References for the periodic family (Snake, SnakeBeta, sine), written from the papers.

The library reduces the exact product a*x modulo pi/2 (Cody-Waite) while |a x| <= 2**19
(float32) / 2**34 (float64), within the ULP targets; beyond, it combines XLA's exactly reduced
sin and cos of the two floats of the exact product, which is accurate to a few ULP of 1 but not
relative to a result near a zero (a Payne-Hanek reduction for that range was written and removed
again for its compile-time and memory cost: see jaxacts/_src/periodic.py).  The ULP-tested
domain therefore stops at |x| <= 2**16 (sine: 2**12); tests/test_periodic.py checks the far
range to an absolute tolerance.  At +-inf sin has no limit, so infinities are outside the domain.
"""

import mpmath as mp
import numpy as np

from . import Ref

_DOMAIN = (-(2.0 ** 16), 2.0 ** 16)
# 1e-30 as float32 holds it (and the 16-bit types, computed in float32): rounding a parameter
# moves a x by up to 2**-24 |a x|, many turns of sin at large x.
_TINY = float(np.float32(1e-30))


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
        # x and sin^2(a x)/a cancel for -1/a < x < 0; d/da's two terms where tan(a x) = 2 a x.
        scale_f=lambda x, a: abs(x) + mp.sin(a * x) ** 2 / a,
        scale_dparams={"a": lambda x, a: (abs(x * mp.sin(2 * a * x) / a)
                                          + mp.sin(a * x) ** 2 / a ** 2)},
        param_sets=({"a": 2.0}, {"a": 0.125}, {"a": _TINY}),
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
