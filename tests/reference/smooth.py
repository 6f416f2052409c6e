"""References for the smooth family (mpmath closed forms, written from the papers).

``scale_*`` (see tests/_accuracy.py): where a derivative is a sum of terms that cancel at its
zeros (e.g. silu' = sigma(x) + x sigma'(x), zero at x = -1.28), the scale is the sum of the
absolute values of those terms; errors are measured in ULPs of that scale.
"""

import mpmath as mp

from . import Ref
from .sigmoids import extra_digits, s, sech2


def ds(x):
    return s(x) * s(-x)


def d2s(x):
    return ds(x) * (1 - 2 * s(x))


def sp(x):
    return mp.log1p(mp.exp(x))


def _sum_abs(*terms):
    return sum(abs(t) for t in terms)


# ----- softplus with beta / threshold (torch semantics)
def _sp_f(x, beta, threshold=None):
    z = beta * x
    return x if threshold is not None and z > threshold else sp(z) / beta


def _sp_df(x, beta, threshold=None):
    z = beta * x
    return mp.mpf(1) if threshold is not None and z > threshold else s(z)


def _sp_d2f(x, beta, threshold=None):
    z = beta * x
    return mp.mpf(0) if threshold is not None and z > threshold else beta * ds(z)


def _sp_dbeta(x, beta, threshold=None):
    z = beta * x
    if threshold is not None and z > threshold:
        return mp.mpf(0)
    if z > 0:  # z sigma(z) - log(1+e^z) = -(z / (1 + e^z) + log(1 + e^-z))
        return -(z / (1 + mp.exp(z)) + sp(-z)) / beta ** 2
    return (z * s(z) - sp(z)) / beta ** 2


# ----- silu / swish-beta
def _silu_terms1(x, beta):
    z = beta * x
    return s(z), z * ds(z)


def _silu_terms2(x, beta):
    z = beta * x
    return 2 * beta * ds(z), beta * z * d2s(z)


def _silu_ref(beta_fixed=None):
    def b(kw):  # a fixed beta is a decimal string, converted at the working precision
        return mp.mpf(beta_fixed) if beta_fixed is not None else kw["beta"]
    return dict(
        f=lambda x, **kw: x * s(b(kw) * x),  # ref v2
        df=lambda x, **kw: sum(_silu_terms1(x, b(kw))),  # ref v2
        d2f=lambda x, **kw: sum(_silu_terms2(x, b(kw))),  # ref v2
        scale_df=lambda x, **kw: _sum_abs(*_silu_terms1(x, b(kw))),  # ref v2
        scale_d2f=lambda x, **kw: _sum_abs(*_silu_terms2(x, b(kw))),  # ref v2
    )


# ----- gelu
# Constants are built at call time: this module is imported before the working precision
# is raised, and a 15-digit constant is multiplied by |w| ~ 700 in the tail.
def _c1():
    return 2 * mp.sqrt(2 / mp.pi)


def _c3():
    return _c1() * mp.mpf("0.044715")


def _gt_terms1(x):
    C1, C3 = _c1(), _c3()
    w = C1 * x + C3 * x ** 3
    return s(w), x * (C1 + 3 * C3 * x ** 2) * ds(w)


def _gt_terms2(x):
    C1, C3 = _c1(), _c3()
    w = C1 * x + C3 * x ** 3
    w1 = C1 + 3 * C3 * x ** 2
    return 2 * w1 * ds(w), x * 6 * C3 * x * ds(w), x * w1 ** 2 * d2s(w)


def Phi(x):
    if x < -50:  # below 1e-540 (and mpmath's erfc does not reach 1e300)
        return mp.mpf(0)
    return mp.erfc(-x / mp.sqrt(2)) / 2


def phi(x):
    if abs(x) > 1e100:
        return mp.mpf(0)
    return mp.exp(-x ** 2 / 2) / mp.sqrt(2 * mp.pi)


def _ge_terms1(x):
    return Phi(x), x * phi(x)


def _ge_terms2(x):
    return 2 * phi(x), -x ** 2 * phi(x)


def _gelu(approximate):
    if approximate:
        return dict(f=lambda x: x * s(_c1() * x + _c3() * x ** 3),  # ref v2
                    df=lambda x: sum(_gt_terms1(x)), d2f=lambda x: sum(_gt_terms2(x)),  # ref v2
                    scale_df=lambda x: _sum_abs(*_gt_terms1(x)),  # ref v2
                    scale_d2f=lambda x: _sum_abs(*_gt_terms2(x)))  # ref v2
    return dict(f=lambda x: x * Phi(x),  # ref v2
                df=lambda x: sum(_ge_terms1(x)), d2f=lambda x: sum(_ge_terms2(x)),  # ref v2
                scale_df=lambda x: _sum_abs(*_ge_terms1(x)),  # ref v2
                scale_d2f=lambda x: _sum_abs(*_ge_terms2(x)))  # ref v2


def _gelu_dispatch(key):
    t, e = _gelu(True), _gelu(False)
    return lambda x, approximate: (t if approximate else e)[key](x)  # ref v2


# ----- mish, smish, serf: x * g(x); terms of g + x g' and 2 g' + x g''
def _mish_terms1(x):
    v = sp(x)
    return mp.tanh(v), x * sech2(v) * s(x)


def _mish_terms2(x):
    v = sp(x)
    return (2 * sech2(v) * s(x), -2 * x * sech2(v) * mp.tanh(v) * s(x) ** 2,
            x * sech2(v) * ds(x))


