"""Rectifiers: relu and its piecewise-linear relatives, the exponential linear units (elu,
celu, selu), the hard/sparse sigmoid-likes and the squared rectifiers.

Conventions shared by the family (see the README's kink table): where jax.nn has the function,
the derivative at a kink is jax.nn's, so swapping ``jax.nn.X`` for ``jaxacts.X`` never changes
a training run; elsewhere we follow the leaky_relu convention (the ``x >= 0`` branch).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxacts._src.math import exp_along, expm1_nonpositive, no_low_part, ratio_dd, with_low
from jaxacts._src.registry import Activation, Kink, Param, Reference, register


def example(call: str, output: str) -> str:
    """A doctest snippet: the import line, one call, its printed output."""
    return f">>> import jax.numpy as jnp, jaxacts as ja\n>>> ja.{call}\n{output}"


def ordered(fname: str, lo: str, hi: str, *, strict: bool) -> Any:
    """A ``validate`` hook checking ``lo < hi`` (or ``<=``) for concrete parameter values."""

    def check(x: Any, a: Any, b: Any, *rest: Any, **kw: Any) -> None:
        if isinstance(a, jax.core.Tracer) or isinstance(b, jax.core.Tracer):
            return
        a_, b_ = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if np.any(a_ >= b_ if strict else a_ > b_):
            rel = "<" if strict else "<="
            raise ValueError(f"{fname}: {lo} must be {rel} {hi} (elementwise), "
                             f"got {lo}={a!r}, {hi}={b!r}")

    return check


def where0(cond: jax.Array, v: jax.Array) -> jax.Array:
    """``v`` where ``cond`` holds, else 0 (a derivative that vanishes outside a piece)."""
    return jnp.where(cond, v, jnp.zeros_like(v))


def relu_nan(x: jax.Array, v: jax.Array | None = None) -> jax.Array:
    """``v`` (default ``x``) for ``x > 0`` and 0 for ``x <= 0``; NaN for a NaN ``x``, because
    the zero piece is selected by ``x <= 0``, which is false for NaN."""
    return jnp.where(x <= 0, jnp.zeros_like(x), x if v is None else v)


def nonpositive(x: jax.Array) -> jax.Array:
    """``min(x, 0)`` written with ``where``: the safe input of an ``exp`` branch whose own
    derivative at 0 is the left one (``jnp.minimum`` would give 0.5 there)."""
    return jnp.where(x > 0, jnp.zeros_like(x), x)


relu = register(Activation(
    name="relu",
    family="rectifier",
    summary="Rectified linear unit.",
    formula=r"\mathrm{relu}(x) = \max(x, 0)",
    derivative=r"\mathrm{relu}'(x) = 1 \text{ if } x > 0 \text{ else } 0",
    fn=lambda x: jnp.maximum(x, 0),
    # The mask comes from the output: y > 0 exactly where x > 0.
    tangent=lambda t, x, y: where0(y > 0, t),
    kinks=(Kink(0.0, 0.0, "Same as jax.nn.relu and torch (the subgradient 0)."),),
    output_range=(0.0, math.inf),
    monotonic=True,
    smoothness=0,
    reference=Reference("V. Nair, G. E. Hinton",
                        "Rectified Linear Units Improve Restricted Boltzmann Machines",
                        "ICML 2010"),
    anchors={"jax": "relu", "torch": "relu", "keras": "relu"},
    example=example("relu(jnp.array([-1.0, 0.0, 2.0]))", "Array([0., 0., 2.], dtype=float32)"),
))

relu6 = register(Activation(
    name="relu6",
    family="rectifier",
    summary="Rectified linear unit capped at 6.",
    formula=r"\mathrm{relu6}(x) = \min(\max(x, 0), 6)",
    derivative=r"\mathrm{relu6}'(x) = 1 \text{ if } 0 < x < 6 \text{ else } 0",
    fn=lambda x: jnp.minimum(jnp.maximum(x, 0), 6),
    tangent=lambda t, x, y: where0((y > 0) & (y < 6), t),
    kinks=(Kink(0.0, 0.0, "Same as jax.nn and torch."),
           Kink(6.0, 0.0, "Same as jax.nn and torch.")),
    output_range=(0.0, 6.0),
    monotonic=True,
    smoothness=0,
    reference=Reference("A. Krizhevsky", "Convolutional Deep Belief Networks on CIFAR-10",
                        "Technical report, University of Toronto, 2010"),
    anchors={"jax": "relu6", "torch": "relu6", "keras": "relu6"},
    example=example("relu6(jnp.array([-1.0, 3.0, 7.0]))", "Array([0., 3., 6.], dtype=float32)"),
))


# leaky_relu, prelu and rrelu (in evaluation) are the same map x -> x or a*x; only how the
# slope a is given differs, so they share the rules below.
def _leaky(x, a):
    return jnp.where(x >= 0, x, a * x)


def _leaky_tangent(t, x, y, a):
    return jnp.where(x >= 0, t, t * a)


def _leaky_dslope(ta, x, y, a):
    return where0(x < 0, ta * x)


_LEAKY_NOTE = ("Monotonic only for a nonnegative slope (the metadata describes the default). "
               "The derivative at 0 is 1 (the ``x >= 0`` branch), as in jax.nn and Flax; torch "
               "gives the slope there.")

leaky_relu = register(Activation(
    name="leaky_relu",
    family="rectifier",
    summary="Leaky rectified linear unit.",
    formula=r"\mathrm{leaky\_relu}(x) = x \text{ if } x \ge 0 \text{ else } \alpha x",
    derivative=(r"\partial_x = 1 \text{ if } x \ge 0 \text{ else } \alpha, \quad "
                r"\partial_\alpha = \min(x, 0)"),
    params=(Param("negative_slope", 0.01, "slope alpha for x < 0."),),
    fn=_leaky,
    tangent=_leaky_tangent,
    param_tangents=(_leaky_dslope,),
    kinks=(Kink(0.0, 1.0, "Same as jax.nn (torch gives the slope)."),),
    output_range=(-math.inf, math.inf),
    monotonic=True,
    smoothness=0,
    notes=_LEAKY_NOTE,
    reference=Reference("A. L. Maas, A. Y. Hannun, A. Y. Ng",
                        "Rectifier Nonlinearities Improve Neural Network Acoustic Models",
                        "ICML 2013"),
    anchors={"jax": "leaky_relu", "torch": "leaky_relu", "keras": "leaky_relu"},
    example=example("leaky_relu(jnp.array([-1.0, 0.0, 2.0]), negative_slope=0.1)",
                    "Array([-0.1,  0. ,  2. ], dtype=float32)"),
))

prelu = register(dataclasses.replace(
    leaky_relu.declaration,
    name="prelu",
    summary="Parametric rectified linear unit (leaky_relu with a learnable slope).",
    formula=r"\mathrm{prelu}(x) = x \text{ if } x \ge 0 \text{ else } a x",
    derivative=(r"\partial_x = 1 \text{ if } x \ge 0 \text{ else } a, \quad "
                r"\partial_a = \min(x, 0)"),
    params=(Param("slope", 0.25, "slope a for x < 0 (learnable; broadcasts against x, e.g. "
                  "one per channel with shape (C,) for channels-last inputs); the default is "
                  "the paper's and torch's initial value."),),
    kinks=(Kink(0.0, 1.0, "Same as leaky_relu and Flax's PReLU (torch gives the slope)."),),
    notes=_LEAKY_NOTE + " Same function as leaky_relu; the separate name marks the slope as "
    "a learned parameter (torch ``F.prelu(x, weight)``).",
    reference=Reference("K. He, X. Zhang, S. Ren, J. Sun",
                        "Delving Deep into Rectifiers: Surpassing Human-Level Performance on "
                        "ImageNet Classification", "ICCV 2015", "1502.01852"),
    anchors={"jax": "", "torch": "prelu", "keras": "PReLU (layer)"},
    example=example("prelu(jnp.array([-2.0, 0.0, 2.0]), slope=0.25)",
                    "Array([-0.5,  0. ,  2. ], dtype=float32)"),
))


def _rrelu_uniform(x, key):
    return jax.random.uniform(key, x.shape, x.dtype)


def _rrelu_slope(x, lower, upper, key):
    if key is None:
        return (lower + upper) / 2
    return lower + (upper - lower) * _rrelu_uniform(x, key)


def _rrelu_dlower(tl, x, y, lower, upper, key=None):
    w = 0.5 if key is None else 1 - _rrelu_uniform(x, key)
    return where0(x < 0, tl * (w * x))


def _rrelu_dupper(tu, x, y, lower, upper, key=None):
    w = 0.5 if key is None else _rrelu_uniform(x, key)
    return where0(x < 0, tu * (w * x))


rrelu = register(Activation(
    name="rrelu",
    family="rectifier",
    summary="Randomized leaky rectified linear unit (torch semantics).",
    formula=(r"\mathrm{rrelu}(x) = x \text{ if } x \ge 0 \text{ else } a x, \quad "
             r"a \sim U(l, u) \text{ (training)}, \quad a = \tfrac{l + u}{2} \text{ (evaluation)}"),
    derivative=(r"\partial_x = 1 \text{ if } x \ge 0 \text{ else } a, \quad "
                r"\partial_l = (1 - U) \min(x, 0), \quad \partial_u = U \min(x, 0)"),
    params=(Param("lower", 1 / 8, "lower bound l of the slope.", lower=0.0),
            Param("upper", 1 / 3, "upper bound u of the slope.", lower=0.0)),
    aux=("key",),
    keyword_only=("key",),
    aux_doc={"key": "a ``jax.random`` key (training mode): one slope ``a = l + (u - l) U``, "
             "``U ~ U[0, 1)``, is drawn per element of the broadcast output. ``None`` "
             "(default, evaluation mode) uses the mean slope ``(l + u) / 2``, like torch's "
             "``training=False``."},
    random=True,
    fn=lambda x, lower, upper, key=None: _leaky(x, _rrelu_slope(x, lower, upper, key)),
    tangent=lambda t, x, y, lower, upper, key=None: _leaky_tangent(
        t, x, y, _rrelu_slope(x, lower, upper, key)),
    param_tangents=(_rrelu_dlower, _rrelu_dupper),
    validate=ordered("rrelu", "lower", "upper", strict=False),
    kinks=(Kink(0.0, 1.0, "The x >= 0 branch, as leaky_relu (torch gives the slope)."),),
    output_range=(-math.inf, math.inf),
    monotonic=True,
    smoothness=0,
    notes=("The same key gives the same slopes in the forward pass and in the derivative; "
           "under ``vmap`` each mapped call draws with the key it receives."),
    reference=Reference("B. Xu, N. Wang, T. Chen, M. Li",
                        "Empirical Evaluation of Rectified Activations in Convolutional Network",
                        "ICML 2015 Deep Learning Workshop", "1505.00853"),
    anchors={"jax": "", "torch": "rrelu", "keras": ""},
    example=example("rrelu(jnp.array([-2.4, 0.0, 2.0]))",
                    "Array([-0.55,  0.  ,  2.  ], dtype=float32)"),
))


# The exponential linear units share one shape: x for x > 0, c * expm1(x / s) below, with
# derivative (c / s) * exp(x / s).  The exp branch gets a clamped input (never overflows) and
# the derivative is computed with exp, never as y + c (which cancels for x << 0: it is
# exactly 0 below x = -17 in float32, jax-ml/jax#39795).
def _eu_e(x, s):
    # e^{x/s} for x <= 0 and e (> 1.5) for x > 0: the derivative reads the branch from this
    # one array, so a training step keeps it and the output, not x as well.  x / s as a double
    # word (e^{u + ul} = e^u (1 + ul)): its rounding would be multiplied by |x / s|.
    if s is None or (isinstance(s, float) and s == 1.0):
        u = nonpositive(x)
        return jnp.exp(jnp.where(x > 0, jnp.ones_like(u), u)), u
    # d/dx e^{x/alpha} = e^{x/alpha} / alpha in closed form: e^{x/alpha} flushes to 0 first
    # where the second derivative is still normal (alpha = 7/128 in bfloat16: 9 ULP).  So
    # x / alpha from x without its tangent (the closed form's; alpha's stays in it): u is
    # otherwise read only by the value, whose derivative is the declared rule.
    u, ul = ratio_dd(nonpositive(lax.stop_gradient(x)), s)
    e = exp_along(x, jnp.where(x > 0, jnp.ones_like(u), u), jnp.where(x > 0, 0.0, 1 / s))
    return (e, u) if no_low_part(ul) else (with_low(e, ul), u)


def _eu(x, c, s, lin=1):
    e, u = _eu_e(x, s)
    neg = c * expm1_nonpositive(u, e)
    if s is not None:  # celu: x / alpha flushes to 0 for tiny x (alpha = 30, x = -2e-37)
        neg = jnp.where(u == 0, x, neg)
    y = jnp.where(x > 0, x, neg)
    if isinstance(lin, (int, float)) and lin == 1:
        return y
    # selu: the scale in a select of its own (the same values).  With lin * x in the one
    # select, XLA's GPU fusion split the forward into two kernels, storing and reloading the
    # clamped argument: 0.33 ms against elu's 0.14 at 2^26 float32 on an H200.
    return jnp.where(x > 0, lin * y, y)


def _eu_tangent(t, x, c, s, lin=1):
    cs = c if s is None else c / s
    e, _ = _eu_e(x, s)
    return t * jnp.where(e > 1.5, lin, cs * e)


def _elu_dalpha(ta, x, y, a):
    e, u = _eu_e(x, None)
    return ta * expm1_nonpositive(u, e)


elu = register(Activation(
    name="elu",
    family="rectifier",
    summary="Exponential linear unit.",
    formula=r"\mathrm{elu}(x) = x \text{ if } x > 0 \text{ else } \alpha (e^x - 1)",
    derivative=(r"\partial_x = 1 \text{ if } x > 0 \text{ else } \alpha e^x, \quad "
                r"\partial_\alpha = e^{\min(x,0)} - 1"),
    params=(Param("alpha", 1.0, "scale of the negative part."),),
    fn=lambda x, a: _eu(x, a, None),
    tangent=lambda t, x, y, a: _eu_tangent(t, x, a, None),
    param_tangents=(_elu_dalpha,),
    kinks=(Kink(0.0, lambda alpha=1.0: alpha,
                "The left derivative alpha, the same as jax.nn and torch."),),
    output_range=(-1.0, math.inf),
    monotonic=True,
    smoothness=0,
    # exp(NaN) is NaN, so the rule propagates NaN without the machinery's guard.
    nan_guard=False,
    reference=Reference("D.-A. Clevert, T. Unterthiner, S. Hochreiter",
                        "Fast and Accurate Deep Network Learning by Exponential Linear Units "
                        "(ELUs)", "ICLR 2016", "1511.07289"),
    anchors={"jax": "elu", "torch": "elu", "keras": "elu"},
    example=example("elu(jnp.array([-1.0, 0.0, 2.0]))",
                    "Array([-0.63212055,  0.        ,  2.        ], dtype=float32)"),
))


def _expm1_minus_id_series(v: jax.Array) -> jax.Array:
    """``(e^v - 1 - v) / v^2 = sum_m v^m / (m + 2)!`` for ``0 <= v <= 2``: positive terms, so
    Horner's rule is accurate where the direct difference cancels."""
    n = 24 if v.dtype == jnp.float64 else 13
    acc = jnp.full_like(v, 1 / math.factorial(n + 1))
    for m in range(n - 1, -1, -1):
        acc = acc * v + 1 / math.factorial(m + 2)
    return acc


