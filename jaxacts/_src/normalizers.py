"""Normalizing maps along an axis: the softmax family, logsumexp, sparsemax, entmax-1.5 and
Gumbel-softmax.

Shared conventions (all ``kind="axis"``):

* ``axis`` is an int or a tuple of ints; ``where`` is an optional boolean mask broadcastable to
  ``x``: masked entries are left out of the normalization and give 0 (``log_softmax``: -inf).
* A row with nothing to normalize (fully masked, or all -inf) gives zeros (``log_softmax``:
  -inf, ``logsumexp``: -inf) and zero gradients, never NaN.
* Rows are shifted by their maximum, and the shift ``x - max`` is carried as a double word
  (TwoSum), so that ``exp`` sees the exact argument: otherwise the rounding of ``x - max``
  alone costs up to ``|x - max| / 2`` ULP.
* 16-bit inputs are computed in float32 (the builder's upcast), so reductions accumulate in
  float32.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxacts._src.jvp import normalize_axis
from jaxacts._src.math import no_low_part, target16, two_sum
from jaxacts._src.registry import Activation, Param, Reference, Static, register

_AXIS = Static("axis", -1, "the axis or tuple of axes to normalize over.")
_WHERE_DOC = ("optional boolean mask broadcastable to ``x``; entries where it is False are "
              "left out (their output is 0, -inf for log_softmax) and get zero gradient.")
_MASK_NOTES = (
    "A row with nothing to normalize (every entry masked out by ``where``, or every entry "
    "-inf) gives zeros and zero gradients, never NaN. A row holding +inf (softmin: -inf) "
    "gives the limit as those entries grow: their mass split equally among them and 0 "
    "elsewhere (log_softmax: -inf elsewhere; logsumexp: +inf), with finite gradients; "
    "jax.nn gives NaN there. A NaN anywhere in a row makes the whole row NaN. "
    "The row is shifted by its maximum and "
    "the shift is carried in double word, so values are within a few ULP of the correctly "
    "rounded result; 16-bit inputs are computed in float32 and rounded once."
)


def _validator(fname: str, *, axis_none_means_all: bool = False):
    """The ``validate`` hook shared by the axis maps: normalize ``axis``, check ``where``."""

    def validate(x: jax.Array, *params: Any, axis: Any = -1, where: Any = None,
                 **rest: Any) -> dict:
        if axis is None and axis_none_means_all:
            axes: tuple[int, ...] = tuple(range(x.ndim))
        else:
            if axis is None:
                raise TypeError(f"{fname}: axis must be an int or a tuple of ints, got None")
            axes = normalize_axis(fname, axis, x.ndim)
        for n, v in (("where", where), ("b", rest.get("b"))):
            if v is not None:
                shape = np.shape(v)
                try:
                    ok = np.broadcast_shapes(shape, x.shape) == x.shape
                except ValueError:
                    ok = False
                if not ok:
                    raise ValueError(f"{fname}: {n} of shape {shape} does not broadcast to "
                                     f"the input's shape {x.shape}")
        return {"axis": axes}

    return validate


def _mask(x: jax.Array, where: jax.Array | None) -> jax.Array:
    if where is None:
        return jnp.ones(x.shape, bool)
    return jnp.broadcast_to(where.astype(bool), x.shape)


def _two_diff(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``a - b`` as ``hi + lo`` (:func:`two_sum`), with ``lo = 0`` where ``a - b`` is infinite."""
    hi, lo = two_sum(a, -b)
    return hi, jnp.where(jnp.isfinite(hi), lo, 0)


def _parts(x: jax.Array, axes: tuple[int, ...], where: jax.Array | None):
    """The shared core of the softmax family, along ``axes`` (kept as size-1 dims).

    Returns ``(xc, m, mf, live, e)``: ``x`` with masked entries set to -inf and +inf clamped to
    ``finfo.max``, the row max ``m`` of the unclamped ``x``, ``mf = max(max(xc), -finfo.max)``,
    ``live`` (1 for a row with an entry above -inf, 0 for an empty row, NaN for a
    NaN row) and ``e = exp(xc - mf)``, where ``xc - mf`` is carried as a double word.

    A row holding +inf takes its limit: ``xc - mf`` is 0 at its infinite entries and about
    ``-finfo.max`` at the others, so ``e`` is 1 and 0 there (softmax then splits the mass
    equally among the infinite entries).
    """
    x = _masked(x, where)
    m, mf, live = _row_max(x, axes)
    xc, e = _shifted_exp(x, mf)
    return xc, m, mf, live, e


def _masked(x: jax.Array, where: jax.Array | None) -> jax.Array:
    if where is None:
        return x
    return jnp.where(jnp.broadcast_to(where.astype(bool), x.shape), x, -jnp.inf)


def _row_max(x: jax.Array, axes: tuple[int, ...]):
    """``(m, mf, live)`` of :func:`_parts` for the masked ``x``."""
    fi = jnp.finfo(x.dtype)
    # One row reduction for both maxima: max(min(x, c)) = min(max(x), c) (NaN stays NaN).
    mx = jnp.max(x, axis=axes, keepdims=True)
    m = jnp.minimum(mx, fi.max)
    # max(m, -finfo.max) (NaN: a NaN row).  XLA's simplifier turns max(min(mx, hi), lo) into a
    # clamp, which its CPU backend's YNNPACK row loop does not take: the map splits into a max
    # loop, a clamp loop and the row loop.  For a 16-bit input that split stores its float32
    # copy for the two loops (bfloat16 (4096, 1024) rows without it: softmax forward 1.14-1.45x
    # faster, log_softmax 1.28-1.31x), so there the max is written through a negation, which XLA
    # leaves alone.  In float32 the split only reads x twice (no measurable cost), and it
    # lets XLA share e between logsumexp and its gradient's softmax (forward+backward along
    # rows 10 ms against 22 in one loop each).
    mf = -jnp.minimum(-m, fi.max) if target16() else jnp.maximum(m, -fi.max)
    return mx, mf, jnp.exp(m - mf)


