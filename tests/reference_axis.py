"""Independent mpmath references for the axis-wise activations (``kind="axis"``).

Each :class:`AxisRef` maps one row (a list of mpmath numbers, the last axis) to its output row,
and gives the closed-form Jacobian of that map, written from the papers' formulas and not from
the library's code.  Sparsemax and entmax-1.5 are solved by bisection on the threshold (not the
library's sort-based algorithm).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath as mp

Row = list  # a list of mpmath numbers


@dataclasses.dataclass
class AxisRef:
    """Reference for one axis-wise activation, row by row.

    f: ``f(row, **kw) -> row`` (the output along the normalized axis).
    jac: ``jac(row, **kw) -> matrix`` with ``jac[i][j] = d out_i / d row_j``.
    kwargs: keyword sets to test (values exactly representable in every dtype).
    out_len: the output length for an input row of length n.
    value_tol: ULP of the output (or of ``scale`` where given) allowed for the value.
    scale: optional ``scale(row, **kw) -> row`` of the magnitude of the terms that cancel.
    smooth: whether the map is smooth (second derivatives are checked).
    masked: whether it takes a ``where`` mask; ``empty``: its output for an empty row;
      ``void``: the entry that leaves nothing to normalize (-inf; softmin: +inf).
    random: whether it draws Gumbel noise (the reference then takes ``noise=``).
    """

    f: Callable[..., Row]
    jac: Callable[..., Any]
    kwargs: Sequence[Mapping[str, Any]] = ({},)
    out_len: Callable[[int], int] = lambda n: n
    value_tol: float = 4
    scale: Callable[..., Row] | None = None
    smooth: bool = True
    masked: bool = False
    empty: float = 0.0
    void: float = -float("inf")
    random: bool = False


def _sigmoid(v):
    return 1 / (1 + mp.exp(-v))


def _softmax(r):
    m = max(r)
    e = [mp.exp(v - m) for v in r]
    s = mp.fsum(e)
    return [v / s for v in e]


def _one_minus(p, i):
    # 1 - p_i as the sum of the other weights: for a dominant entry 1 - p_i cancels far below
    # the working precision (1 - softmax = 1e-54 in a row at scale 30).
    return mp.fsum(v for k, v in enumerate(p) if k != i)


def _softmax_jac(r):
    y = _softmax(r)
    return [[y[i] * _one_minus(y, i) if i == j else -y[i] * y[j] for j in range(len(r))]
            for i in range(len(r))]


def _lse(r):
    m = max(r)
    return m + mp.log(mp.fsum(mp.exp(v - m) for v in r))


def _lme(r):
    return _lse(r) - mp.log(len(r))


def _threshold(r, h, target=1):
    """The tau with sum_i h(r_i - tau) = 1 for an increasing h, by bisection."""
    lo, hi = max(r) - 2, max(r)
    for _ in range(mp.mp.prec + 10):
        mid = (lo + hi) / 2
        if mp.fsum(h(v - mid) for v in r) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _sparsemax(r):
    tau = _threshold(r, lambda d: max(d, 0))
    return [max(v - tau, 0) for v in r]


def _support_jac(g):
    s = mp.fsum(g)
    return [[g[i] * ((i == j) - g[j] / s) for j in range(len(g))] for i in range(len(g))]


def _entmax15(r):
    h = [v / 2 for v in r]
    tau = _threshold(h, lambda d: max(d, 0) ** 2)
    return [max(v - tau, 0) ** 2 for v in h]


# --- the gated family: value half v, gate half g ------------------------------------------

def _halves(r, split, gate_first):
    n = len(r) // 2
    a, b = (r[:n], r[n:]) if split == "halves" else (r[0::2], r[1::2])
    ia, ib = ((list(range(n)), list(range(n, 2 * n))) if split == "halves"
              else (list(range(0, 2 * n, 2)), list(range(1, 2 * n, 2))))
    return (b, a, ib, ia) if gate_first else (a, b, ia, ib)


def _ncdf(v):
    # erfc, not 1 + erf: in the lower tail 1 + erf(v / sqrt 2) cancels to far below the
    # working precision (Phi(-32) = 1e-230).
    return mp.erfc(-v / mp.sqrt(2)) / 2


def _gelu(v):
    return v * _ncdf(v)


def _gelu_d(v):
    return _ncdf(v) + v * mp.exp(-v * v / 2) / mp.sqrt(2 * mp.pi)


GATES: dict[Any, tuple[Callable, Callable]] = {
    "sigmoid": (_sigmoid, lambda v: _sigmoid(v) * _sigmoid(-v)),
    "silu": (lambda v: v * _sigmoid(v), lambda v: _sigmoid(v) * (1 + v * _sigmoid(-v))),
    "gelu": (_gelu, _gelu_d),
    "relu": (lambda v: max(v, 0), lambda v: mp.mpf(v > 0)),
    None: (lambda v: v, lambda v: mp.mpf(1)),
}


def _gated_ref(gate):
    def parts(r, kw):
        g = kw.get("gate", gate)
        return GATES[g], _halves(r, kw.get("split", "halves"), kw.get("gate_first", False))

    def f(r, **kw):
        (act, _), (v, g, _, _) = parts(r, kw)
        return [a * act(b) for a, b in zip(v, g, strict=True)]

    return f


def _gated(gate, **kw):
    def jac(r, **k):
        # The closed forms of GATES: dy_k/dv_k = act(g_k), dy_k/dg_k = v_k act'(g_k).
        act, dact = GATES[k.get("gate", gate)]
        v, g, iv, ig = _halves(r, k.get("split", "halves"), k.get("gate_first", False))
        out = [[mp.mpf(0)] * len(r) for _ in v]
        for i in range(len(v)):
            out[i][iv[i]] = act(g[i])
            out[i][ig[i]] = v[i] * dact(g[i])
        return out

    return AxisRef(f=_gated_ref(gate), jac=jac, out_len=lambda n: n // 2,
                   smooth=gate != "relu", value_tol=8, **kw)


def _clamped(r, alpha=1.702, limit=7.0):
    g, v = r[0::2], r[1::2]
    out = []
    for a, b in zip(g, v, strict=True):
        gc = min(a, limit)
        vc = min(max(b, -limit), limit)
        out.append(gc * _sigmoid(alpha * gc) * (vc + 1))
    return out


def _clamped_jac(r, alpha=1.702, limit=7.0):
    n = len(r) // 2
    out = [[mp.mpf(0)] * len(r) for _ in range(n)]
    for k in range(n):
        a, b = r[2 * k], r[2 * k + 1]
        gc = min(a, limit)
        vc = min(max(b, -limit), limit)
        s = _sigmoid(alpha * gc)
        if a <= limit:
            out[k][2 * k] = (s + alpha * gc * s * (1 - s)) * (vc + 1)
        if -limit <= b <= limit:
            out[k][2 * k + 1] = gc * s
    return out


AXIS_REFS: dict[str, AxisRef] = {
    "softmax": AxisRef(f=_softmax, jac=_softmax_jac, masked=True),
    "softmin": AxisRef(f=lambda r: _softmax([-v for v in r]),
                       jac=lambda r: [[-v for v in row] for row in
                                      _softmax_jac([-v for v in r])], masked=True,
                       void=float("inf")),
    "log_softmax": AxisRef(
        f=lambda r: [v - _lse(r) for v in r],
        jac=lambda r: [[_one_minus(y, i) if i == j else -y[j] for j in range(len(r))]
                       for y in [_softmax(r)] for i in range(len(r))],
        masked=True, empty=-mp.inf),
    "logsumexp": AxisRef(f=lambda r: [_lse(r)], jac=lambda r: [_softmax(r)],
                         out_len=lambda n: 1, masked=True, empty=-mp.inf),
    # m + log(mean e^(x - m)) cancels where the result is far below the row max m: measured in
    # ULP of the two terms' magnitudes (the library's documented bound; jax.nn's logsumexp -
    # log n cancels at log n too).
    "logmeanexp": AxisRef(f=lambda r: [_lme(r)], jac=lambda r: [_softmax(r)],
                          out_len=lambda n: 1, masked=True, empty=-mp.inf,
                          scale=lambda r: [abs(max(r)) + abs(_lme(r) - max(r))]),
    # Values near the support boundary cancel (x_i - tau): measured in ULP of 1, the scale of
    # the simplex.
    "sparsemax": AxisRef(f=_sparsemax, jac=lambda r: _support_jac(
        [mp.mpf(y > 0) for y in _sparsemax(r)]), smooth=False, masked=True,
        scale=lambda r: [mp.mpf(1)] * len(r)),
    "entmax15": AxisRef(f=_entmax15, jac=lambda r: _support_jac(
        [mp.sqrt(y) for y in _entmax15(r)]), smooth=False, masked=True,
        scale=lambda r: [mp.mpf(1)] * len(r)),
    "gumbel_softmax": AxisRef(
        f=lambda r, noise, tau=1.0: _softmax([(v + g) / tau for v, g in zip(r, noise,
                                                                              strict=True)]),
        jac=lambda r, noise, tau=1.0: [[v / tau for v in row] for row in _softmax_jac(
            [(v + g) / tau for v, g in zip(r, noise, strict=True)])],
        random=True, kwargs=({}, {"tau": 0.5})),
    "glu": _gated("sigmoid", kwargs=({}, {"gate": "relu", "split": "interleaved"},
                                     {"gate": "silu", "gate_first": True})),
    "swiglu": _gated("silu", kwargs=({}, {"split": "interleaved"})),
    "geglu": _gated("gelu"),
    "reglu": _gated("relu"),
    "bilinear": _gated(None, kwargs=({}, {"gate_first": True})),
    "clamped_swiglu": AxisRef(f=_clamped, jac=_clamped_jac, out_len=lambda n: n // 2,
                              smooth=False, value_tol=8,
                              kwargs=({"alpha": 1.5, "limit": 2.0}, {"alpha": 1.0, "limit": 7.0})),
}
