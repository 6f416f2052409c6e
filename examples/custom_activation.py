"""Declare your own activation, register it, and check it with one call.

Run: python examples/custom_activation.py

The declaration gives jaxacts the function and its closed-form derivative (tangent-first:
linear in the tangent ``t``); ``register`` turns it into a jit-compiled function with a
``jax.custom_jvp`` rule, reachable by name like the built-ins (``jaxacts.get``, the Flax
modules, ``jaxacts.init.gain``, the CLI). ``check_activation`` then runs the test-suite's checks
on it. The second declaration has a wrong derivative, and the check says where and by how much.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

import jaxacts
from jaxacts.init import gain
from jaxacts.testing import check_activation


def squared_relu_declaration(name: str, slope: float) -> jaxacts.Activation:
    """relu(x)^2, whose derivative is ``slope * relu(x)`` (correct for slope 2)."""
    return jaxacts.Activation(
        name=name,
        family="custom",
        summary="Squared ReLU (So et al., Primer, 2021).",
        formula=r"\max(x, 0)^2",
        derivative=rf"{slope:g} \max(x, 0)",
        # jnp.maximum propagates NaN, so NaN in gives NaN out
        fn=lambda x: jnp.square(jnp.maximum(x, 0)),
        # where, not maximum, inside the rule: its own derivative at the tie is exact
        tangent=lambda t, x, y: t * jnp.where(x > 0, slope * x, 0),
        kinks=(jaxacts.Kink(0.0, 0.0, "f' is continuous there; f'' jumps from 0 to 2."),),
        output_range=(0.0, math.inf),
        monotonic=True,
        smoothness=1,
    )


def main() -> None:
    my_relu_sq = jaxacts.register(squared_relu_declaration("my_relu_sq", slope=2.0))
    print(my_relu_sq(jnp.array([-1.0, 0.5, 3.0])))
    print(f"gain: {gain('my_relu_sq'):.6f}\n")

    report = check_activation("my_relu_sq")
    print(report, end="\n\n")
    report.raise_if_failed()

    wrong = check_activation(squared_relu_declaration("my_relu_sq_wrong", slope=1.0),
                             dtypes=("float32",))
    print(wrong)
    assert not wrong.passed


if __name__ == "__main__":
    main()
