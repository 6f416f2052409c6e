"""Registry-driven checks for every elementwise activation: values, first and second derivatives
and parameter derivatives against the independent mpmath references, kink values, dtypes,
non-finite inputs and transformations.  Nothing here is written per activation."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxacts as ja
from tests import _accuracy as acc
from tests._measure import measure, measure_param
from tests.conftest import away_from, case_id, elementwise_cases, kink_points, param_sets
from tests.reference import REFS

CASES = elementwise_cases()
DTYPES = list(acc.DTYPES)

# Measured shortfalls against the targets, reported rather than hidden:
# (check, name[static], dtype, params) -> reason.  Strict: a listed check that passes fails the
# test, so this table cannot go stale.
KNOWN: dict[tuple[str, str, str, tuple], str] = {}


def test_every_activation_has_a_reference():
    missing = [n for n in ja.names() if n not in REFS and n not in AXIS_REFERENCED()]
    assert not missing, f"no independent reference in tests/reference for: {missing}"


def AXIS_REFERENCED() -> set[str]:
    try:
        from tests.reference_axis import AXIS_REFS
    except ImportError:
        return set()
    return set(AXIS_REFS)


def _check(kind, name, static, params, dtype, order, band=None):
    xs = tag = None
    if band is not None:
        xs = np.unique(np.linspace(*band, 401).astype(acc.DTYPES[dtype]))
        tag = f"{name}-band{band[0]:g},{band[1]:g}"
    m = measure(name, static, params, dtype, order, xs, tag)
    if m is None:
        pytest.skip(f"{name}: no closed-form reference for order {order}")
    if not len(m.xs):
        pytest.skip("empty domain")
    # At the extreme inputs: finite wherever the true value is, and the limit at +-inf.
    fi = acc.finfo(acc.DTYPES[dtype])
    g64 = m.got_ext.astype(np.float64)
    nonfinite = np.isfinite(m.hi_ext) & (np.abs(m.hi_ext) <= float(fi.max)) & ~np.isfinite(g64)
    assert not nonfinite.any(), (
        f"{kind} of {name}{static or ''} {params} in {dtype}: non-finite at "
        f"x={m.x_ext[nonfinite]} (got {m.got_ext[nonfinite]})")
    inf_ref = np.isinf(m.hi_ext)
    assert np.all(g64[inf_ref] == m.hi_ext[inf_ref]), (
        f"{kind} of {name}{static or ''} {params} in {dtype}: wrong infinite limit at "
        f"x={m.x_ext[inf_ref]}: got {m.got_ext[inf_ref]}, want {m.hi_ext[inf_ref]}")
    bad = m.bad
    known = KNOWN.get((kind, case_id(name, static), dtype, tuple(sorted(params.items()))))
    if known and not bad.any():
        pytest.fail(f"{kind} of {name} meets its target now: remove it from KNOWN")
    if known:
        pytest.xfail(f"known shortfall: {known} ({int(bad.sum())} points, max "
                     f"{np.nanmax(np.where(np.isfinite(m.err), m.err, np.nan)):.3g} ULP)")
    if bad.any():
        pytest.fail(f"{kind} of {name}{static or ''} {params} in {dtype}: {int(bad.sum())} of "
                    f"{len(m.xs)} points above {m.tol} ULP; worst: {m.worst()}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,static", CASES)
def test_values(name, static, dtype):
    for params in param_sets(name):
        _check("value", name, static, params, dtype, 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,static", CASES)
def test_first_derivative(name, static, dtype):
    for params in param_sets(name):
        _check("derivative", name, static, params, dtype, 1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,static", CASES)
def test_second_derivative(name, static, dtype):
    for params in param_sets(name):
        _check("second derivative", name, static, params, dtype, 2)


# Intervals where sweeps denser than the grid found errors above the targets that the grid's
# points missed (each fixed; kept as regressions).  Checked at 401 points each, float32 and
# float64, value and both derivatives.
OFF_GRID_BANDS = {
    # float32 f'' by reverse-over-reverse, below 1e-34: 24 units of the smallest normal number
    # at -10.235, 20 at -10.034 (cotangents below it between the gate's exponential and x)
    "gelu_tanh": ((-10.6, -9.9), (9.95, 10.05)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,band", [(n, b) for n, bs in OFF_GRID_BANDS.items() for b in bs])
def test_off_grid_bands(name, band, dtype):
    for params in param_sets(name):
        for order, kind in enumerate(("value", "derivative", "second derivative")):
            _check(kind, name, {}, params, dtype, order, band)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,static", CASES)
def test_parameter_derivatives(name, static, dtype):
    decl = ja.declaration(name)
    ref = REFS[name]
    if not decl.params:
        pytest.skip("no parameters")
    dt = acc.DTYPES[dtype]
    for params in param_sets(name):
        xs = acc.grid(dt, dense=101, logn=30, kinks=kink_points(name, params, static),
                      domain=ref.domain)
        for i, p in enumerate(decl.params):
            if not (decl.param_tangents and decl.param_tangents[i]):
                continue
            if not p.broadcast:  # coefficient vectors: tested per family (test_rational.py)
                continue
            assert p.name in ref.dparams, f"{name}: no reference derivative for {p.name}"
            m = measure_param(name, static, params, dtype, p.name, xs)
            assert not m.bad.any(), (
                f"d{name}/d{p.name} {params}: {int(m.bad.sum())} points off; worst: "
                f"{m.worst(3)}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,static", CASES)
def test_kink_values_exact(name, static, dtype):
    decl = ja.declaration(name)
    f = ja.get(name)
    checked = 0
    for params in param_sets(name):
        for k in decl.kinks:
            if any(static.get(s, None) != v for s, v in k.static.items()):
                continue
            at = k.point(**params)
            want = k.value(**params)
            g = jax.grad(lambda x: f(x, **params, **static))
            got = g(jnp.asarray(at, dtype=acc.DTYPES[dtype]))
            # the kink value is exactly representable in the dtype where the formula says so
            want_d = np.asarray(want, dtype=acc.DTYPES[dtype])
            assert np.asarray(got) == want_d, (
                f"{name} {params}: derivative at kink x={at} is {got}, declared {want}")
            checked += 1
    if not decl.kinks:
        pytest.skip("smooth: no kinks")


@pytest.mark.parametrize("name,static", CASES)
def test_nan_propagates(name, static):
    f = ja.get(name)
    for params in param_sets(name):
        g = lambda x: f(x, **params, **static)  # noqa: E731
        x = jnp.asarray([np.nan, 1.0], jnp.float32)
        assert np.isnan(g(x)[0]) and not np.isnan(g(x)[1]), f"{name}: NaN input lost"
        d = jax.vmap(jax.grad(g))(x)
        assert np.isnan(d[0]), f"{name}: NaN input gave gradient {d[0]}"


@pytest.mark.parametrize("name,static", CASES)
def test_nan_propagates_with_traced_parameters(name, static):
    """The NaN guard of the kinked rules (``nan_guard``): the gradient is NaN wherever the
    value is.  With parameters traced under jit (a learnable slope, say), which cannot be
    checked for NaN, that holds whether the NaN came from x or from a parameter (with concrete
    parameters, checked, the guard reads x instead of y)."""
    f = ja.get(name)
    decl = ja.declaration(name)
    names = [p.name for p in decl.params]
    if not names or not decl.guards_nan:
        pytest.skip("no parameters" if not names else "no NaN guard (smooth or nan_guard=False)")
    x = jnp.asarray([np.nan, -3.0, -0.5, 0.0, 0.5, 3.0, np.inf, -np.inf], jnp.float32)
    for params in param_sets(name):
        base = {k: jnp.float32(v) for k, v in params.items()
                if k in names and np.ndim(v) == 0}
        for bad in [None, *base]:
            ps = {k: (jnp.float32(np.nan) if k == bad else v) for k, v in base.items()}

            @jax.jit
            def g(v, ps, params=params):
                return f(v, **{**params, **ps}, **static)

            y = g(x, ps)
            d = jax.vmap(jax.grad(g), in_axes=(0, None))(x, ps)
            lost = np.isnan(np.asarray(y)) & ~np.isnan(np.asarray(d))
            assert not lost.any(), (
                f"{name} {params}, NaN {bad or 'x'}: value NaN but gradient "
                f"{np.asarray(d)[lost]} at x = {np.asarray(x)[lost]}")
            assert np.isnan(d[0]), f"{name}: NaN input gave gradient {d[0]}"


@pytest.mark.parametrize("name,static", CASES)
def test_transformations_agree(name, static):
    """jit == eager, vmap == loop, and jvp / vjp / jacfwd / jacrev / grad agree."""
    f = ja.get(name)
    params = param_sets(name)[0]
    ref = REFS[name]
    lo, hi = ref.domain or (-4.0, 4.0)
    lo, hi = max(lo, -4.0), min(hi, 4.0)
    x = jnp.asarray(np.random.default_rng(0).uniform(lo, hi, 16), jnp.float32)
    g = lambda v: f(v, **params, **static)  # noqa: E731
    eager = g(x)
    np.testing.assert_array_equal(jax.jit(g)(x), eager)
    loop = jnp.stack([g(v) for v in x])
    np.testing.assert_allclose(jax.vmap(g)(x), loop, rtol=2e-7, atol=0)
    t = jnp.ones_like(x)
    _, jv = jax.jvp(g, (x,), (t,))
    _, pull = jax.vjp(g, x)
    (vj,) = pull(t)
    gr = jax.vmap(jax.grad(g))(x)
    jf = jnp.diag(jax.jacfwd(g)(x))
    jr = jnp.diag(jax.jacrev(g)(x))
    for other in (vj, gr, jf, jr):
        np.testing.assert_allclose(other, jv, rtol=1e-6, atol=0)


@pytest.mark.parametrize("name,static", CASES)
def test_check_grads_orders_1_2(name, static):
    decl = ja.declaration(name)
    if decl.smoothness < 0:
        pytest.skip("discontinuous: the derivative is a surrogate, not the true one")
    f = ja.get(name)
    ref = REFS[name]
    # The defaults (an entry's fast path, where it has one) and the first other set (the
    # general path); every set's derivatives are checked against the references above.
    for params in param_sets(name)[:2]:
        kinks = kink_points(name, params, static)
        lo, hi = ref.domain or (-3.0, 3.0)
        xs = np.random.default_rng(1).uniform(max(lo, -3.0), min(hi, 3.0), 64)
        xs = xs[away_from(xs, kinks, rel=0.05)][:8]
        g = lambda x: f(x, **params, **static)  # noqa: E731
        order = 2 if decl.smoothness >= 2 else 1
        check_grads(g, (jnp.asarray(xs, jnp.float64),), order=order, modes=("fwd", "rev"),
                    eps=ref.fd_eps)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,static", CASES)
def test_dtype_preserved(name, static, dtype):
    """Value and reverse-mode gradient keep the input dtype (default parameters; the accuracy
    checks assert it for every parameter set and derivative order through vmap)."""
    f = ja.get(name)
    dt = acc.DTYPES[dtype]
    params = param_sets(name)[0]

    def value_and_grad(v):
        return f(v, **params, **static), jax.grad(lambda u: f(u, **params, **static).sum())(v)

    y, g = jax.jit(value_and_grad)(jnp.ones((3,), dt))  # one program
    assert y.dtype == dt and g.dtype == dt, (y.dtype, g.dtype)


@pytest.mark.parametrize("name,static", CASES)
def test_integer_and_bool_inputs_promote(name, static):
    f = ja.get(name)
    params = param_sets(name)[0]
    want = jnp.zeros((), dtype=float).dtype
    for x in (jnp.arange(3), jnp.array([True, False])):
        out = f(x, **params, **static)
        assert out.dtype == want, f"{name}: {x.dtype} input gave {out.dtype}, want {want}"
        np.testing.assert_allclose(out, f(x.astype(want), **params, **static))


@functools.cache
def _hess_ok():
    return True


@pytest.mark.parametrize("name,static", CASES)
def test_hessian_matches_second_derivative(name, static):
    """jax.hessian of a sum gives a diagonal equal to grad(grad(f))."""
    f = ja.get(name)
    params = param_sets(name)[0]
    ref = REFS[name]
    lo, hi = ref.domain or (-3.0, 3.0)
    xs = np.random.default_rng(2).uniform(max(lo, -3.0), min(hi, 3.0), 6)
    xs = xs[away_from(xs, kink_points(name, params, static), rel=0.05)]
    x = jnp.asarray(xs, jnp.float64)
    H = jax.hessian(lambda v: f(v, **params, **static).sum())(x)
    d2 = jax.vmap(jax.grad(jax.grad(lambda v: f(v, **params, **static))))(x)
    np.testing.assert_allclose(jnp.diag(H), d2, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(H - jnp.diag(jnp.diag(H)), 0)
    assert math.isfinite(float(jnp.abs(H).sum()))


FAST = [pytest.param(n, p.name, v, id=f"{n}-{p.name}={v}")
        for n in ja.names(kind="elementwise") for p in ja.declaration(n).params
        for v in p.fast_values]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,pname,value", FAST)
def test_fast_parameter_path_equals_the_general_one(name, pname, value, dtype):
    """A parameter given as one of its ``fast_values`` (a Python number, e.g. silu's default
    beta = 1) takes a cheaper path; given as an array of the same value it takes the general
    path.  Values and first and second derivatives agree bit for bit."""
    dt = acc.DTYPES[dtype]
    x = jnp.asarray(acc.grid(dt), dt)
    f = ja.get(name)
    fast = lambda v: f(v, **{pname: value})  # noqa: E731
    general = lambda v: f(v, **{pname: jnp.asarray(value, dt)})  # noqa: E731
    for _ in range(3):
        np.testing.assert_array_equal(jax.jit(jax.vmap(fast))(x), jax.jit(jax.vmap(general))(x))
        fast, general = jax.grad(fast), jax.grad(general)


def test_16bit_inputs_trace_the_rules_for_a_16bit_result():
    """The builder traces a declaration's function and tangent rule under ``target16`` exactly
    when a 16-bit input is computed in float32 (the rules may then skip corrections below the
    final rounding, e.g. gelu's double-word gate argument), and never leaks it."""
    from jaxacts._src import math as m
    from jaxacts._src.jvp import build

    seen: list[tuple[str, bool]] = []

    def fn(x):
        seen.append(("f", m.target16()))
        return x * x

    def tangent(t, x, y):
        seen.append(("df", m.target16()))
        return 2 * x * t

    f = build(ja.Activation(name="square_probe", family="custom", summary="x^2.",
                            formula="x^2", derivative="2x", fn=fn, tangent=tangent))
    for dtype, expect in (("bfloat16", True), ("float16", True), ("float32", False)):
        seen.clear()
        x = jnp.asarray([1.5, -2.0], dtype)
        jax.grad(lambda v: f(v).astype(jnp.float32).sum())(x)
        assert seen and all(flag is expect for _, flag in seen), (dtype, seen)
        assert {k for k, _ in seen} == {"f", "df"}
    assert m.target16() is False