def _celu_dalpha(ta, x, y, a):
    # d/da [a expm1(x/a)] = expm1(u) - u e^u with u = x/a <= 0.  Near 0 both terms are ~u and
    # cancel, so there it is written -e^u (e^v - 1 - v) with v = -u and the series above.
    u = nonpositive(x) / a
    near = u >= -2
    v = jnp.where(near, -u, 0)
    d_near = -jnp.exp(-v) * (v * v) * _expm1_minus_id_series(v)
    # Far below, u e^u underflows to 0; clamping keeps -inf * 0 out of the unselected branch.
    uf = jnp.where(near, -4, jnp.where(u < -1e4, -1e4, u))
    # expm1 from e = e^u (our expm1_nonpositive: its derivative is e u'; XLA's expm1' is
    # expm1 + 1, which is 0 where expm1 rounds to -1: d/dx of this rule was 2.5% off at x = -40).
    ef = jnp.exp(uf)
    d_far = expm1_nonpositive(uf, ef) - uf * ef
    return ta * jnp.where(near, d_near, d_far)


celu = register(Activation(
    name="celu",
    family="rectifier",
    summary="Continuously differentiable exponential linear unit.",
    formula=(r"\mathrm{celu}(x) = x \text{ if } x > 0 \text{ else } "
             r"\alpha (e^{x/\alpha} - 1)"),
    derivative=(r"\partial_x = 1 \text{ if } x > 0 \text{ else } e^{x/\alpha}, \quad "
                r"\partial_\alpha = 0 \text{ if } x > 0 \text{ else } "
                r"e^{x/\alpha} - 1 - \tfrac{x}{\alpha} e^{x/\alpha}"),
    params=(Param("alpha", 1.0, "scale of the negative part.", lower=0.0, lower_open=True,
                  fast_values=(1.0,)),),
    fn=lambda x, a: _eu(x, a, a),
    tangent=lambda t, x, y, a: _eu_tangent(t, x, a, a),
    param_tangents=(_celu_dalpha,),
    output_range=(-1.0, math.inf),
    monotonic=True,
    smoothness=1,
    nan_guard=False,
    notes=("C^1 for every alpha: celu'(0) = 1 from both sides (jax.nn and torch agree); the "
           "second derivative jumps at 0 and is the left one, 1/alpha, there. "
           "For alpha not a power of two, ``x / alpha`` is rounded, which limits the relative "
           "accuracy of the derivative e^{x/alpha} to about |x/alpha| * 2^-p."),
    reference=Reference("J. T. Barron", "Continuously Differentiable Exponential Linear Units",
                        "arXiv preprint 2017", "1704.07483"),
    anchors={"jax": "celu", "torch": "celu", "keras": "celu"},
    example=example("celu(jnp.array([-1.0, 0.0, 2.0]), alpha=2.0)",
                    "Array([-0.78693867,  0.        ,  2.        ], dtype=float32)"),
))

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

