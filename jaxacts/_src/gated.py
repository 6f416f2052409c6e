"""The gated family: ``glu`` with any gate, SwiGLU, GeGLU, ReGLU, bilinear and the clamped
SwiGLU of gpt-oss.

Each splits ``x`` along ``axis`` into a value half ``v`` and a gate half ``g`` and returns
``v * act(g)`` (half the size along ``axis``).  ``split="halves"`` takes the first half as ``v``
and the second as ``g`` (jax.nn.glu, torch's F.glu); ``split="interleaved"`` takes even and odd
entries.  ``gate_first=True`` swaps the roles (the fused ``[gate, up]`` projections of LLaMA-style
code, and gpt-oss's ``x[..., ::2]`` gate).  The gate's derivative is the registered one (its own
``custom_jvp`` rule, through ``jax.jvp``), so nothing is written twice and second derivatives
are exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from jaxacts._src import math as m
from jaxacts._src import smooth
from jaxacts._src.jvp import normalize_axis
from jaxacts._src.registry import Activation, Param, Reference, Static, get, register

_SHAZEER = Reference("N. Shazeer", "GLU Variants Improve Transformer", "arXiv preprint 2020",
                     "2002.05202")
_LINEAR = ("linear", None)


def _gate_fn(gate: str | Callable | None, **kw: Any) -> Callable[[jax.Array], jax.Array]:
    if gate in _LINEAR:
        return lambda v: v
    f = get(gate)
    return (lambda v: f(v, **kw)) if kw else f


def _split(x: jax.Array, axis: int, split: str, gate_first: bool):
    if split == "halves":
        a, b = jnp.split(x, 2, axis=axis)
    else:
        n = x.shape[axis]
        a = jax.lax.slice_in_dim(x, 0, n, 2, axis)
        b = jax.lax.slice_in_dim(x, 1, n, 2, axis)
    return (b, a) if gate_first else (a, b)


def _validator(fname: str):
    def validate(x: jax.Array, *params: Any, axis: Any = -1, gate: Any = None,
                 **rest: Any) -> dict:
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"{fname}: axis must be an int, got {axis!r}")
        (ax,) = normalize_axis(fname, axis, x.ndim)
        n = x.shape[ax]
        if n % 2:
            raise ValueError(f"{fname}: the size of axis {axis} must be even to split it into "
                             f"a value and a gate half; got size {n}")
        if not (gate in _LINEAR or callable(gate)):
            get(gate)  # a KeyError listing close matches for an unknown name
        return {"axis": ax}
    return validate


def _gelu_product(v: jax.Array, g: jax.Array, approximate: bool = True) -> jax.Array:
    """``v * gelu(g)`` with ``v g`` taken into the gate's tail factor: gelu(g) alone underflows
    below g = -13 in float32 while the product with a large ``v`` is still a normal number
    (a 16-bit geglu, computed in float32, would then not be rounded once)."""
    vg = v * g
    if approximate:
        return m.x_sigmoid(vg, *smooth._gelu_tanh_w(g))
    k, h, lo = smooth._gauss_parts(g)
    # below -40 the product underflows in every dtype (|g| is clamped in _gauss_parts)
    neg = jnp.where(g < -40, 0, smooth._exp_dd(vg * k, h, lo))
    return jnp.where(g < 0, neg, vg * (1 - smooth._exp_dd(k, h, lo)))


# Gates whose product with the value half is computed by a dedicated routine.
_PRODUCTS: dict[str, Callable[..., jax.Array]] = {"gelu": _gelu_product}


def _gated_fn(gate: str | Callable | None, fixed: dict):
    def fn(x, axis, split, gate_first, **kw):
        v, g = _split(x, axis, split, gate_first)
        act = kw.pop("gate", gate)
        if isinstance(act, str) and act in _PRODUCTS and not fixed:
            return _PRODUCTS[act](v, g, **kw)
        return v * _gate_fn(act, **fixed, **kw)(g)

    def tangent(t, x, y, axis, split, gate_first, **kw):
        v, g = _split(x, axis, split, gate_first)
        tv, tg = _split(t, axis, split, gate_first)
        a, da = jax.jvp(_gate_fn(kw.pop("gate", gate), **fixed, **kw), (g,), (tg,))
        return tv * a + v * da

    return fn, tangent


_STATICS = (
    Static("axis", -1, "the axis to split (its size must be even)."),
    Static("split", "halves", "``'halves'`` (first half, second half) or ``'interleaved'`` "
           "(even, odd entries).", choices=("halves", "interleaved")),
    Static("gate_first", False, "whether the gate comes first (the default, False, is "
           "jax.nn.glu's ``x1 * act(x2)``).", choices=(False, True)),
)
_RETURNS = ("An array of ``x``'s dtype and shape, except half the size along ``axis``.")


def _gated(name: str, gate: str | None, gate_tex: str, *, summary: str,
           extra_static: tuple[Static, ...] = (), fixed: dict | None = None,
           **kw: Any) -> Callable:
    """Declare and register one member of the gated family with the gate ``gate``."""
    fn, tangent = _gated_fn(gate, fixed or {})
    kw.setdefault("reference", _SHAZEER)
    kw.setdefault("smoothness", math.inf)
    return register(Activation(
        name=name, kind="axis", family="gated", summary=summary,
        formula=(rf"\mathrm{{{name}}}(x) = v \odot {gate_tex}(g),\ "
                 r"(v, g) = \mathrm{split}(x)"),
        derivative=(rf"\dot y = \dot v \odot {gate_tex}(g) + v \odot {gate_tex}'(g)\,\dot g"),
        fn=fn, tangent=tangent, static=(*_STATICS, *extra_static),
        validate=_validator(name), returns=_RETURNS,
        notes=("The gate's derivative is its registered closed form (see its docstring for "
               "its kinks)."), **kw))


glu = _gated(
    "glu", "sigmoid", r"\mathrm{act}",
    summary="Gated linear unit: ``x1 * act(x2)`` with a sigmoid gate by default (jax.nn.glu).",
    extra_static=(Static("gate", "sigmoid", "the gate activation: a registry name, "
                         "``'linear'`` or a callable."),),
    order=("axis", "gate", "split", "gate_first"),
    keyword_only=("gate", "split", "gate_first"),
    reference=Reference("Y. N. Dauphin, A. Fan, M. Auli, D. Grangier", "Language Modeling with "
                        "Gated Convolutional Networks", "ICML 2017", "1612.08083"),
    anchors={"jax": "glu", "torch": "glu", "keras": "glu"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.glu(jnp.array([1.0, 2.0, 0.0, 0.0]))
Array([0.5, 1. ], dtype=float32)""",
)

