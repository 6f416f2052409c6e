"""Rectifiers: relu, relu6, leaky_relu, elu (piecewise, with kinks)."""

from __future__ import annotations

import math

import jax.numpy as jnp

from jaxacts._src.registry import Activation, Kink, Param, Reference, register

relu = register(Activation(
    name="relu",
    family="rectifier",
    summary="Rectified linear unit.",
    formula=r"\mathrm{relu}(x) = \max(x, 0)",
    derivative=r"\mathrm{relu}'(x) = 1 \text{ if } x > 0 \text{ else } 0",
    fn=lambda x: jnp.maximum(x, 0),
    # The mask comes from the output: y > 0 exactly where x > 0.
    tangent=lambda t, x, y: jnp.where(y > 0, t, 0),
    kinks=(Kink(0.0, 0.0, "Same as jax.nn.relu and torch (the subgradient 0)."),),
    output_range=(0.0, math.inf),
    monotonic=True,
    smoothness=0,
    reference=Reference("V. Nair, G. E. Hinton",
                        "Rectified Linear Units Improve Restricted Boltzmann Machines",
                        "ICML 2010"),
    anchors={"jax": "relu", "torch": "relu", "keras": "relu"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.relu(jnp.array([-1.0, 0.0, 2.0]))
Array([0., 0., 2.], dtype=float32)""",
))

leaky_relu = register(Activation(
    name="leaky_relu",
    family="rectifier",
    summary="Leaky rectified linear unit.",
    formula=r"\mathrm{leaky\_relu}(x) = x \text{ if } x \ge 0 \text{ else } \alpha x",
    derivative=(r"\partial_x = 1 \text{ if } x \ge 0 \text{ else } \alpha, \quad "
                r"\partial_\alpha = \min(x, 0)"),
    params=(Param("negative_slope", 0.01, "slope alpha for x < 0."),),
    fn=lambda x, a: jnp.where(x >= 0, x, a * x),
    tangent=lambda t, x, y, a: jnp.where(x >= 0, t, t * a),
    param_tangents=(lambda ta, x, y, a: ta * jnp.minimum(x, 0),),
    kinks=(Kink(0.0, 1.0, "Same as jax.nn (torch gives the slope)."),),
    monotonic=False,
    smoothness=0,
    zero_centered=False,
    reference=Reference("A. L. Maas, A. Y. Hannun, A. Y. Ng",
                        "Rectifier Nonlinearities Improve Neural Network Acoustic Models",
                        "ICML 2013"),
    anchors={"jax": "leaky_relu", "torch": "leaky_relu", "keras": "leaky_relu"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.leaky_relu(jnp.array([-1.0, 0.0, 2.0]), negative_slope=0.1)
Array([-0.1,  0. ,  2. ], dtype=float32)""",
))


def _elu(x, alpha):
    # expm1 on a clamped input: the unselected branch never overflows.
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.minimum(x, 0)))


elu = register(Activation(
    name="elu",
    family="rectifier",
    summary="Exponential linear unit.",
    formula=r"\mathrm{elu}(x) = x \text{ if } x > 0 \text{ else } \alpha (e^x - 1)",
    derivative=(r"\partial_x = 1 \text{ if } x > 0 \text{ else } \alpha e^x, \quad "
                r"\partial_\alpha = e^{\min(x,0)} - 1"),
    params=(Param("alpha", 1.0, "scale of the negative part."),),
    fn=_elu,
    # alpha * e^x written without cancellation (not y + alpha, which cancels for x << 0).
    tangent=lambda t, x, y, a: jnp.where(x > 0, t, t * (a * jnp.exp(jnp.minimum(x, 0)))),
    param_tangents=(lambda ta, x, y, a: ta * jnp.expm1(jnp.minimum(x, 0)),),
    kinks=(Kink(0.0, lambda alpha=1.0: alpha,
                "The left derivative alpha, the same as jax.nn and torch."),),
    output_range=(-1.0, math.inf),
    monotonic=True,
    smoothness=0,
    reference=Reference("D.-A. Clevert, T. Unterthiner, S. Hochreiter",
                        "Fast and Accurate Deep Network Learning by Exponential Linear Units "
                        "(ELUs)", "ICLR 2016", "1511.07289"),
    anchors={"jax": "elu", "torch": "elu", "keras": "elu"},
    example=""">>> import jax.numpy as jnp, jaxacts as ja
>>> ja.elu(jnp.array([-1.0, 0.0, 2.0]))
Array([-0.63212055,  0.        ,  2.        ], dtype=float32)""",
))
