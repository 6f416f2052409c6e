"""Numerical building blocks shared by the declarations.

Everything here is written so that no unselected branch of a ``where`` produces inf/NaN
(the double-``where`` rule) and so that it stays accurate in the tails.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def safe_where(cond: jax.Array, x: jax.Array, safe: float | jax.Array) -> jax.Array:
    """``x`` where ``cond`` holds and a harmless ``safe`` value elsewhere.

    Used as the inner ``where`` of the double-``where`` rule: feed the result to a function
    that would overflow or produce NaN on the values excluded by ``cond``.
    """
    return jnp.where(cond, x, safe)


def sigmoid(x: jax.Array) -> jax.Array:
    """Logistic sigmoid, accurate in both tails (no ``1 - y`` cancellation)."""
    return jax.nn.sigmoid(x)