selu = register(Activation(
    name="selu",
    family="rectifier",
    summary="Scaled exponential linear unit.",
    formula=(r"\mathrm{selu}(x) = \lambda x \text{ if } x > 0 \text{ else } "
             r"\lambda \alpha (e^x - 1), \quad \lambda \approx 1.0507, \ \alpha \approx 1.6733"),
    derivative=r"\mathrm{selu}'(x) = \lambda \text{ if } x > 0 \text{ else } \lambda\alpha e^x",
    # lambda * alpha is one constant, so the negative branch rounds once less than jax.nn's.
    fn=lambda x: _eu(x, SELU_SCALE * SELU_ALPHA, None, SELU_SCALE),
    tangent=lambda t, x, y: _eu_tangent(t, x, SELU_SCALE * SELU_ALPHA, None, SELU_SCALE),
    kinks=(Kink(0.0, SELU_SCALE * SELU_ALPHA,
                "The left derivative lambda * alpha ~ 1.7581, the same as jax.nn and torch."),),
    output_range=(-SELU_SCALE * SELU_ALPHA, math.inf),
    monotonic=True,
    smoothness=0,
    nan_guard=False,
    reference=Reference("G. Klambauer, T. Unterthiner, A. Mayr, S. Hochreiter",
                        "Self-Normalizing Neural Networks", "NeurIPS 2017", "1706.02515"),
    anchors={"jax": "selu", "torch": "selu", "keras": "selu"},
    example=example("selu(jnp.array([-1.0, 0.0, 2.0]))",
                    "Array([-1.1113307,  0.       ,  2.101402 ], dtype=float32)"),
))