def _smish_parts(x):
    lg = mp.log1p(s(x))
    l1 = ds(x) / (1 + s(x))
    l2 = (d2s(x) * (1 + s(x)) - ds(x) ** 2) / (1 + s(x)) ** 2
    return lg, l1, l2


def _smish_terms1(x):
    lg, l1, _ = _smish_parts(x)
    return mp.tanh(lg), x * sech2(lg) * l1


def _smish_terms2(x):
    lg, l1, l2 = _smish_parts(x)
    return (2 * sech2(lg) * l1, -2 * x * sech2(lg) * mp.tanh(lg) * l1 ** 2,
            x * sech2(lg) * l2)


def E(v):
    return 2 / mp.sqrt(mp.pi) * mp.exp(-v ** 2)


def _serf_terms1(x):
    v = sp(x)
    return mp.erf(v), x * E(v) * s(x)


def _serf_terms2(x):
    v = sp(x)
    return 2 * E(v) * s(x), -2 * x * v * E(v) * s(x) ** 2, x * E(v) * ds(x)


# tanhexp = x tanh(e^x): g' = e^x sech^2(e^x), g'' = g' (1 - 2 e^x tanh(e^x)).  Beyond
# x = 50, sech^2(e^x) < e^{-10^21} (0 in every float format) and tanh(e^x) = 1 to far more
# than the working precision; mpmath cannot form e^{e^x} for x ~ 1e308.
_TE_BIG = 50


def _te_gate(x):
    return mp.mpf(1) if x > _TE_BIG else mp.tanh(mp.exp(x))


def _te_d1(x):
    return mp.mpf(0) if x > _TE_BIG else mp.exp(x) * sech2(mp.exp(x))


def _tanhexp_terms1(x):
    return _te_gate(x), x * _te_d1(x)


def _tanhexp_terms2(x):
    d1 = _te_d1(x)
    return 2 * d1, x * d1, -2 * x * d1 * mp.exp(x) * _te_gate(x)


def _gated(gate, terms1, terms2):
    return Ref(f=lambda x: x * gate(x), df=lambda x: sum(terms1(x)),
               d2f=lambda x: sum(terms2(x)),
               scale_df=lambda x: _sum_abs(*terms1(x)), scale_d2f=lambda x: _sum_abs(*terms2(x)))


# ----- cancelling near 0: evaluated with extra digits
def _ssp(x):
    with mp.workdps(extra_digits(x)):
        return +(sp(x) - mp.log(2))


def _tanh_shrink(x):
    with mp.workdps(extra_digits(x)):
        return +(x - mp.tanh(x))


def _r(x, b):
    return mp.sqrt(x ** 2 + b)


def _squareplus(x, b):
    # x + sqrt(x^2 + b) cancels for x << 0: the conjugate form b / (sqrt(x^2 + b) - x).
    return (x + _r(x, b)) / 2 if x >= 0 else b / (2 * (_r(x, b) - x))


def _squareplus_df(x, b):
    return (1 + x / _r(x, b)) / 2 if x >= 0 else b / (2 * _r(x, b) * (_r(x, b) - x))


REFS = {
    "softplus": Ref(f=_sp_f, df=_sp_df, d2f=_sp_d2f, dparams={"beta": _sp_dbeta},
                    param_sets=({"beta": 2.0}, {"beta": 0.5}, {"beta": 5.8125},
                                {"beta": 27.9375}),
                    static_sets=({}, {"threshold": 20.0})),
    "shifted_softplus": Ref(f=_ssp, df=s, d2f=ds),
    "silu": Ref(**_silu_ref(), dparams={"beta": lambda x, beta: x ** 2 * ds(beta * x)},
                param_sets=({"beta": 2.0}, {"beta": 0.5}, {"beta": 8.40625},
                            {"beta": -21.125})),
    "quick_gelu": Ref(**_silu_ref("1.702")),
    "gelu_tanh": Ref(**_gelu(True)),
    "gelu_erf": Ref(**_gelu(False)),
    "gelu": Ref(f=_gelu_dispatch("f"), df=_gelu_dispatch("df"), d2f=_gelu_dispatch("d2f"),
                scale_df=_gelu_dispatch("scale_df"), scale_d2f=_gelu_dispatch("scale_d2f"),
                static_sets=({"approximate": True}, {"approximate": False})),
    "mish": _gated(lambda x: mp.tanh(sp(x)), _mish_terms1, _mish_terms2),
    "smish": _gated(lambda x: mp.tanh(mp.log1p(s(x))), _smish_terms1, _smish_terms2),
    "serf": _gated(lambda x: mp.erf(sp(x)), _serf_terms1, _serf_terms2),
    "tanhexp": _gated(_te_gate, _tanhexp_terms1, _tanhexp_terms2),
    "squareplus": Ref(f=_squareplus, df=_squareplus_df,
                      d2f=lambda x, b: b / (2 * _r(x, b) ** 3),
                      dparams={"b": lambda x, b: 1 / (4 * _r(x, b))},
                      param_sets=({"b": 1.0}, {"b": 0.5})),
    "tanh_shrink": Ref(f=_tanh_shrink, df=lambda x: mp.tanh(x) ** 2,
                       d2f=lambda x: 2 * mp.tanh(x) * sech2(x)),
    "exponential": Ref(f=mp.exp, df=mp.exp, d2f=mp.exp),
}
