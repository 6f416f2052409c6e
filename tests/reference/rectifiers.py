"""References for the rectifier family (mpmath closed forms, written from the formulas)."""

import mpmath as mp

from . import Ref

ZERO, ONE = mp.mpf(0), mp.mpf(1)
SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")
SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")


def _ind(cond):
    return ONE if cond else ZERO


def _leaky(slope_of):
    """f, f', f'' of x -> x (x >= 0) or a x, with a = slope_of(**params)."""
    return dict(
        f=lambda x, **p: x if x >= 0 else slope_of(**p) * x,
        df=lambda x, **p: ONE if x >= 0 else slope_of(**p),
        d2f=lambda x, **p: ZERO,
    )


def _celu_dalpha(x, alpha):
    if x > 0:
        return ZERO
    # The two terms agree to ~|log10 u| digits near 0: work with enough digits to spare.
    with mp.workdps(700):
        u = x / alpha
        return +(mp.expm1(u) - u * mp.exp(u))


REFS = {
    "relu": Ref(f=lambda x: max(x, 0), df=lambda x: mp.mpf(x > 0), d2f=lambda x: mp.mpf(0)),
    "relu6": Ref(f=lambda x: min(max(x, 0), 6), df=lambda x: _ind(0 < x < 6),
                 d2f=lambda x: ZERO),
    "leaky_relu": Ref(
        **_leaky(lambda negative_slope: negative_slope),
        dparams={"negative_slope": lambda x, negative_slope: min(x, 0)},
        param_sets=({"negative_slope": 0.2}, {"negative_slope": -0.5}),
    ),
    "prelu": Ref(
        **_leaky(lambda slope: slope),
        dparams={"slope": lambda x, slope: min(x, 0)},
        param_sets=({"slope": 0.01}, {"slope": 1.5}),
    ),
    "rrelu": Ref(
        # Without a key: the mean slope (torch's evaluation mode).
        **_leaky(lambda lower, upper: (lower + upper) / 2),
        dparams={"lower": lambda x, lower, upper: min(x, 0) / 2,
                 "upper": lambda x, lower, upper: min(x, 0) / 2},
        param_sets=({"lower": 0.0, "upper": 0.5}, {"lower": 0.25, "upper": 0.25}),
    ),
    "elu": Ref(
        f=lambda x, alpha: x if x > 0 else alpha * mp.expm1(x),
        df=lambda x, alpha: mp.mpf(1) if x > 0 else alpha * mp.exp(x),
        d2f=lambda x, alpha: mp.mpf(0) if x > 0 else alpha * mp.exp(x),
        dparams={"alpha": lambda x, alpha: mp.mpf(0) if x > 0 else mp.expm1(x)},
        param_sets=({"alpha": 2.0}, {"alpha": 0.5}),
    ),
    "celu": Ref(
        f=lambda x, alpha: x if x > 0 else alpha * mp.expm1(x / alpha),
        df=lambda x, alpha: ONE if x > 0 else mp.exp(x / alpha),
        d2f=lambda x, alpha: ZERO if x > 0 else mp.exp(x / alpha) / alpha,
        dparams={"alpha": _celu_dalpha},
        # 7/128: x / alpha is not exact (a power of two hid its rounding, which e^{x/alpha}
        # multiplies by |x / alpha|).
        param_sets=({"alpha": 2.0}, {"alpha": 0.5}, {"alpha": 0.0546875}),
    ),
    "selu": Ref(
        f=lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * mp.expm1(x)),
        df=lambda x: SELU_SCALE * (1 if x > 0 else SELU_ALPHA * mp.exp(x)),
        d2f=lambda x: ZERO if x > 0 else SELU_SCALE * SELU_ALPHA * mp.exp(x),
    ),
    "hard_tanh": Ref(
        f=lambda x, min_val, max_val: min(max(x, min_val), max_val),
        df=lambda x, min_val, max_val: _ind(min_val <= x <= max_val),
        d2f=lambda x, min_val, max_val: ZERO,
        dparams={"min_val": lambda x, min_val, max_val: _ind(x < min_val),
                 "max_val": lambda x, min_val, max_val: _ind(x > max_val)},
        param_sets=({"min_val": -0.5, "max_val": 2.0}, {"min_val": 0.0, "max_val": 6.0}),
    ),
    "hard_sigmoid": Ref(
        f=lambda x: min(max(x + 3, 0), 6) / 6,
        df=lambda x: mp.mpf(1) / 6 if -3 < x < 3 else ZERO,
        d2f=lambda x: ZERO,
    ),
    "hard_silu": Ref(
        f=lambda x: x * min(max(x + 3, 0), 6) / 6,
        df=lambda x: ZERO if x <= -3 else ONE if x >= 3 else (2 * x + 3) / 6,
        d2f=lambda x: mp.mpf(1) / 3 if -3 < x < 3 else ZERO,
    ),
    "sparse_plus": Ref(
        f=lambda x: ZERO if x <= -1 else x if x >= 1 else (x + 1) ** 2 / 4,
        df=lambda x: ZERO if x <= -1 else ONE if x >= 1 else (x + 1) / 2,
        d2f=lambda x: mp.mpf(0.5) if -1 < x < 1 else ZERO,
    ),
    "sparse_sigmoid": Ref(
        f=lambda x: ZERO if x <= -1 else ONE if x >= 1 else (x + 1) / 2,
        df=lambda x: mp.mpf(0.5) if -1 < x < 1 else ZERO,
        d2f=lambda x: ZERO,
    ),
    "identity": Ref(f=lambda x: x, df=lambda x: ONE, d2f=lambda x: ZERO),
    "threshold": Ref(
        f=lambda x, threshold, value: x if x > threshold else value,
        df=lambda x, threshold, value: _ind(x > threshold),
        d2f=lambda x, threshold, value: ZERO,
        dparams={"value": lambda x, threshold, value: _ind(x <= threshold)},
        param_sets=({"threshold": 1.0, "value": -2.0}, {"threshold": -0.5, "value": 0.25}),
    ),
    "squared_relu": Ref(
        f=lambda x: x * x if x > 0 else ZERO,
        df=lambda x: 2 * x if x > 0 else ZERO,
        d2f=lambda x: mp.mpf(2) if x > 0 else ZERO,
    ),
    "star_relu": Ref(
        f=lambda x, scale, bias: scale * max(x, 0) ** 2 + bias,
        df=lambda x, scale, bias: 2 * scale * max(x, 0),
        d2f=lambda x, scale, bias: 2 * scale if x > 0 else ZERO,
        dparams={"scale": lambda x, scale, bias: max(x, 0) ** 2,
                 "bias": lambda x, scale, bias: ONE},
        # Near the zero x = sqrt(-b/s) the two terms cancel: errors relative to their size.
        scale_f=lambda x, scale, bias: abs(scale) * max(x, 0) ** 2 + abs(bias),
        param_sets=({"scale": 1.0, "bias": 0.0}, {"scale": 2.5, "bias": 1.0}),
    ),
}