def _clamp(x, lo, hi):
    # where-based so that the selected piece alone decides the derivative.
    return jnp.where(x > hi, hi, jnp.where(x < lo, lo, x))


hard_tanh = register(Activation(
    name="hard_tanh",
    family="rectifier",
    summary="Hard tanh: the input clipped to [min_val, max_val].",
    formula=r"\mathrm{hard\_tanh}(x) = \min(\max(x, m), M)",
    derivative=(r"\partial_x = 1 \text{ if } m \le x \le M \text{ else } 0, \quad "
                r"\partial_m = 1 \text{ if } x < m, \quad \partial_M = 1 \text{ if } x > M"),
    params=(Param("min_val", -1.0, "lower end m of the linear piece."),
            Param("max_val", 1.0, "upper end M of the linear piece.")),
    fn=_clamp,
    tangent=lambda t, x, y, lo, hi: where0((x >= lo) & (x <= hi), t),
    param_tangents=(lambda tl, x, y, lo, hi: where0(x < lo, tl),
                    lambda th, x, y, lo, hi: where0(x > hi, th)),
    validate=ordered("hard_tanh", "min_val", "max_val", strict=True),
    kinks=(Kink(lambda min_val, max_val: min_val, 1.0,
                "1 (the closed linear piece), as jax.nn; torch gives 0."),
           Kink(lambda min_val, max_val: max_val, 1.0,
                "1 (the closed linear piece), as jax.nn; torch gives 0.")),
    output_range=(-1.0, 1.0),
    monotonic=True,
    smoothness=0,
    zero_centered=True,
    notes=("``min_val``/``max_val`` follow torch's ``hardtanh``; the defaults give jax.nn's "
           "``hard_tanh``. At each kink the derivatives with respect to x, min_val and max_val "
           "sum to 1, as they do everywhere (shifting x and both ends shifts the output)."),
    reference=Reference("R. Collobert", "Large Scale Machine Learning",
                        "PhD thesis, Universite Paris VI, 2004"),
    anchors={"jax": "hard_tanh", "torch": "hardtanh", "keras": "hard_tanh"},
    example=example("hard_tanh(jnp.array([-2.0, 0.5, 3.0]), min_val=-1.0, max_val=2.0)",
                    "Array([-1. ,  0.5,  2. ], dtype=float32)"),
))


