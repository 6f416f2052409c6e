"""References for the rectifier family."""

import mpmath as mp

from . import Ref

REFS = {
    "relu": Ref(f=lambda x: max(x, 0), df=lambda x: mp.mpf(x > 0), d2f=lambda x: mp.mpf(0)),
    "leaky_relu": Ref(
        f=lambda x, negative_slope: x if x >= 0 else negative_slope * x,
        df=lambda x, negative_slope: mp.mpf(1) if x >= 0 else negative_slope,
        d2f=lambda x, negative_slope: mp.mpf(0),
        dparams={"negative_slope": lambda x, negative_slope: min(x, 0)},
        param_sets=({"negative_slope": 0.2}, {"negative_slope": -0.5}),
    ),
    "elu": Ref(
        f=lambda x, alpha: x if x > 0 else alpha * mp.expm1(x),
        df=lambda x, alpha: mp.mpf(1) if x > 0 else alpha * mp.exp(x),
        d2f=lambda x, alpha: mp.mpf(0) if x > 0 else alpha * mp.exp(x),
        dparams={"alpha": lambda x, alpha: mp.mpf(0) if x > 0 else mp.expm1(x)},
        param_sets=({"alpha": 2.0}, {"alpha": 0.5}),
    ),
}
