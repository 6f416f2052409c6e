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


# Error-free transformations (Dekker, Knuth): a product or sum as an exact unevaluated pair
# (hi, lo).  A learnable parameter multiplying x (alpha * x inside exp, sigmoid or sin) is
# rounded before the outer function sees it, and that rounding is amplified by the outer
# function's condition number (|u| for exp(u), |u| for sin(u) with large u); keeping the
# product as a pair removes it.  Operands must be below finfo.max / 2**(mantissa/2 + 1)
# (the splitter would overflow); callers bound them.


def _splitter(dtype) -> float:
    return float(2 ** ((jnp.finfo(dtype).nmant + 2) // 2) + 1)


def split(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Veltkamp split of ``a`` into two halves whose products are exact."""
    c = _splitter(a.dtype) * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``a * b`` as ``(p, e)`` with ``p + e`` exactly the product (barring under/overflow)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def two_sum(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``a + b`` as ``(s, e)`` with ``s + e`` exactly the sum."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def dw_mul(ah: jax.Array, al: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The double-word ``(ah + al) * b`` as a double-word (relative error about 2**-2p)."""
    p, e = two_prod(ah, b)
    return two_sum(p, e + al * b)