def _inside(x, r):
    return (x > -r) & (x < r)


def _hard_sigmoid(x):
    # (x + 3) / 6: x + 3 is exact near -3 (Sterbenz), so the small outputs keep full accuracy.
    return _clamp(x + 3, 0, 6) / 6


hard_sigmoid = register(Activation(
    name="hard_sigmoid",
    family="rectifier",
    summary="Hard sigmoid: relu6(x + 3) / 6.",
    formula=r"\mathrm{hard\_sigmoid}(x) = \frac{\mathrm{relu6}(x + 3)}{6}",
    derivative=r"\mathrm{hard\_sigmoid}'(x) = \tfrac{1}{6} \text{ if } |x| < 3 \text{ else } 0",
    fn=_hard_sigmoid,
    tangent=lambda t, x, y: where0(_inside(x, 3), t / 6),
    kinks=(Kink(-3.0, 0.0, "Same as jax.nn and torch."),
           Kink(3.0, 0.0, "Same as jax.nn and torch.")),
    output_range=(0.0, 1.0),
    monotonic=True,
    smoothness=0,
    reference=Reference("M. Courbariaux, Y. Bengio, J.-P. David",
                        "BinaryConnect: Training Deep Neural Networks with binary weights during "
                        "propagations", "NeurIPS 2015", "1511.00363"),
    anchors={"jax": "hard_sigmoid", "torch": "hardsigmoid", "keras": "hard_sigmoid"},
    example=example("hard_sigmoid(jnp.array([-4.0, 0.0, 1.5]))",
                    "Array([0.  , 0.5 , 0.75], dtype=float32)"),
))


