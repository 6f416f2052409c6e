"""References for the surrogate family: the exact steps, and as derivative the declared
surrogate J * g_k(x) (J the jump: 1 for heaviside, 2 for sign), each g_k written from its
smooth step S_k: g_k = S_k' and g_k' = S_k'' in closed form."""

import mpmath as mp

from . import Ref

ZERO = mp.mpf(0)
SURROGATES = ("none", "straight_through", "sigmoid", "fast_sigmoid", "arctan")


def _g(x, k, s):
    """g_k(x) = S_k'(x)."""
    if s == "none":
        return ZERO
    if s == "straight_through":  # S = clip((kx + 1)/2, 0, 1), box closed at +-1/k
        return k / 2 if -1 <= k * x <= 1 else ZERO
    if s == "sigmoid":  # S = 1 / (1 + e^{-kx})
        e = mp.exp(-abs(k * x))
        return k * e / (1 + e) ** 2
    if s == "fast_sigmoid":  # S = 1/2 + kx / (2(1 + k|x|))
        return k / (2 * (1 + k * abs(x)) ** 2)
    if s == "arctan":  # S = 1/2 + atan(pi k x / 2) / pi
        return k / (2 * (1 + (mp.pi * k * x / 2) ** 2))
    raise ValueError(s)


def _dg(x, k, s):
    """g_k'(x) = S_k''(x); one-sided (x > 0) at 0 for fast_sigmoid, 0 at the box edges."""
    if s in ("none", "straight_through"):
        return ZERO
    sg = 1 if x >= 0 else -1
    if s == "sigmoid":
        e = mp.exp(-abs(k * x))
        return -sg * k * k * e * (1 - e) / (1 + e) ** 3
    if s == "fast_sigmoid":
        return -sg * k * k / (1 + k * abs(x)) ** 3
    z = mp.pi * k * x / 2
    return -k * z * (mp.pi * k / 2) / (1 + z * z) ** 2


def _sigmoid_scale(x, k, s):
    # Near 0 the sigmoid g_k' is a difference of two terms of size ~ k^2 e/(1+e)^2 (the rest
    # vanish): errors are measured against that scale.
    if s != "sigmoid":
        return ZERO
    e = mp.exp(-abs(k * x))
    return k * k * e / (1 + e) ** 2


def _ref(f, jump, extra=()):
    return Ref(
        f=lambda x, sharpness, surrogate: f(x),
        df=lambda x, sharpness, surrogate: jump * _g(x, sharpness, surrogate),
        d2f=lambda x, sharpness, surrogate: jump * _dg(x, sharpness, surrogate),
        scale_d2f=lambda x, sharpness, surrogate: jump * _sigmoid_scale(x, sharpness, surrogate),
        param_sets=({"sharpness": 4.0}, {"sharpness": 0.5}, *extra),
        static_sets=tuple({"surrogate": s} for s in SURROGATES),
    )


REFS = {
    # A sharpness that is not a power of two (k |x| rounds), once: sign shares the surrogates.
    "heaviside": _ref(lambda x: mp.mpf(1) if x > 0 else ZERO, 1, ({"sharpness": 15.125},)),
    "sign": _ref(lambda x: mp.mpf(mp.sign(x)), 2),
}