def _shifted_exp(x: jax.Array, mf: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(xc, e)`` of :func:`_parts` for the masked ``x`` and its row's ``mf``.

    Only arithmetic ops, no select or compare: XLA's CPU backend then fuses the whole map (max,
    sum and output) into one YNNPACK row loop, as it does jax.nn's; a select or a compare,
    even on per-row values, splits it and costs 3-5x.  So -inf entries are kept out of TwoSum
    (whose ``-inf - -inf`` would give NaN) by clamping ``x`` from below at a per-row ``floor``
    with ``exp(floor - mf) = 0``: ``mf - C - |mf|`` (below ``mf - C`` even where that rounds to
    ``mf``), kept finite.  Only a row whose max is ``-finfo.max`` itself cannot be floored that
    way; an empty row gets ``e = 1`` everywhere, which ``live`` cancels.
    """
    fi = jnp.finfo(x.dtype)
    c = math.ceil(-math.log(float(fi.smallest_subnormal))) + 1  # exp(-c) == 0
    xc = jnp.minimum(x, fi.max)
    floor = jnp.maximum((mf - c) - jnp.abs(mf), -fi.max)
    xf = jnp.maximum(xc, floor)
    if target16():  # rounded to 16 bits: the shift's rounding is far below it
        return xc, jnp.exp(xf - mf)
    hi, lo = two_sum(xf, -mf)
    eh = jnp.exp(hi)
    return xc, eh + eh * lo


def _again(x: jax.Array) -> jax.Array:
    """``x`` for a map's output pass, which computes ``e`` again rather than reading it back.

    On the CPU ``x`` itself (XLA's one row loop computes ``e`` once), and for a 16-bit input
    (``e`` is one ``exp`` there, which XLA's GPU compiler recomputes by itself; a barrier would
    store the input's float32 copy: H200, bfloat16 (65536, 1024) rows, log_softmax forward+
    backward 0.59 -> 0.70 ms).  Elsewhere ``x`` behind an ``optimization_barrier``: with the
    double-word ``e`` read by the row sum and by the output, XLA's GPU compiler wrote it to
    memory between the two (its cost model counts the ``exp`` twice): six passes over the
    array instead of four (with :func:`_split_sum`'s one reduction, H200, float32 (65536, 1024)
    rows: softmax forward 0.41 -> 0.28 ms; jax.nn's one Triton kernel: 0.14).
    """
    if target16():
        return x
    return lax.platform_dependent(x, cpu=lambda v: v, default=lax.optimization_barrier)


def _split_sum(e: jax.Array, axes: tuple[int, ...], x: jax.Array,
               mx: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The row sum of ``e`` (in [0, 1], the row max at 1) as ``n_1 + rest``: the number of
    entries equal to 1 and the sum of the others (``x``: the masked input, ``mx`` its row max).

    Summing the small entries apart keeps their sum's rounding relative to it, not to 1: the
    softmax denominator ``n_1 + rest`` then has one rounding of size ULP(1), and ``log1p(n_1 - 1
    + rest)`` resolves ``log_softmax`` of a dominant entry below one ULP of 1.  On the CPU
    ``floor`` splits them (``floor(e) = 1`` exactly at the entries equal to 1), which keeps the
    map free of an elementwise compare (see :func:`_shifted_exp`).

    Elsewhere one reduction with two outputs that reads ``e`` once: ``n_1`` counts the entries
    at the row max (``e = 1`` there; an entry below it whose ``e`` rounds to 1 goes to the rest,
    which is then above 1 and needs no split).  With two sums, or one reading ``e`` twice
    (``floor(e)`` and ``e - floor(e)``), XLA's GPU compiler wrote ``e`` to memory rather than
    compute its double-word ``exp`` twice (H200, float32 (65536, 1024) rows: logsumexp forward
    0.27 -> 0.15 ms, jax.nn's 0.13).
    """
    def two(e, x, mx):
        f = jnp.floor(e)
        return jnp.sum(f, axis=axes, keepdims=True), jnp.sum(e - f, axis=axes, keepdims=True)

    def one(e, x, mx):
        c = (x == mx).astype(e.dtype)
        zero = jnp.zeros((), e.dtype)
        sums = lax.reduce((c, e - c), (zero, zero), lambda a, b: (a[0] + b[0], a[1] + b[1]),
                          axes)
        return tuple(jnp.expand_dims(v, axes) for v in sums)

    return lax.platform_dependent(e, x, mx, cpu=two, default=one)


def _log_sum(e: jax.Array, axes: tuple[int, ...], x: jax.Array, mx: jax.Array) -> jax.Array:
    """``log(sum(e))`` along ``axes`` for ``e`` as in :func:`_split_sum` (-inf for an empty row)."""
    n1, rest = _split_sum(e, axes, x, mx)
    return jnp.log1p((n1 - 1) + rest)


def _softmax(x, axis, where=None, negate=False):
    def prepared(v):  # negated after the barrier, which would otherwise store -x
        return _masked(-v if negate else v, where)

    xm = prepared(x)
    mx, mf, live = _row_max(xm, axis)
    n1, rest = _split_sum(_shifted_exp(xm, mf)[1], axis, xm, mx)
    e = _shifted_exp(prepared(_again(x)), mf)[1]
    return e / ((n1 + rest) / live)  # an empty row: e / inf = 0


def _fenced(w: jax.Array, t: jax.Array) -> jax.Array:
    """``w * t`` (``t`` the tangent or cotangent, ``w`` a bounded primal weight) between two
    selects, in the JVP and in its transpose alike.

    XLA's CPU compiler contracts a product that feeds an addition into one fused multiply-add
    when both are in one fusion: under an outer ``jit`` the row sums and the VJP's
    ``g - p sum(g)`` were computed with the product unrounded, op by op (eager) rounded, so
    they differed by an ULP (log_softmax's VJP along axis 0: 410 of 3000 entries).  A select
    between the multiply and any add keeps the rounding where the formula has it; its
    condition, ``w`` not infinite, is always true here and not foldable.
    """
    ok = ~jnp.isinf(w)
    return jnp.where(ok, w * jnp.where(ok, t, 0), 0)


def _softmax_tangent(t, y, axis):
    """The softmax JVP ``J t``, ``J = diag(y) - y y^T``, accurate in forward and reverse mode,
    keeping only the output ``y`` as a residual (as jax.nn's ``y * (t - sum(y t))`` does).

    For a row with a dominant entry i (y_i > 1/2) the direct form cancels at i.  Since
    ``J 1 = 0``, ``J = P^T J P`` with the shift ``P t = t - t_i 1``: with ``d = P t`` (so
    ``d_i = 0`` exactly) ``z = y d - y sum(y d)`` needs no cancelling sum, and ``P^T z = z - e_i
    sum(z)`` only adds rounding noise of ``sum(z) = 0`` to the dominant entry.  The program is
    its own transpose (``P^T J P`` with ``J`` symmetric), so JAX's transposed VJP is as accurate.
    Rows without a dominant entry are not shifted.  The mask of i is recomputed by XLA from
    ``y`` in the backward pass rather than stored.
    """
    # At most one entry per row, since the row sums to one.  A compare, which XLA duplicates
    # into the backward pass; an arithmetic mask (floor(y (2 - 2^-16))) made the CPU backward
    # one fusion (the VJP 3x faster) but was computed in the forward and kept as a float32
    # array until the backward: +2 MiB per 512 x 1024 layer in a training step.
    top = (y > 0.5).astype(y.dtype)
    d = t - jnp.sum(top * t, axis=axis, keepdims=True)
    yd = _fenced(y, d)
    z = yd - _fenced(y, jnp.sum(yd, axis=axis, keepdims=True))
    return z - top * jnp.sum(z, axis=axis, keepdims=True)


def _log_softmax(x, axis, where=None):
    x = _masked(x, where)
    m, mf, _ = _row_max(x, axis)
    log_sum = _log_sum(_shifted_exp(x, mf)[1], axis, x, m)
    xc, e = _shifted_exp(_again(x), mf)
    # No double word needed here: |x - m| <= |result|, so rounding x - m costs half an ULP.
    # An empty row: x = -inf gives -inf.  A row holding +inf: r = finfo.max (0 elsewhere), and
    # r (1 - e), 0 at the infinite entries (e = 1) and r at the others, sends those to -inf.
    # (An empty row: r = finfo.max and e = 1.  Arithmetic only, see _shifted_exp.)
    r = jnp.finfo(x.dtype).max * (1 - jnp.exp(-jnp.abs(mf - m)))
    return ((xc - mf) - log_sum) - r * (1 - e)


def _log_softmax_tangent(t, x, y, axis, where=None):
    """The log-softmax JVP ``J t``, ``J = I - 1 p^T`` (``p = exp(y)``), accurate in forward and
    reverse mode.

    As for softmax, ``J 1 = 0`` gives ``J = J P`` with the shift ``P t = t - t_i 1`` by the
    dominant entry i (p_i > 1/2): ``d = P t`` has ``d_i = 0``, so ``(J d)_i = -sum(p d)`` does not
    cancel, and the transposed program ``P^T J^T g = w - e_i sum(w)`` gives the dominant entry of
    the VJP from the others (``sum(J^T g) = 0``).  Masked entries and empty rows (y = -inf) get
    zero derivative.
    """
    p = jnp.exp(y)
    top = (p > 0.5).astype(y.dtype)  # at most one entry per row
    # A compare, not arithmetic: fused into one loop with the rest, the row sums' order under
    # jit differed from eager's by an ULP.
    live = (y != -jnp.inf).astype(y.dtype)
    d = t - jnp.sum(top * t, axis=axis, keepdims=True)
    return live * (d - jnp.sum(_fenced(p, d), axis=axis, keepdims=True))


def _axis_entry(**kw: Any) -> Activation:
    """An axis-wise declaration with the softmax family's signature ``(x, axis, where)``."""
    name = kw["name"]
    kw.setdefault("static", (_AXIS,))
    kw.setdefault("aux", ("where",))
    kw.setdefault("aux_doc", {"where": _WHERE_DOC})
    kw.setdefault("validate", _validator(name))
    kw.setdefault("kind", "axis")
    kw.setdefault("family", "normalizer")
    kw.setdefault("notes", _MASK_NOTES)
    kw.setdefault("returns", "An array of the same shape and dtype as ``x``.")
    return Activation(**kw)


softmax = register(_axis_entry(
    name="softmax",
    summary="Softmax: exponentials normalized to sum to one along ``axis``.",
    formula=r"\mathrm{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},\ m = \max_j x_j",
    derivative=(r"\dot y = y \odot \left(\dot x - \textstyle\sum_j y_j \dot x_j\right)"),
    fn=lambda x, axis, where=None: _softmax(x, axis, where),
    tangent=lambda t, x, y, axis, where=None: _softmax_tangent(t, y, axis),
    output_range=(0.0, 1.0),
    reference=Reference("J. S. Bridle", "Probabilistic Interpretation of Feedforward "
                        "Classification Network Outputs", "Neurocomputing, NATO ASI 1990"),
    anchors={"jax": "softmax", "torch": "softmax", "keras": "softmax"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.softmax(jnp.array([0.0, 1.0, 2.0]))
Array([0.09003057, 0.24472848, 0.66524094], dtype=float32)""",
))

log_softmax = register(_axis_entry(
    name="log_softmax",
    summary="Log-softmax: ``x`` minus its log-sum-exp along ``axis``.",
    formula=r"\mathrm{log\_softmax}(x)_i = x_i - \log \textstyle\sum_j e^{x_j}",
    derivative=r"\dot y = \dot x - \textstyle\sum_j \mathrm{softmax}(x)_j \dot x_j",
    fn=lambda x, axis, where=None: _log_softmax(x, axis, where),
    tangent=_log_softmax_tangent,
    output_range=(-math.inf, 0.0),
    anchors={"jax": "log_softmax", "torch": "log_softmax", "keras": "log_softmax"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.log_softmax(jnp.array([0.0, -20.0]))
Array([-2.0611537e-09, -2.0000000e+01], dtype=float32)""",
))

softmin = register(_axis_entry(
    name="softmin",
    summary="Softmin: the softmax of ``-x``.",
    formula=r"\mathrm{softmin}(x) = \mathrm{softmax}(-x)",
    derivative=r"\dot y = -y \odot \left(\dot x - \textstyle\sum_j y_j \dot x_j\right)",
    fn=lambda x, axis, where=None: _softmax(x, axis, where, negate=True),
    tangent=lambda t, x, y, axis, where=None: _softmax_tangent(-t, y, axis),
    output_range=(0.0, 1.0),
    anchors={"torch": "softmin"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.softmin(jnp.array([0.0, 1.0]))
Array([0.7310586 , 0.26894143], dtype=float32)""",
))


# The reductions' (logsumexp, logmeanexp) static arguments, as jax.nn's.
_REDUCE_STATICS = (Static("axis", None, "the axis or axes to reduce (None: all)."),
                   Static("keepdims", False, "keep the reduced axes as size-1 dimensions.",
                          choices=(False, True)))


def _lse_reduce(v: jax.Array, axis: tuple[int, ...], keepdims: bool) -> jax.Array:
    return v if keepdims else jnp.squeeze(v, axis)


def _logsumexp(a, axis, keepdims, return_sign, where=None, b=None):
    a = _masked(a, where)
    _, m, _, live, e = _parts(a, axis, None)
    if b is None:
        out = m + _log_sum(e, axis, a, m)  # an empty row: m = -inf
        sign = live
    else:
        s = jnp.sum(b.astype(a.dtype) * e, axis=axis, keepdims=True) * live
        sign = jnp.sign(s)
        out = m + jnp.log(jnp.abs(s))
        if not return_sign:
            out = jnp.where(sign < 0, jnp.nan, out)
    out = _lse_reduce(out, axis, keepdims)
    sign = _lse_reduce(sign, axis, keepdims)
    return (out, sign) if return_sign else out


def _lse_weights(a, axis, where, b):
    """d logsumexp / d a: softmax(a) reweighted by b; computed with the registered softmax so
    that the rule's own derivative (the Hessian) is exact."""
    p = softmax(a, axis=axis, where=where)
    if b is None:
        return p
    pb = b.astype(a.dtype) * p
    s = jnp.sum(pb, axis=axis, keepdims=True)
    return pb / jnp.where(s != 0, s, 1)


def _lse_output(d, axis, keepdims, return_sign):
    d = _lse_reduce(d, axis, keepdims)
    return (d, jnp.zeros_like(d)) if return_sign else d


def _logsumexp_tangent(t, a, y, axis, keepdims, return_sign, where=None, b=None):
    p = _lse_weights(a, axis, where, b)
    return _lse_output(jnp.sum(_fenced(p, t), axis=axis, keepdims=True), axis, keepdims,
                       return_sign)


def _logsumexp_b_tangent(tb, a, y, axis, keepdims, return_sign, where=None, b=None):
    # d/db log|sum b e| = e / sum(b e).
    _, _, _, live, e = _parts(a, axis, where)
    e = e * live
    s = jnp.sum(b.astype(a.dtype) * e, axis=axis, keepdims=True)
    w = e / jnp.where(s != 0, s, 1)
    return _lse_output(jnp.sum(w * tb.astype(a.dtype), axis=axis, keepdims=True), axis,
                       keepdims, return_sign)


logsumexp = register(Activation(
    name="logsumexp",
    kind="axis",
    family="normalizer",
    summary="Log of the sum of exponentials along ``axis`` (optionally weighted by ``b``).",
    formula=r"\mathrm{logsumexp}(a) = m + \log \textstyle\sum_j b_j e^{a_j - m},\ "
            r"m = \max_j a_j",
    derivative=(r"\partial_{a_i} = \frac{b_i e^{a_i}}{\sum_j b_j e^{a_j}}, \quad "
                r"\partial_{b_i} = \frac{e^{a_i}}{\sum_j b_j e^{a_j}}"),
    fn=_logsumexp,
    tangent=_logsumexp_tangent,
    static=(*_REDUCE_STATICS,
            Static("return_sign", False, "also return the sign of the sum (for negative b).",
                   choices=(False, True))),
    aux=("where", "b"),
    aux_tangents={"b": _logsumexp_b_tangent},
    aux_doc={"where": "optional boolean mask broadcastable to ``a``; masked entries are left "
                      "out of the sum (a fully masked row gives -inf and zero gradient).",
             "b": "optional weights broadcastable to ``a`` (differentiable); may be negative, "
                  "see ``return_sign``."},
    arg_name="a",
    order=("axis", "b", "keepdims", "return_sign", "where"),
    validate=_validator("logsumexp", axis_none_means_all=True),
    output_range=(-math.inf, math.inf),
    smoothness=math.inf,
    notes=("A row of -inf (or fully masked) gives -inf with a zero gradient, never NaN "
           "(jax-ml/jax#6811). Without ``return_sign`` a negative weighted sum gives NaN, as "
           "in jax.nn."),
    anchors={"jax": "logsumexp", "torch": "logsumexp", "keras": "logsumexp"},
    returns=("The reduced array (``keepdims`` keeps the reduced axes) in ``a``'s dtype; with "
             "``return_sign``, a pair ``(log|sum|, sign)``."),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.logsumexp(jnp.array([0.0, 0.0]))
Array(0.6931472, dtype=float32)""",
))


def _logmeanexp(x, axis, keepdims, where=None):
    # m + log(S / n) over the row's n kept entries, S the split sum of logsumexp (S / n is the
    # mean of e^(x - m)).  A narrow row (max - mean <= 1) is shifted by its mean c instead:
    # c + log1p(mean(e^(x - c) - 1)), x - c as a double word, so that a result near 0 is not
    # the difference of m and a log near -m (float32 rows of 256 entries of spread 0.001: 835
    # ULP from m, 98 from c, jax.nn's logsumexp - log n 2.9e6).  An empty row (fully masked or
    # all -inf) gives -inf, as logsumexp.
    xm = _masked(x, where)
    _, m, _, _, e = _parts(xm, axis, None)
    live = _mask(x, where)
    keep = live.astype(e.dtype)
    n = jnp.maximum(jnp.sum(keep, axis=axis, keepdims=True), 1)
    n1, rest = _split_sum(e, axis, xm, m)
    out = m + jnp.log((n1 + rest) / n)
    c = jnp.sum(jnp.where(live, x, 0), axis=axis, keepdims=True) / n
    narrow = (m - c <= 1) & jnp.isfinite(m)  # not for an empty row or one with NaN or inf

    def shifted(x, m, c, narrow, out):
        c = jnp.where(narrow, c, 0)
        # The mask made here: one made outside would be an array operand of the cond below,
        # which XLA writes out in full even where it is a constant.
        live = _mask(x, where)
        # XLA's expm1, not exp and math.expm1_nonpositive: its select made XLA's CPU backend
        # store four row-sized arrays between the loops (22.7 ms against 15.3 at (4096,
        # 1024)).  Masked entries at m (x - c <= 1 then); outside a narrow row the result is
        # discarded.
        xk = jnp.where(live, x, m)
        hi, lo = (xk - c, 0.0) if target16() else two_sum(xk, -c)
        d = jnp.expm1(hi)
        d = d if no_low_part(lo) else d + (d + 1) * lo
        d = d if where is None else d * live.astype(d.dtype)
        mid = c + jnp.log1p(jnp.sum(d, axis=axis, keepdims=True) / n)
        return jnp.where(narrow, mid, out)

    def on_cpu(x, m, c, narrow, out):
        # The mean-shift pass (an expm1 and a double word per entry) only if some row is
        # narrow: on the CPU it was a third of the time (interleaved A/B, float32 (4096, 1024)
        # rows: 18.6 -> 12.6 ms forward, 34.4 -> 23.3 forward+backward; over all 2^22 entries
        # 17.4 -> 11.6-12.5; the same bits).  Under vmap the predicate is batched and the cond
        # a select of both, as on the other platforms, where a conditional reads its predicate
        # back on the host (see periodic.py).
        return lax.cond(jnp.any(narrow), shifted, lambda *args: args[-1], x, m, c, narrow,
                        out)

    out = lax.platform_dependent(x, m, c, narrow, out, cpu=on_cpu, default=shifted)
    return _lse_reduce(out, axis, keepdims)


logmeanexp = register(Activation(
    name="logmeanexp",
    kind="axis",
    family="normalizer",
    summary="Log of the mean of exponentials along ``axis``: logsumexp minus log n.",
    formula=r"\mathrm{logmeanexp}(x) = \log \tfrac{1}{n} \textstyle\sum_j e^{x_j} "
            r"= m + \log \tfrac{1}{n} \textstyle\sum_j e^{x_j - m},\ m = \max_j x_j",
    derivative=r"\partial_{x_i} = \frac{e^{x_i}}{\sum_j e^{x_j}} = \mathrm{softmax}(x)_i",
    fn=_logmeanexp,
    # d/dx of log n is 0: logsumexp's rule (without weights or sign)
    tangent=lambda t, x, y, axis, keepdims, where=None: _logsumexp_tangent(
        t, x, y, axis, keepdims, False, where),
    static=_REDUCE_STATICS,
    aux=("where",),
    aux_doc={"where": "optional boolean mask broadcastable to ``x``; masked entries are left "
                      "out of the mean (n counts the kept ones; a fully masked row gives -inf "
                      "and zero gradient)."},
    order=("axis", "where", "keepdims"),
    validate=_validator("logmeanexp", axis_none_means_all=True),
    output_range=(-math.inf, math.inf),
    smoothness=math.inf,
    notes=("A row of -inf or a fully masked row gives -inf with a zero gradient (jax.nn: NaN "
           "for a fully masked row); a row holding +inf gives +inf; NaN stays NaN.  Computed as "
           "m + log(mean e^(x - m)) (m the row maximum), or, for a narrow row (m - mean <= 1), "
           "as c + log1p(mean(e^(x - c) - 1)) with c the row mean, so that a small result is "
           "not the difference of m and a log near -m.  Within 4 ULP of the result or of the "
           "two terms' magnitudes where they cancel (the problem's own condition); jax.nn's "
           "logsumexp(x) - log(n) cancels at log n as well."),
    anchors={"jax": "logmeanexp"},
    returns="The reduced array (``keepdims`` keeps the reduced axes) in ``x``'s dtype.",
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.logmeanexp(jnp.array([0.0, 0.0]))
Array(0., dtype=float32)""",
))


# --- sparse maps: sparsemax and entmax-1.5 -----------------------------------------------------

def _rowwise(fn, x: jax.Array, axis: tuple[int, ...], where: jax.Array | None) -> jax.Array:
    """Apply ``fn(rows, mask)`` to the last dimension after moving ``axis`` there (flattened)."""
    mask = _mask(x, where)
    dst = tuple(range(x.ndim - len(axis), x.ndim))
    xm = jnp.moveaxis(x, axis, dst)
    mm = jnp.moveaxis(mask, axis, dst)
    shape = xm.shape
    flat = (*shape[:x.ndim - len(axis)], -1)
    out = fn(xm.reshape(flat), mm.reshape(flat))
    return jnp.moveaxis(out.reshape(shape), dst, axis)


def _threshold_support(z: jax.Array, mask: jax.Array, search):
    """Shift each row by its max (as a double word ``hi + lo``) and find the support
    ``{hi > tau}`` of the row's threshold ``tau`` without sorting (``search``: see
    :func:`_sparsemax_search`).

    Returns ``(hi, lo, sup, k, nan)``: the shifted row, the support mask, its size (>= 1)
    and the rows holding NaN.
    """
    # +inf clamped to finfo.max: a row holding +inf takes its limit (its infinite entries share
    # the support; the finite ones fall about finfo.max below them, out of it).
    zm = jnp.where(mask, jnp.minimum(z, jnp.finfo(z.dtype).max), -jnp.inf)
    m = jnp.max(zm, axis=-1, keepdims=True)
    hi, lo = _two_diff(zm, jnp.where(jnp.isfinite(m), m, 0))
    nan = jnp.isnan(m)
    sup = hi > search(hi, nan)
    k = jnp.sum(sup, axis=-1, keepdims=True).astype(z.dtype)
    return hi, lo, sup, jnp.maximum(k, 1), nan


def _above(hi: jax.Array, p: jax.Array, squares: bool):
    """Over ``S(p) = {hi > p}`` (``hi <= 0``, ``p >= -1``), the count and the sums of ``d = hi -
    p`` and (``squares``) ``d^2``: one pass over the row.  Arithmetic only (``d = max(hi - p,
    0)`` in [0, 1], counted by its ceiling): XLA's CPU backend keeps each sum a vectorized row
    loop, about 2 ms a sum at (4096, 1024) float32 (measured on a 2-core Xeon), where a pass
    with a select or a compare took 16-21 ms, and so did one with a fourth sum."""
    d = jnp.maximum(hi - p, 0)
    sums = [jnp.sum(jnp.ceil(d), axis=-1, keepdims=True), jnp.sum(d, axis=-1, keepdims=True)]
    if squares:
        sums.append(jnp.sum(d * d, axis=-1, keepdims=True))
    return sums


def _loop(body, init, n):
    """``lax.while_loop`` of ``body`` over ``(state..., done)`` until every row is done (at most
    ``2 n + 8`` passes: a safeguard, never reached on the rows measured)."""
    def cond(c):
        return (c[-1] <= 2 * n + 8) & ~jnp.all(c[-2])

    def step(c):
        return (*body(*c[:-1]), c[-1] + 1)
    return lax.while_loop(cond, step, (*init, 0))[:-1]


def _sparsemax_search(hi: jax.Array, nan: jax.Array) -> jax.Array:
    """A threshold ``p`` with ``{hi > p}`` the sparsemax support, by Michelot's iteration from
    ``p = -1`` (a lower bound: the max is 0).  ``t = p + (sum_S d - 1) / k`` solves ``sum_S (hi -
    t) = 1`` on ``S = S(p)``; it is Newton's step on the convex ``sum (hi - t)_+ - 1`` from
    below, so again a lower bound, and ``S(t)`` drops every entry at or below it.  Once a step
    drops none, ``S`` is the support (the KKT conditions hold; their solution is unique): at
    most ``n`` steps; 2-11 passes on the rows measured (7 on normal rows of 1024; entmax15:
    3-13).  A step that no longer raises ``p`` (rounding at an entry within a few ULP of
    ``tau``) stops as well."""
    def body(p, k_prev, done):
        k, s1 = _above(hi, p, False)
        found = (k == k_prev) | (k == 0)
        nxt = jnp.where(done | found, p, jnp.maximum(p, p + (s1 - 1) / k))
        return nxt, k, done | found | (nxt == p)

    minus1 = jnp.full(nan.shape, -1, hi.dtype)
    return _loop(body, (minus1, minus1, nan), hi.shape[-1])[0]


def _entmax_search(hi: jax.Array, nan: jax.Array) -> jax.Array:
    """A threshold ``p`` with ``{hi > p}`` the 1.5-entmax support (``hi = x/2`` shifted): Newton's
    method on the convex ``f(t) = sum (hi - t)_+^2 - 1`` from below (``t = p + f(p) / (2 sum_S
    d)``: lower bounds, from either side of ``tau``), and probes of the closed-form threshold.

    On ``S = S(p)``, ``sum_S (hi - c)^2 = 1`` gives ``c = mean - sqrt(1/k - var)``: ``tau``
    itself once ``S`` is the support, an upper bound while ``S`` holds entries below ``tau``
    (the sum over ``S`` exceeds ``f + 1``).  Once a Newton step leaves the count unchanged, the
    next pass is at ``c`` (if below the best upper bound so far): the same count there means
    no entry in ``(p, c]``, so ``S`` is the support; a smaller count makes ``c`` an upper
    bound and Newton goes on from the better of its two lower bounds.  A step that no longer
    raises the lower bound (rounding) stops."""
    def body(p, lo, k_lo, n_lo, up, probing, done):
        k, s1, s2 = _above(hi, p, True)
        mean = s1 / k
        delta = 1 / k - jnp.maximum(s2 / k - mean * mean, 0)
        c = jnp.where(delta >= 0, p + (mean - jnp.sqrt(jnp.maximum(delta, 0))), jnp.inf)
        newton = p + (s2 - 1) / (2 * s1)
        n = jnp.maximum(p, newton)  # a regular pass's next lower bound
        # a regular pass (p a lower bound)
        stable = k == k_lo
        found_r = (k == 0) | (stable & (c <= p))
        probe = stable & (c > p) & (c < up)
        # a probe at c: the count of S(lo) again (stable), or c an upper bound; n_lo >= lo
        n_fail = jnp.maximum(n_lo, newton)  # newton: from above tau
        found = done | jnp.where(probing, stable, found_r)
        p_next = jnp.where(probing, n_fail, jnp.where(probe, c, n))
        stall = jnp.where(probing, n_fail <= lo, ~probe & (n <= p))
        keep = found | stall
        # stopped: p (found, or a lower bound), or the last lower bound where a probe stalled
        return (jnp.where(found, p, jnp.where(stall, jnp.where(probing, lo, p), p_next)),
                jnp.where(keep | probing, lo, p),
                jnp.where(keep | probing, k_lo, k),
                jnp.where(keep | probing, n_lo, n),
                jnp.where(probing & ~keep, jnp.minimum(up, p), up),
                ~keep & ~probing & probe,
                keep)

    minus1 = jnp.full(nan.shape, -1, hi.dtype)
    init = (minus1, minus1, minus1, minus1, jnp.full(nan.shape, jnp.inf, hi.dtype),
            jnp.zeros(nan.shape, bool), nan)
    return _loop(body, init, hi.shape[-1])[0]


def _support_sum(v, sup):
    return jnp.sum(jnp.where(sup, v, 0), axis=-1, keepdims=True)


def _sparsemax_rows(z, mask):
    hi, lo, sup, k, nan = _threshold_support(z, mask, _sparsemax_search)
    # tau from the support with plain sums (more accurate than the sequential cumsum).
    tau = (_support_sum(hi, sup) + _support_sum(lo, sup) - 1) / k
    r = (hi - tau) + lo
    return jnp.where(nan, jnp.nan, jnp.where(sup & (r > 0), r, 0))  # a NaN row: all NaN


def _entmax15_rows(z, mask):
    hi, lo, sup, k, nan = _threshold_support(z / 2, mask, _entmax_search)
    # tau solves sum_S (z_i - tau)^2 = 1 on the support; the two-pass variance avoids the
    # cancellation of mean(z^2) - mean(z)^2.
    mean = (_support_sum(hi, sup) + _support_sum(lo, sup)) / k
    var = _support_sum(((hi - mean) + lo) ** 2, sup) / k
    delta = 1 / k - var
    tau = mean - jnp.sqrt(jnp.where(delta > 0, delta, 0))
    r = (hi - tau) + lo
    r = jnp.where(sup & (r > 0), r, 0)
    return jnp.where(nan, jnp.nan, r * r)  # a NaN row: all NaN


def _support_tangent(t, g, axis):
    """``g * (t - sum(g t) / sum(g))``: the Jacobian ``diag(g) - g g^T / sum(g)`` of the sparse
    maps (sparsemax: g = support indicator; entmax-1.5: g = sqrt(y))."""
    sg = jnp.sum(g, axis=axis, keepdims=True)
    # The last product fenced: in the VJP (this rule transposed) it comes first, and XLA's CPU
    # compiler contracted the transposed g * q into the subtraction from it under jit (an
    # FMA), an ULP from eager (entmax15's gradient on an AVX-512 CPU: 7 of 32 entries).
    # Fencing the product in the sum as well made the VJP along axis 0 differ instead.
    q = jnp.sum(g * t, axis=axis, keepdims=True) / jnp.where(sg > 0, sg, 1)
    return _fenced(g, t - q)


def _sqrt_y(y):
    # sqrt(y) with a zero derivative off the support (sqrt'(0) is infinite).
    pos = y > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, y, 1)), 0) + (y - y)  # a NaN row's NaN


sparsemax = register(_axis_entry(
    name="sparsemax",
    summary="Sparsemax: the Euclidean projection of ``x`` onto the probability simplex.",
    formula=r"\mathrm{sparsemax}(x) = \arg\min_{p \in \Delta} \|p - x\|^2 = (x - \tau)_+,\ "
            r"\textstyle\sum_i (x_i - \tau)_+ = 1",
    derivative=(r"\dot y = s \odot \left(\dot x - \frac{\sum_j s_j \dot x_j}{|S|}\right),\ "
                r"s = [y > 0]"),
    fn=lambda x, axis, where=None: _rowwise(_sparsemax_rows, x, axis, where),
    tangent=lambda t, x, y, axis, where=None: _support_tangent(
        t, (y > 0).astype(y.dtype) + (y - y), axis),  # y - y: a NaN row's NaN
    output_range=(0.0, 1.0),
    smoothness=0,
    notes=("Exactly sparse: entries with x_i <= tau are 0. At the (measure-zero) support "
           "boundary the derivative is that of the support {y > 0}. " + _MASK_NOTES),
    reference=Reference("A. F. T. Martins, R. F. Astudillo", "From Softmax to Sparsemax: A "
                        "Sparse Model of Attention and Multi-Label Classification",
                        "ICML 2016", "1602.02068"),
    anchors={"keras": "sparsemax"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.sparsemax(jnp.array([0.5, 1.2, -0.3, 1.0]))
Array([0.        , 0.6       , 0.        , 0.39999998], dtype=float32)""",
))

entmax15 = register(_axis_entry(
    name="entmax15",
    summary="1.5-entmax: a sparse softmax between softmax and sparsemax (Tsallis alpha = 1.5).",
    formula=r"\mathrm{entmax}_{1.5}(x) = \left(\tfrac{x}{2} - \tau\right)_+^2,\ "
            r"\textstyle\sum_i \left(\tfrac{x_i}{2} - \tau\right)_+^2 = 1",
    derivative=(r"\dot y = g \odot \left(\dot x - \frac{\sum_j g_j \dot x_j}{\sum_j g_j}"
                r"\right),\ g = \sqrt{y}"),
    fn=lambda x, axis, where=None: _rowwise(_entmax15_rows, x, axis, where),
    tangent=lambda t, x, y, axis, where=None: _support_tangent(t, _sqrt_y(y), axis),
    output_range=(0.0, 1.0),
    smoothness=1,
    notes=("Exactly sparse, continuously differentiable. The threshold's support is found "
           "without sorting (Newton's method from below, confirmed by the closed-form "
           "threshold on the support), then tau is solved on it in closed form. " + _MASK_NOTES),
    reference=Reference("B. Peters, V. Niculae, A. F. T. Martins", "Sparse Sequence-to-"
                        "Sequence Models", "ACL 2019", "1905.05702"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.entmax15(jnp.array([0.0, 1.0, 4.0]))
Array([0., 0., 1.], dtype=float32)""",
))


# --- Gumbel-softmax ----------------------------------------------------------------------------

def _gumbel_logits(x, tau, key):
    g = jax.random.gumbel(key, x.shape, x.dtype)
    return (x + g) / tau


def _one_hot_argmax(y, axis):
    def rows(v, mask):
        return jax.nn.one_hot(jnp.argmax(v, axis=-1), v.shape[-1], dtype=v.dtype)
    return _rowwise(rows, y, axis, None)


def _gumbel_softmax(x, tau, axis, hard, key=None):
    y = _softmax(_gumbel_logits(x, tau, key), axis)
    return _one_hot_argmax(y, axis) if hard else y


def _gumbel_soft(x, tau, axis, key):
    return softmax(_gumbel_logits(x, tau, key), axis=axis)


def _gumbel_tangent(t, x, y, tau, axis, hard, key=None):
    # hard=True: straight-through, the one-hot's derivative is the soft sample's.
    return _softmax_tangent(t / tau, _gumbel_soft(x, tau, axis, key), axis)


def _gumbel_tau_tangent(ttau, x, y, tau, axis, hard, key=None):
    u = _gumbel_logits(x, tau, key)
    ys = softmax(u, axis=axis)
    v = jnp.where(ys > 0, -u * (ttau / tau), 0)  # -inf logits have y = 0: keep 0 * inf out
    return _softmax_tangent(v, ys, axis)


def _gumbel_validate(x, tau, axis=-1, hard=False, key=None):
    if key is None:
        raise TypeError("gumbel_softmax: key is required (a jax.random key)")
    return _validator("gumbel_softmax")(x, axis=axis)


gumbel_softmax = register(Activation(
    name="gumbel_softmax",
    kind="axis",
    family="normalizer",
    random=True,
    summary="Gumbel-softmax: a differentiable sample from the categorical ``softmax(x)``.",
    formula=r"y = \mathrm{softmax}\left(\frac{x + g}{\tau}\right),\ g_i \sim \mathrm{Gumbel}(0, 1)",
    derivative=(r"\dot y = y \odot \left(\frac{\dot x}{\tau} - \textstyle\sum_j y_j "
                r"\frac{\dot x_j}{\tau}\right)"
                r"\ (\text{hard: the same, straight-through})"),
    fn=_gumbel_softmax,
    tangent=_gumbel_tangent,
    params=(Param("tau", 1.0, "temperature.", lower=0.0, lower_open=True),),
    param_tangents=(_gumbel_tau_tangent,),
    static=(Static("hard", False, "return the one-hot argmax of the sample, with the soft "
                   "sample's gradient (straight-through).", choices=(False, True)),
            _AXIS),
    aux=("key",),
    aux_doc={"key": "a ``jax.random`` key (required)."},
    order=("key", "tau", "hard", "axis"),
    validate=_gumbel_validate,
    output_range=(0.0, 1.0),
    reference=Reference("E. Jang, S. Gu, B. Poole", "Categorical Reparameterization with "
                        "Gumbel-Softmax", "ICLR 2017", "1611.01144"),
    anchors={"torch": "gumbel_softmax"},
    returns="An array of the same shape and dtype as ``x``: a point on the simplex "
            "(``hard``: one-hot).",
    example=""">>> import jax, jax.numpy as jnp, jaxacts as ja
>>> y = ja.gumbel_softmax(jnp.zeros(3), jax.random.key(0), hard=True)
>>> float(y.sum())
1.0""",
))