def _hard_silu(x):
    m = _inside(x, 3)
    xm = jnp.where(m, x, 0)
    return jnp.where(m, xm * (xm + 3) / 6, relu_nan(x))


def _hard_silu_tangent(t, x, y):
    m = _inside(x, 3)
    xm = jnp.where(m, x, 0)
    # (2x + 3) / 6 inside; jax.nn's values at the kinks: 0 at -3 and 1 at 3.
    return t * jnp.where(m, (2 * xm + 3) / 6, jnp.where(x > 0, 1, 0).astype(x.dtype))


hard_silu = register(Activation(
    name="hard_silu",
    family="rectifier",
    summary="Hard SiLU (hard swish): x * hard_sigmoid(x).",
    formula=r"\mathrm{hard\_silu}(x) = x \, \frac{\mathrm{relu6}(x + 3)}{6}",
    derivative=(r"\mathrm{hard\_silu}'(x) = 0 \text{ if } x \le -3, \ "
                r"\tfrac{2x + 3}{6} \text{ if } |x| < 3, \ 1 \text{ if } x \ge 3"),
    fn=_hard_silu,
    tangent=_hard_silu_tangent,
    kinks=(Kink(-3.0, 0.0, "Same as jax.nn and torch."),
           Kink(3.0, 1.0, "Same as jax.nn and torch.")),
    output_range=(-0.375, math.inf),
    monotonic=False,
    smoothness=0,
    aliases=("hard_swish",),
    reference=Reference("A. Howard et al.", "Searching for MobileNetV3", "ICCV 2019",
                        "1905.02244"),
    anchors={"jax": "hard_silu", "torch": "hardswish", "keras": "hard_silu"},
    example=example("hard_silu(jnp.array([-4.0, 1.0, 4.0]))",
                    "Array([0.       , 0.6666667, 4.       ], dtype=float32)"),
))


def _sparse_plus(x):
    m = _inside(x, 1)
    xp = jnp.where(m, x, 0) + 1  # exact near -1 (Sterbenz)
    return jnp.where(m, xp * xp / 4, relu_nan(x))


