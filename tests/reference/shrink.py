"""References for the shrinkage family."""

import mpmath as mp

from . import Ref

ZERO, ONE = mp.mpf(0), mp.mpf(1)


def _out(x, lambd):
    return abs(x) > lambd


REFS = {
    "hard_shrink": Ref(
        f=lambda x, lambd: x if _out(x, lambd) else ZERO,
        df=lambda x, lambd: ONE if _out(x, lambd) else ZERO,
        d2f=lambda x, lambd: ZERO,
        param_sets=({"lambd": 1.0}, {"lambd": 0.0}, {"lambd": 0.25}),
    ),
    "soft_shrink": Ref(
        f=lambda x, lambd: x - mp.sign(x) * lambd if _out(x, lambd) else ZERO,
        df=lambda x, lambd: ONE if _out(x, lambd) else ZERO,
        d2f=lambda x, lambd: ZERO,
        dparams={"lambd": lambda x, lambd: -mp.sign(x) if _out(x, lambd) else ZERO},
        param_sets=({"lambd": 1.0}, {"lambd": 0.0}, {"lambd": 0.25}),
    ),
}
