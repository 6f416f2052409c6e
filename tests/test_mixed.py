"""Mixed second derivatives d/dp (df/dx) of every elementwise entry with parameters.

They come from two different rules: the x tangent rule differentiated in the parameter, and the
parameter's tangent rule differentiated in x.  Both must equal the same number (symmetry of
mixed partials) and a central difference of df/dx in the parameter, in float64 on a sweep away
from the kinks.  A rule that drops the parameter's dependence (a closed-form coefficient that
hides it from autodiff) gives 0 for one of them.  Nothing here is written per activation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxacts as ja
from tests.conftest import away_from, elementwise_cases, kink_points, param_sets
from tests.reference import REFS

CASES = elementwise_cases()
# a sweep where every entry's derivatives are of moderate size, and two tail points each side
XS = np.concatenate([np.linspace(-6.0, 6.0, 49), [-40.0, -15.0, 15.0, 40.0]])


def _differentiable_params(name: str) -> list[int]:
    decl = ja.declaration(name)
    return [i for i, p in enumerate(decl.params)
            if p.broadcast and decl.param_tangents and decl.param_tangents[i]]


@pytest.mark.parametrize("name,static", CASES)
def test_mixed_partials(name, static):
    decl = ja.declaration(name)
    idx = _differentiable_params(name)
    if not idx:
        pytest.skip("no differentiable parameters")
    f = ja.get(name)
    names = [p.name for p in decl.params]
    ref = REFS[name]

    def f_all(x, *ps):  # every parameter an array (the general path)
        return f(x, **dict(zip(names, ps, strict=True)), **static)

    # One compiled program per rule and parameter, shared by the parameter sets (their values
    # are arrays): the sweep is masked per set rather than filtered, so its shape is fixed.
    x = jnp.asarray(XS)
    fx = jax.grad(f_all)  # df/dx
    g_x = jax.jit(jax.vmap(fx))
    for i in idx:
        d_x_rule = jax.jit(jax.vmap(jax.grad(fx, argnums=1 + i)))
        d_p_rule = jax.jit(jax.vmap(jax.grad(jax.grad(f_all, argnums=1 + i))))
        for params in param_sets(name)[:2]:
            keep = away_from(XS, kink_points(name, params, static), rel=1e-2)
            if ref.domain is not None:
                keep &= (XS >= ref.domain[0]) & (XS <= ref.domain[1])
            ps = tuple(jnp.full(x.shape, params[n], dtype=jnp.float64) for n in names)
            a = np.asarray(d_x_rule(x, *ps))[keep]
            b = np.asarray(d_p_rule(x, *ps))[keep]
            # fourth-order central difference: truncation ~(h x)^4 (p x is the usual argument),
            # rounding ~1e-16 |df/dx| / h
            h = 1e-4 * max(1.0, abs(params[names[i]])) / np.maximum(1.0, np.abs(XS))
            g1, g_1, g2, g_2 = (
                np.asarray(g_x(x, *ps[:i], ps[i] + d, *ps[i + 1:]))[keep]
                for d in (h, -h, 2 * h, -2 * h))
            h = h[keep]
            fd = (8 * (g1 - g_1) - (g2 - g_2)) / (12 * h)
            tol = 1e-6 * np.abs(fd) + 1e-12 * (np.abs(g1) + np.abs(g2)) / h + 1e-300
            xs = XS[keep]
            for label, got in (("d/dp of the x rule", a), ("d/dx of the p rule", b)):
                bad = ~(np.abs(got - fd) <= tol)
                assert not bad.any(), (
                    f"{name}{static or ''} {params}: {label} (d2f/dx d{names[i]}) differs from "
                    f"the central difference at x = {xs[bad][:4]}: got {got[bad][:4]}, "
                    f"difference quotient {fd[bad][:4]}")