def _sparse_sigmoid(x):
    return _clamp(x + 1, 0, 2) / 2


sparse_plus = register(Activation(
    name="sparse_plus",
    family="rectifier",
    summary="Sparse plus: a C^1 piecewise-quadratic softplus.",
    formula=(r"\mathrm{sparse\_plus}(x) = 0 \text{ if } x \le -1, \ "
             r"\tfrac{(x + 1)^2}{4} \text{ if } |x| < 1, \ x \text{ if } x \ge 1"),
    derivative=r"\mathrm{sparse\_plus}'(x) = \mathrm{sparse\_sigmoid}(x)",
    fn=_sparse_plus,
    # The derivative is continuous (no kink); its own kinks get second derivative 0 at +-1.
    tangent=lambda t, x, y: t * jnp.where(_inside(x, 1), (jnp.where(_inside(x, 1), x, 0) + 1)
                                          / 2, jnp.where(x > 0, 1, 0).astype(x.dtype)),
    output_range=(0.0, math.inf),
    monotonic=True,
    smoothness=1,
    notes="C^1: sparse_plus'(-1) = 0 and sparse_plus'(1) = 1 on both sides (as jax.nn); the "
    "second derivative is 1/2 inside (-1, 1) and 0 elsewhere, including at +-1.",
    reference=Reference("M. Blondel, A. F. T. Martins, V. Niculae",
                        "Learning with Fenchel-Young Losses", "JMLR 2020", "1901.02324"),
    anchors={"jax": "sparse_plus", "torch": "", "keras": "sparse_plus"},
    example=example("sparse_plus(jnp.array([-2.0, 0.0, 2.0]))",
                    "Array([0.  , 0.25, 2.  ], dtype=float32)"),
))

sparse_sigmoid = register(Activation(
    name="sparse_sigmoid",
    family="rectifier",
    summary="Sparse sigmoid: the derivative of sparse_plus, clip((x + 1) / 2, 0, 1).",
    formula=r"\mathrm{sparse\_sigmoid}(x) = \tfrac{1}{2} \min(\max(x + 1, 0), 2)",
    derivative=r"\mathrm{sparse\_sigmoid}'(x) = \tfrac{1}{2} \text{ if } |x| < 1 \text{ else } 0",
    fn=_sparse_sigmoid,
    tangent=lambda t, x, y: t * jnp.where(
        _inside(x, 1), 0.5, jnp.where((x == 1) | (x == -1), 0.25, 0)).astype(x.dtype),
    kinks=(Kink(-1.0, 0.25, "The mean of the one-sided derivatives, as jax.nn (its clip); "
                "Keras' torch backend gives 0."),
           Kink(1.0, 0.25, "The mean of the one-sided derivatives, as jax.nn.")),
    output_range=(0.0, 1.0),
    monotonic=True,
    smoothness=0,
    reference=Reference("M. Blondel, A. F. T. Martins, V. Niculae",
                        "Learning with Fenchel-Young Losses", "JMLR 2020", "1901.02324"),
    anchors={"jax": "sparse_sigmoid", "torch": "", "keras": "sparse_sigmoid"},
    example=example("sparse_sigmoid(jnp.array([-2.0, 0.0, 0.5]))",
                    "Array([0.  , 0.5 , 0.75], dtype=float32)"),
))

identity = register(Activation(
    name="identity",
    family="rectifier",
    summary="Identity (linear) activation.",
    formula=r"\mathrm{identity}(x) = x",
    derivative=r"\mathrm{identity}'(x) = 1",
    fn=lambda x: x,
    tangent=lambda t, x, y: t,
    nan_guard=True,  # the derivative 1 must become NaN for a NaN input
    monotonic=True,
    zero_centered=True,
    anchors={"jax": "identity", "torch": "Identity (module)", "keras": "linear"},
    example=example("identity(jnp.array([-1.0, 2.0]))", "Array([-1.,  2.], dtype=float32)"),
))

