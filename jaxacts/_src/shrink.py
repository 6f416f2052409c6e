"""Shrinkage: hard_shrink and soft_shrink (torch's ``lambd``; Keras calls it ``threshold``)."""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp

from jaxacts._src.rectifiers import example, where0
from jaxacts._src.registry import Activation, Kink, Param, Reference, register

_LAMBD = Param("lambd", 0.5, "the half-width of the dead zone [-lambd, lambd] (torch's name; "
               "Keras calls it ``threshold``).", lower=0.0)
_KINKS = (Kink(lambda lambd: -lambd, 0.0, "0 (the dead zone is closed), as torch and Keras."),
          Kink(lambda lambd: lambd, 0.0, "0 (the dead zone is closed), as torch and Keras."))
_DONOHO = Reference("D. L. Donoho, I. M. Johnstone",
                    "Ideal Spatial Adaptation by Wavelet Shrinkage", "Biometrika 81(3), 1994")


def _outside(x, lambd):
    # NaN compares false everywhere, so NaN lands outside the dead zone and propagates.
    return ~((x >= -lambd) & (x <= lambd))


hard_shrink = register(Activation(
    name="hard_shrink",
    family="shrink",
    summary="Hard shrinkage: x outside [-lambd, lambd], 0 inside.",
    formula=r"\mathrm{hard\_shrink}(x) = x \text{ if } |x| > \lambda \text{ else } 0",
    derivative=(r"\partial_x = 1 \text{ if } |x| > \lambda \text{ else } 0, \quad "
                r"\partial_\lambda = 0 \text{ (almost everywhere)}"),
    params=(dataclasses.replace(
        _LAMBD, learnable=False, doc=_LAMBD.doc + " Not learnable: the output depends on it "
        "only through the jumps, so its derivative is 0."),),
    param_tangents=(None,),
    fn=lambda x, lambd: where0(_outside(x, lambd), x),
    tangent=lambda t, x, y, lambd: where0(_outside(x, lambd), t),
    kinks=_KINKS,
    output_range=(-math.inf, math.inf),
    monotonic=True,
    smoothness=-1,
    zero_centered=True,
    notes="Discontinuous at +-lambd (jumps of size lambd) unless lambd = 0.",
    reference=_DONOHO,
    anchors={"jax": "", "torch": "hardshrink", "keras": "hard_shrink"},
    example=example("hard_shrink(jnp.array([-1.0, 0.3, 0.5, 2.0]))",
                    "Array([-1.,  0.,  0.,  2.], dtype=float32)"),
))

soft_shrink = register(Activation(
    name="soft_shrink",
    family="shrink",
    summary="Soft shrinkage (soft thresholding): x moved towards 0 by lambd, 0 inside.",
    formula=(r"\mathrm{soft\_shrink}(x) = x - \lambda \text{ if } x > \lambda, \ "
             r"x + \lambda \text{ if } x < -\lambda, \ 0 \text{ otherwise}"),
    derivative=(r"\partial_x = 1 \text{ if } |x| > \lambda \text{ else } 0, \quad "
                r"\partial_\lambda = -\mathrm{sign}(x) \text{ if } |x| > \lambda "
                r"\text{ else } 0"),
    params=(_LAMBD,),
    # x - lambd is exact near lambd (Sterbenz), so small outputs are exact.
    fn=lambda x, lambd: where0(_outside(x, lambd), jnp.where(x < 0, x + lambd, x - lambd)),
    tangent=lambda t, x, y, lambd: where0(_outside(x, lambd), t),
    param_tangents=(lambda tl, x, y, lambd: where0(_outside(x, lambd),
                                                   jnp.where(x < 0, tl, -tl)),),
    kinks=_KINKS,
    output_range=(-math.inf, math.inf),
    monotonic=True,
    smoothness=0,
    zero_centered=True,
    notes="The proximal operator of lambd * |x| (the lasso's soft thresholding).",
    reference=_DONOHO,
    anchors={"jax": "", "torch": "softshrink", "keras": "soft_shrink"},
    example=example("soft_shrink(jnp.array([-1.0, 0.3, 2.0]))",
                    "Array([-0.5,  0. ,  1.5], dtype=float32)"),
))