swiglu = _gated(
    "swiglu", "silu", r"\mathrm{silu}",
    summary="SwiGLU: a SiLU-gated linear unit (Shazeer 2020).",
    keyword_only=("split", "gate_first"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.swiglu(jnp.array([2.0, 0.0]))
Array([0.], dtype=float32)""",
)

geglu = _gated(
    "geglu", "gelu", r"\mathrm{gelu}",
    summary="GeGLU: a GELU-gated linear unit (Shazeer 2020).",
    extra_static=(Static("approximate", False, "use the tanh approximation of GELU (T5 v1.1's "
                         "'gelu_new'); the default is the exact GELU of the paper.",
                         choices=(False, True)),),
    keyword_only=("split", "gate_first", "approximate"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.geglu(jnp.array([2.0, 0.0]))
Array([0.], dtype=float32)""",
)

reglu = _gated(
    "reglu", "relu", r"\mathrm{relu}",
    summary="ReGLU: a ReLU-gated linear unit (Shazeer 2020).",
    smoothness=0,
    keyword_only=("split", "gate_first"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.reglu(jnp.array([2.0, 3.0]))
Array([6.], dtype=float32)""",
)

bilinear = _gated(
    "bilinear", None, "",
    summary="Bilinear unit: the product of the two halves, no gate activation (Shazeer 2020).",
    keyword_only=("split", "gate_first"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.bilinear(jnp.array([2.0, 3.0]))
Array([6.], dtype=float32)""",
)


# --- the clamped SwiGLU of gpt-oss -------------------------------------------------------------

def _clamp_parts(x, alpha, limit, axis, split, gate_first):
    v, g = _split(x, axis, split, gate_first)
    # torch.clamp passes the gradient at the bound itself (mask x <= limit), as gpt-oss is
    # trained; the selects below keep that convention.
    gc = jnp.where(g <= limit, g, limit)
    vc = jnp.where(v > limit, limit, jnp.where(v < -limit, -limit, v))
    return v, g, gc, vc


def _clamped_fn(x, alpha, limit, axis, split, gate_first):
    _, _, gc, vc = _clamp_parts(x, alpha, limit, axis, split, gate_first)
    return m.x_sigmoid(gc, *m.scale_dd(gc, alpha)) * (vc + 1)


def _glu_part(gc, alpha):
    """``gc * sigmoid(alpha gc)`` and its partials in gc and alpha.

    ``alpha gc`` is carried as a double word (as silu does): its rounding error alone would be
    multiplied by ``|alpha gc|`` in the sigmoid's tail.
    """
    w, we = m.scale_dd(gc, alpha)
    out, gate = m.x_sigmoid_parts(gc, w, we, alpha)
    return out, m.x_sigmoid_grad(out, gate, alpha), gc * (gc * m.dsigmoid(w))


def _clamped_tangent(t, x, y, alpha, limit, axis, split, gate_first):
    v, g, gc, vc = _clamp_parts(x, alpha, limit, axis, split, gate_first)
    tv, tg = _split(t, axis, split, gate_first)
    out, dg, _ = _glu_part(gc, alpha)
    tg = jnp.where(g <= limit, tg, 0)
    tv = jnp.where((v >= -limit) & (v <= limit), tv, 0)
    return dg * tg * (vc + 1) + out * tv


def _clamped_alpha_tangent(ta, x, y, alpha, limit, axis, split, gate_first):
    _, _, gc, vc = _clamp_parts(x, alpha, limit, axis, split, gate_first)
    _, _, da = _glu_part(gc, alpha)
    return da * ta * (vc + 1)


def _clamped_limit_tangent(tl, x, y, alpha, limit, axis, split, gate_first):
    v, g, gc, vc = _clamp_parts(x, alpha, limit, axis, split, gate_first)
    out, dg, _ = _glu_part(gc, alpha)
    dv = jnp.where(v > limit, tl, jnp.where(v < -limit, -tl, 0))
    return jnp.where(g <= limit, 0, dg * tl) * (vc + 1) + out * dv


clamped_swiglu = register(Activation(
    name="clamped_swiglu", kind="axis", family="gated",
    summary="The clamped SwiGLU of gpt-oss: ``g * sigmoid(alpha g) * (v + 1)`` with clipping.",
    formula=(r"y = g_c\,\sigma(\alpha g_c)\,(v_c + 1),\ g_c = \min(g, L),\ "
             r"v_c = \mathrm{clip}(v, -L, L)"),
    derivative=(r"\dot y = (\sigma(\alpha g_c) + \alpha g_c \sigma'(\alpha g_c))(v_c + 1)"
                r"[g \le L]\dot g + g_c \sigma(\alpha g_c)[|v| \le L]\dot v"),
    fn=_clamped_fn, tangent=_clamped_tangent,
    params=(Param("alpha", 1.702, "the sigmoid's sharpness (1.702: the QuickGELU constant)."),
            Param("limit", 7.0, "the clamp limit L.", lower=0.0)),
    param_tangents=(_clamped_alpha_tangent, _clamped_limit_tangent),
    static=(Static("axis", -1, "the axis to split (its size must be even)."),
            Static("split", "interleaved", _STATICS[1].doc, choices=_STATICS[1].choices),
            Static("gate_first", True, "whether the gate comes first (gpt-oss: the even "
                   "entries ``x[..., ::2]`` are the gate).", choices=(False, True))),
    keyword_only=("split", "gate_first"),
    validate=_validator("clamped_swiglu"), returns=_RETURNS,
    smoothness=0,
    notes=("At the clamp bounds (g = L, v = +-L) the derivative passes through, as torch.clamp "
           "gives it in gpt-oss's reference code."),
    reference=Reference("OpenAI", "gpt-oss-120b & gpt-oss-20b Model Card", "2025"),
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.clamped_swiglu(jnp.array([0.0, 5.0]))
Array([0.], dtype=float32)""",
))