threshold = register(Activation(
    name="threshold",
    family="rectifier",
    summary="Threshold: x above the threshold, a constant value at or below it (torch).",
    formula=r"\mathrm{threshold}(x) = x \text{ if } x > \theta \text{ else } v",
    derivative=(r"\partial_x = 1 \text{ if } x > \theta \text{ else } 0, \quad "
                r"\partial_v = 1 \text{ if } x \le \theta \text{ else } 0, \quad "
                r"\partial_\theta = 0"),
    params=(Param("threshold", 0.0, "the threshold theta (not learnable: the output "
                  "depends on it only through the jump, so its derivative is 0).",
                  learnable=False),
            Param("value", 0.0, "the output at or below the threshold.")),
    fn=lambda x, th, v: jnp.where(x <= th, v, x),  # NaN compares false: NaN in, NaN out
    tangent=lambda t, x, y, th, v: where0(x > th, t),
    param_tangents=(None, lambda tv, x, y, th, v: where0(x <= th, tv)),
    kinks=(Kink(lambda threshold, value: threshold, 0.0,
                "0 (the constant branch), as torch and Keras."),),
    output_range=(0.0, math.inf),
    monotonic=True,
    smoothness=-1,
    notes=("Discontinuous at the threshold unless value == threshold; the defaults (0, 0) "
           "give relu. Keras' ``threshold(x, threshold, default_value)`` is the same map."),
    anchors={"jax": "", "torch": "threshold", "keras": "threshold"},
    example=example("threshold(jnp.array([0.5, 1.0, 2.0]), threshold=1.0, value=-1.0)",
                    "Array([-1., -1.,  2.], dtype=float32)"),
))

squared_relu = register(Activation(
    name="squared_relu",
    family="rectifier",
    summary="Squared ReLU (Primer): relu(x)^2.",
    formula=r"\mathrm{squared\_relu}(x) = \max(x, 0)^2",
    derivative=r"\mathrm{squared\_relu}'(x) = 2 \max(x, 0)",
    fn=lambda x: relu_nan(x, x * x),
    tangent=lambda t, x, y: t * relu_nan(x, 2 * x),
    nan_guard=False,
    output_range=(0.0, math.inf),
    monotonic=True,
    smoothness=1,
    notes="C^1 (the derivative is 0 on both sides of 0); the second derivative is 2 for "
    "x > 0 and 0 for x <= 0.",
    reference=Reference("D. R. So, W. Manke, H. Liu, Z. Dai, N. Shazeer, Q. V. Le",
                        "Primer: Searching for Efficient Transformers for Language Modeling",
                        "NeurIPS 2021", "2109.08668"),
    anchors={"jax": "", "torch": "", "keras": ""},
    example=example("squared_relu(jnp.array([-1.0, 0.5, 3.0]))",
                    "Array([0.  , 0.25, 9.  ], dtype=float32)"),
))

star_relu = register(Activation(
    name="star_relu",
    family="rectifier",
    summary="StarReLU (MetaFormer): s * relu(x)^2 + b.",
    formula=r"\mathrm{star\_relu}(x) = s \max(x, 0)^2 + b",
    derivative=(r"\partial_x = 2 s \max(x, 0), \quad \partial_s = \max(x, 0)^2, \quad "
                r"\partial_b = 1"),
    params=(Param("scale", 0.8944, "scale s (the paper's 1/std of relu(z)^2, z ~ N(0, 1))."),
            Param("bias", -0.4472, "bias b (the paper's -mean / std of relu(z)^2).")),
    # (s * x) * x rather than s * (x * x): no overflow of x * x when s * x^2 is finite.  The
    # add sits inside the select so that XLA contracts it (or not) the same way under any jit.
    fn=lambda x, s, b: jnp.where(x <= 0, b, (s * x) * x + b),
    tangent=lambda t, x, y, s, b: t * relu_nan(x, (2 * s) * x),
    nan_guard=False,
    param_tangents=(lambda ts, x, y, s, b: ts * where0(x > 0, x * x),
                    lambda tb, x, y, s, b: tb * jnp.ones_like(x)),
    output_range=(-0.4472, math.inf),
    monotonic=True,
    smoothness=1,
    notes="Defaults are the paper's constants; its code learns s and b from 1.0 and 0.0 "
    "(pass those for that initialisation). C^1 at 0; second derivative 2s for x > 0, else 0.",
    reference=Reference("W. Yu, C. Si, P. Zhou, M. Luo, Y. Zhou, J. Feng, S. Yan, X. Wang",
                        "MetaFormer Baselines for Vision", "IEEE TPAMI 2023", "2210.13452"),
    anchors={"jax": "", "torch": "", "keras": ""},
    example=example("star_relu(jnp.array([-1.0, 0.0, 2.0]))",
                    "Array([-0.4472, -0.4472,  3.1304], dtype=float32)"),
))
