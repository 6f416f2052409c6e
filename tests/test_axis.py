"""Registry-driven checks for every axis-wise activation (``kind="axis"``): values and
vector-Jacobian products against the independent mpmath references of tests/reference_axis.py,
Jacobians and Hessians against closed forms, finite differences, masks, empty rows, dtypes and
transformations.  Nothing here is written per activation, except the few named regressions at
the end."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxacts as ja
from tests import _accuracy as acc
from tests.reference_axis import AXIS_REFS

NAMES = list(ja.names(kind="axis"))
KEY = jax.random.key(7)


# Known accuracy shortfalls, reported rather than hidden: (test, name, kwargs index, dtype or
# None for every dtype) -> reason.  The marks are strict: a case that starts passing fails the
# run until its entry is removed here.
KNOWN: dict[tuple[str, str, int, str | None], str] = {}


def cases(pred=lambda r: True, test="", dtypes=(None,)):
    """``(name, kwargs[, dtype])`` parameters for every axis entry passing ``pred``, with a
    strict xfail on the entries of KNOWN for ``test``."""
    out = []
    for n in NAMES:
        if not pred(AXIS_REFS[n]):
            continue
        for i, kw in enumerate(AXIS_REFS[n].kwargs):
            for dt in dtypes:
                why = KNOWN.get((test, n, i, dt)) or KNOWN.get((test, n, i, None))
                marks = [pytest.mark.xfail(reason=why, strict=True)] if why else []
                args, ident = (n, dict(kw)), f"{n}-{i}"
                if dt is not None:
                    args, ident = (*args, dt), f"{ident}-{dt}"
                out.append(pytest.param(*args, id=ident, marks=marks))
    return out


def test_every_axis_activation_has_a_reference():
    assert set(NAMES) <= set(AXIS_REFS), set(NAMES) - set(AXIS_REFS)


def call(name, x, axis=-1, **kw):
    f = ja.get(name)
    if AXIS_REFS[name].random:
        kw = {"key": KEY, **kw}
    return f(x, axis=axis, **kw)


def logits(x):
    """The noisy logits ``fl(x + g)`` the library forms for ``x`` in its compute dtype, as
    float64 (the Gumbel noise ``g`` is drawn with the test's key)."""
    dt = jnp.float32 if x.dtype in (jnp.bfloat16, jnp.float16) else x.dtype
    xc = x.astype(dt)
    return np.asarray(xc + jax.random.gumbel(KEY, x.shape, dt), np.float64)


# fl(x + g) - x exactly: a float64 difference would round where the exponents differ (x = 1e-3
# beside a logit of 2.5), and the reference would then see logits off by an ULP.
_exact_diff = np.frompyfunc(lambda a, b: mp.mpf(float(a)) - mp.mpf(float(b)), 2, 1)


def noise(x):
    """The Gumbel noise as the reference needs it (mpmath numbers): the sample is the softmax
    of the rounded logits ``fl(x + g)``, so the reference gets ``fl(x + g) - x``, exactly."""
    return _exact_diff(logits(x), np.asarray(x, np.float64))


def ref_rows(name, X, kw, nz=None):
    """Apply the reference row by row to a 2-D float64 array -> double-double (hi, lo);
    ``nz``: the Gumbel noise of each row for the random entries."""
    ref = AXIS_REFS[name]
    his, los = [], []
    for i, row in enumerate(X):
        args = dict(kw)
        if ref.random:
            args["noise"] = [mp.mpf(v) for v in nz[i]]
        out = ref.f([mp.mpf(float(v)) for v in row], **args)
        dd = [acc._mp_to_dd(v) for v in out]
        his.append([h for h, _ in dd])
        los.append([lo for _, lo in dd])
    return np.array(his), np.array(los)


def sample(n_rows, n, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_rows, n)) * scale).astype(dtype)


def lengths(name):
    return (2, 6, 16, 64) if AXIS_REFS[name].out_len(4) == 2 else (1, 5, 16, 64)


def _values(name, kw, dtype, tol):
    ref = AXIS_REFS[name]
    dt = acc.DTYPES[dtype]
    worst = []
    for n in lengths(name):
        for scale in (0.1, 1.0, 10.0):
            X = sample(3, n, scale, dt, seed=n)
            x = jnp.asarray(X)
            got = np.asarray(call(name, x, **kw))
            assert got.dtype == dt
            hi, lo = ref_rows(name, X.astype(np.float64), kw, noise(x))
            sc = None
            if ref.scale is not None:
                sc = np.array([[float(v) for v in ref.scale(list(r))] for r in X.astype(float)])
            got = got.reshape(hi.shape)
            err = acc.ulp_error(got, hi, lo, dt, sc)
            worst.append((float(err.max()), n, scale))
            assert err.max() <= tol, (
                f"{name}{kw} {dtype} n={n} scale={scale}: {err.max():.3g} ULP "
                f"(tol {tol}); got {got.ravel()[:6]}, ref {hi.ravel()[:6]}")
    return worst


@pytest.mark.parametrize("name,kw,dtype", cases(test="values", dtypes=("float32", "float64")))
def test_values(name, kw, dtype):
    _values(name, kw, dtype, AXIS_REFS[name].value_tol)


@pytest.mark.parametrize("name,kw,dtype", cases(test="values16", dtypes=("bfloat16", "float16")))
def test_values_16bit_rounded_once(name, kw, dtype):
    """16-bit inputs are computed in float32 and rounded once: within 1 ULP."""
    _values(name, kw, dtype, 1)


def _jac_ref(name, row, kw, nz=None):
    args = dict(kw)
    if AXIS_REFS[name].random:
        args["noise"] = [mp.mpf(v) for v in nz]
    return AXIS_REFS[name].jac([mp.mpf(float(v)) for v in row], **args)


@pytest.mark.parametrize("name,kw,dtype", cases(test="vjp", dtypes=("float32", "float64")))
def test_vjp_accuracy(name, kw, dtype):
    """Issue 5: VJPs within 32 ULP at the 99th percentile, 256 ULP at the 99.9th, and within
    16 ULP of the largest entry normwise, over random rows of many lengths and scales."""
    dt = acc.DTYPES[dtype]
    errs, norm_errs = [], []
    rng = np.random.default_rng(3)
    for n in (2, 6, 12, 24):
        for scale in (0.3, 3.0, 30.0):
            X = sample(2, n, scale, dt, seed=100 + n)
            x = jnp.asarray(X)
            nz = noise(x)
            y, pull = jax.vjp(lambda v: call(name, v, **kw), x)
            G = rng.standard_normal(y.shape).astype(dt)
            (got,) = pull(jnp.asarray(G))
            got = np.asarray(got, np.float64)
            for i in range(len(X)):
                J = _jac_ref(name, X[i], kw, nz[i])
                g = [mp.mpf(float(v)) for v in np.atleast_1d(G[i])]
                vj = [mp.fsum(g[k] * J[k][j] for k in range(len(g))) for j in range(n)]
                dd = [acc._mp_to_dd(v) for v in vj]
                hi = np.array([h for h, _ in dd])
                lo = np.array([lo for _, lo in dd])
                errs.append(acc.ulp_error(got[i], hi, lo, dt))
                big = np.max(np.abs(hi))
                norm_errs.append(np.max(np.abs(got[i] - hi)) / acc.spacing(big, dt))
    e = np.concatenate(errs)
    assert np.isfinite(e).all(), f"{name}: non-finite VJP"
    p99, p999 = np.percentile(e, 99), np.percentile(e, 99.9)
    assert p99 <= 32 and p999 <= 256, f"{name} {dtype}: p99 {p99:.3g}, p99.9 {p999:.3g} ULP"
    assert max(norm_errs) <= 16, f"{name} {dtype}: normwise {max(norm_errs):.3g} ULP of max"


@pytest.mark.parametrize("name,kw", cases())
def test_jacobian_closed_form(name, kw):
    """jacfwd and jacrev (float64) against the closed-form Jacobian of the reference."""
    x = jnp.asarray(sample(1, 8, 1.5, np.float64, seed=5)[0])
    nz = noise(x)
    J = np.array(_jac_ref(name, np.asarray(x), kw, nz), dtype=np.float64)
    f = lambda v: jnp.atleast_1d(call(name, v, **kw))  # noqa: E731
    for jac in (jax.jacfwd(f)(x), jax.jacrev(f)(x)):
        np.testing.assert_allclose(np.asarray(jac), J, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,kw", cases())
def test_finite_differences(name, kw):
    """jax.test_util.check_grads, forward and reverse, order 2 where smooth (1 otherwise)."""
    x = jnp.asarray(sample(2, 6, 1.0, np.float64, seed=11))
    order = 2 if AXIS_REFS[name].smooth else 1
    check_grads(lambda v: call(name, v, **kw), (x,), order=order, modes=("fwd", "rev"))


@pytest.mark.parametrize("name,kw", cases(lambda r: r.smooth))
def test_hessian_closed_form(name, kw):
    """The Hessian of w . f(x) against central differences (step 1e-20, 60 digits) of the
    reference's closed-form Jacobian."""
    row = sample(1, 6, 1.0, np.float64, seed=13)[0]
    x = jnp.asarray(row)
    nz = noise(x)
    f = lambda v: jnp.atleast_1d(call(name, v, **kw))  # noqa: E731
    w = np.random.default_rng(0).standard_normal(f(x).shape)
    H = np.asarray(jax.hessian(lambda v: jnp.dot(jnp.asarray(w), f(v)))(x))
    h = mp.mpf("1e-20")
    want = np.zeros((len(row), len(row)))
    for j in range(len(row)):
        cols = []
        for sgn in (1, -1):
            r = [mp.mpf(float(v)) for v in row]
            r[j] += sgn * h
            args = dict(kw)
            if AXIS_REFS[name].random:
                args["noise"] = [mp.mpf(v) for v in nz]
            J = AXIS_REFS[name].jac(r, **args)
            cols.append([mp.fsum(w[k] * J[k][i] for k in range(len(J))) for i in range(len(r))])
        want[:, j] = [float((a - b) / (2 * h)) for a, b in zip(*cols, strict=True)]
    np.testing.assert_allclose(H, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", list(acc.DTYPES))
@pytest.mark.parametrize("name", NAMES)
def test_dtype_preserved(name, dtype):
    dt = acc.DTYPES[dtype]
    x = jnp.asarray(sample(2, 4, 1.0, np.float32, seed=1)).astype(dt)
    assert call(name, x).dtype == dt
    g = jax.grad(lambda v: jnp.sum(call(name, v)).astype(jnp.float32))(x)
    assert g.dtype == dt and np.isfinite(np.asarray(g, np.float32)).all()


@pytest.mark.parametrize("name", NAMES)
def test_integer_inputs_promote(name):
    out = call(name, jnp.arange(4).reshape(1, 4))
    assert out.dtype == jnp.zeros((), float).dtype


@pytest.mark.parametrize("name,kw", cases(test="jit"))
def test_jit_equals_eager_and_vmap_equals_loop(name, kw):
    x = jnp.asarray(sample(4, 8, 2.0, np.float32, seed=2))
    g = lambda v: call(name, v, **kw)  # noqa: E731
    eager = g(x)
    np.testing.assert_array_equal(jax.jit(g)(x), eager)
    # a surrounding computation that XLA fuses with ours must not change the result
    np.testing.assert_array_equal(jax.jit(lambda v: g(v * 1.0) + 0.0)(x), eager)
    if not AXIS_REFS[name].random:  # a key per row would draw different noise
        loop = jnp.stack([g(r) for r in x])
        np.testing.assert_array_equal(jax.vmap(g)(x), loop)
    gj = jax.jit(jax.grad(lambda v: jnp.sum(g(v) ** 2)))(x)
    np.testing.assert_array_equal(gj, jax.grad(lambda v: jnp.sum(g(v) ** 2))(x))


def _xfail_if_gpu_reduces_otherwise(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """On a GPU, a bit-for-bit comparison along a non-minor axis is reported as an expected
    failure, with the count: the GPU reduces such an axis in another order.  Not met there;
    reported, not hidden.  Elsewhere nothing (the caller asserts equality)."""
    if jax.default_backend() == "gpu" and not np.array_equal(got, want):
        pytest.xfail(f"GPU reduction order along a non-minor axis ({what}): "
                     f"{int((got != want).sum())} of {got.size} entries differ")


@pytest.mark.parametrize("name", [n for n in NAMES if not AXIS_REFS[n].random])
@pytest.mark.parametrize("shape,axis", [((4, 300), 0), ((4, 6, 50), 1)])
def test_jit_equals_eager_for_derivatives_along_any_axis(name, shape, axis):
    """The JVP and the VJP along a leading or middle axis, alone and fused under jit with
    surrounding arithmetic (exact, powers of two, so that only our rules' rounding can differ),
    equal the eager results bit for bit.  XLA's CPU compiler fused a rule's product into the
    following add (an FMA) under jit only: log_softmax's VJP along axis 0 differed in 410 of
    3000 entries."""
    rng = np.random.default_rng(5)
    x = jnp.asarray(rng.standard_normal(shape).astype(np.float32) * 3)
    f = lambda v: call(name, v, axis=axis)  # noqa: E731
    ct = jnp.asarray(rng.standard_normal(f(x).shape).astype(np.float32))
    t = jnp.asarray(rng.standard_normal(shape).astype(np.float32))

    def vjp(v, c):
        return jax.vjp(f, v)[1](c)[0]

    def jvp(v, d):
        return jax.jvp(f, (v,), (d,))[1]

    def fused(v, c):
        y, pb = jax.vjp(lambda u: f(u * 2.0 + 0.25), v)
        return pb(c * 0.5 + 0.125)[0] * 2.0 - v

    for h, arg in ((vjp, ct), (jvp, t), (fused, ct)):
        got, want = np.asarray(jax.jit(h)(x, arg)), np.asarray(h(x, arg))
        # Measured on an H100 and an H200 (README, GPU section): 8-9 of these 24 cases differ
        # there (the softmax family, sparsemax, entmax15), inside a larger fusion.
        _xfail_if_gpu_reduces_otherwise(got, want, h.__name__)
        np.testing.assert_array_equal(got, want, err_msg=h.__name__)


@pytest.mark.parametrize("name", NAMES)
def test_axis_argument(name):
    """Any axis gives the same as moving it last; a tuple of axes (where supported) the same as
    merging them; an out-of-range axis raises ValueError naming it."""
    x = jnp.asarray(sample(1, 48, 1.0, np.float32, seed=4).reshape(2, 4, 6))
    with pytest.raises(ValueError, match="axis"):
        call(name, x, axis=3)
    if AXIS_REFS[name].random:  # moving the axis reshapes the noise: nothing to compare
        return
    moved = np.moveaxis(np.asarray(call(name, jnp.moveaxis(x, 1, -1), axis=-1)), -1, 1)
    got = np.asarray(call(name, x, axis=1))
    # Measured on an H100 (softmax, log_softmax) and an H200 (log_softmax, softmin): 1 ULP
    # apart in 2-4 of 48 entries (within the accuracy target).
    _xfail_if_gpu_reduces_otherwise(got, moved, "axis=1")
    np.testing.assert_array_equal(got, moved)
    if AXIS_REFS[name].out_len(4) == 4:
        merged = call(name, jnp.moveaxis(x, 0, 1).reshape(4, 12), axis=-1)
        got = jnp.moveaxis(call(name, x, axis=(0, 2)), 0, 1).reshape(4, 12)
        np.testing.assert_allclose(got, merged, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", [n for n in NAMES if AXIS_REFS[n].out_len(4) == 2])
def test_gated_odd_axis_raises(name):
    with pytest.raises(ValueError, match=r"axis 1 .*size 3"):
        call(name, jnp.ones((2, 3)), axis=1)


MASKED = [n for n in NAMES if AXIS_REFS[n].masked]


@pytest.mark.parametrize("name", MASKED)
def test_where_mask(name):
    """Masked entries are left out: the kept entries equal the reference on the kept subset,
    the masked ones are 0 (-inf for log_softmax) and get zero gradient."""
    X = sample(3, 7, 2.0, np.float64, seed=9)
    M = np.random.default_rng(9).random(X.shape) < 0.6
    M[:, 0] = True
    x, m = jnp.asarray(X), jnp.asarray(M)
    got = np.asarray(call(name, x, where=m)).reshape(3, -1)
    for i in range(3):
        hi, _ = ref_rows(name, X[i][M[i]][None], {})
        if got.shape[1] == 1:
            np.testing.assert_allclose(got[i], hi[0], rtol=1e-13)
            continue
        np.testing.assert_allclose(got[i][M[i]], hi[0], rtol=1e-13, atol=1e-15)
        np.testing.assert_array_equal(got[i][~M[i]], AXIS_REFS[name].empty)
    w = jnp.asarray(np.random.default_rng(1).standard_normal(got.shape))
    g = jax.grad(lambda v: jnp.sum(jnp.where(jnp.isfinite(w), w, 0).reshape(-1) * jnp.where(
        jnp.isfinite(call(name, v, where=m)), call(name, v, where=m), 0).reshape(-1)))(x)
    assert np.all(np.asarray(g)[~M] == 0)
    with pytest.raises(ValueError, match="where"):
        call(name, x, where=jnp.ones((3, 2), bool))


@pytest.mark.parametrize("name", MASKED)
def test_empty_rows_give_zeros_not_nan(name):
    """A fully masked row and an all -inf row (softmin: +inf): zeros (log_softmax, logsumexp:
    -inf) and zero, finite gradients (jax-ml/jax#6811)."""
    x = jnp.asarray([[1.0, 2.0, 3.0], [AXIS_REFS[name].void] * 3])
    m = jnp.asarray([[False] * 3, [True] * 3])
    empty = AXIS_REFS[name].empty
    for where in (m, None):
        out = np.asarray(call(name, x, where=where)).reshape(2, -1)
        rows = [0, 1] if where is not None else [1]
        for r in rows:
            np.testing.assert_array_equal(out[r], empty)
        g = jax.grad(lambda v: jnp.sum(jnp.where(jnp.isfinite(y := call(name, v, where=where)),
                                                 y, 0)))(x)
        g = np.asarray(g)
        assert np.isfinite(g).all() and np.all(g[rows] == 0), g


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", MASKED)
def test_dominant_infinity_gives_the_limit(name, dtype):
    """Entries at +inf (softmin: -inf) dominate their row: the output is the limit as they grow
    (their mass split equally among them, 0 elsewhere; -inf for log_softmax's other entries,
    +inf for logsumexp), not NaN or a silent row of zeros, and the gradient is finite."""
    ref = AXIS_REFS[name]
    top, big = -ref.void, 1e6 * np.sign(-ref.void)
    for row in ([top, 0.0, 1.0, -2.0], [top, ref.void, 3.0, top], [top] * 4):
        x = jnp.asarray(row, acc.DTYPES[dtype])
        want = [float(v) for v in ref.f([mp.mpf(big if v == top else v) for v in row])]
        want = np.where(np.abs(want) > 1e5, np.copysign(np.inf, want), want)
        got = np.asarray(call(name, x), np.float64).reshape(-1)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=f"{name}{row}")
        w = jnp.arange(1.0, 1.0 + got.size, dtype=x.dtype)
        g = jax.grad(lambda v: jnp.sum(jnp.where(jnp.isfinite(y := call(name, v)), y * w, 0)))(x)
        assert np.isfinite(np.asarray(g)).all(), (name, row, g)


@pytest.mark.parametrize("name", MASKED)
def test_nan_in_a_row_is_never_lost(name):
    """A NaN entry makes its row's output NaN and its gradient NaN (sparsemax and entmax-1.5
    used to return a row of zeros); other rows are untouched."""
    x = jnp.asarray([[1.0, np.nan, -2.0, 0.5], [1.0, 3.0, -2.0, 0.5]])
    y = np.asarray(call(name, x)).reshape(2, -1)
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all(), y
    g = np.asarray(jax.grad(lambda v: jnp.sum(call(name, v)))(x))
    assert np.isnan(g[0]).any() and np.isfinite(g[1]).all(), g


# --- named regressions and drop-in compatibility ----------------------------------------------

@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp", "logmeanexp", "glu"])
def test_signature_and_values_match_jax_nn(name):
    want = inspect.signature(getattr(jax.nn, name)).parameters
    got = inspect.signature(ja.get(name)).parameters
    pos = [p for p in got.values() if p.kind != p.KEYWORD_ONLY]
    assert [(p.name, p.default) for p in pos] == [(p.name, p.default) for p in want.values()]
    x = jnp.asarray(sample(3, 8, 3.0, np.float32, seed=8))
    np.testing.assert_allclose(ja.get(name)(x), getattr(jax.nn, name)(x), rtol=2e-6, atol=1e-7)


def test_sparsemax_known_values():
    x = jnp.asarray([0.5, 1.2, -0.3, 1.0], jnp.float64)
    np.testing.assert_allclose(ja.sparsemax(x), [0, 0.6, 0, 0.4], rtol=1e-15, atol=1e-16)
    np.testing.assert_array_equal(ja.sparsemax(jnp.asarray([1.0, 1.0, 1.0])), [1 / 3] * 3)
    np.testing.assert_array_equal(ja.sparsemax(jnp.asarray([1e4, 0.0, -3.0])), [1, 0, 0])
    np.testing.assert_array_equal(ja.entmax15(jnp.asarray([1e4, 0.0, -3.0])), [1, 0, 0])
    np.testing.assert_allclose(ja.entmax15(jnp.asarray([2.0, 2.0])), [0.5, 0.5], rtol=1e-15)
    assert float(jax.grad(lambda v: ja.entmax15(v)[0])(jnp.asarray([1e4, 0.0]))[0]) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sparsemax", "entmax15"])
def test_sparse_maps_solve_their_kkt_conditions(name, dtype):
    """Each row is the map's solution: ``y = g(x - tau)_+`` (sparsemax: ``g(u) = u``; entmax15:
    ``x / 2`` and ``g(u) = u^2``) with one ``tau`` over the support, every other entry at or
    below it, and ``sum(y) = 1``.  Rows of half-integers put tied groups on the threshold (the
    sort-based search took such a group into entmax15's support in some rows: sums up to
    1.36), rows of 1024 and a geometric row take many search steps."""
    rng = np.random.default_rng(11)
    rows = [np.round(rng.standard_normal((400, 16)) * 2) / 2,
            rng.integers(-3, 3, (200, 12)).astype(float),
            np.pad(-np.cumsum(2.0 ** -np.arange(40)), (0, 1024 - 40), constant_values=-9)[None],
            rng.standard_normal((64, 1024)) * np.array([[0.01], [0.1], [1], [10]]).repeat(16, 0)]
    fn = jax.jit(ja.get(name))
    for x in rows:
        x = x.astype(dtype)
        y = np.asarray(fn(jnp.asarray(x)), np.float64)
        u = x / 2 if name == "entmax15" else x
        g = np.sqrt(y) if name == "entmax15" else y
        eps = 64 * np.finfo(dtype).eps * np.maximum(np.abs(u).max(-1, keepdims=True), 1)
        sup = y > 0
        tau = np.where(sup, u - g, np.nan)
        lo, hi = np.nanmin(tau, -1, keepdims=True), np.nanmax(tau, -1, keepdims=True)
        one_tau = hi - lo <= eps
        below = (sup | (u <= hi + eps)).all(-1, keepdims=True)
        total = np.abs(y.sum(-1, keepdims=True) - 1) <= 16 * np.finfo(dtype).eps
        assert one_tau.all() and below.all() and total.all(), (
            x.shape, np.flatnonzero(~(one_tau & below & total))[:5])


def test_log_softmax_dominant_entry_not_rounded_to_zero():
    y = ja.log_softmax(jnp.asarray([0.0, -20.0, -21.0], jnp.float32))
    want = -float(mp.log1p(mp.exp(-20) + mp.exp(-21)))
    assert float(y[0]) != 0 and abs(float(y[0]) - want) <= 2 * np.spacing(np.float32(abs(want)))


def test_float16_log_softmax_gradient_wide_axis():
    """jax-ml/jax#40409: a 70,000-wide float16 log_softmax has a finite gradient."""
    x = jnp.asarray(np.random.default_rng(0).standard_normal(70_000), jnp.float16)
    g = jax.grad(lambda v: ja.log_softmax(v)[0].astype(jnp.float32))(x)
    assert g.dtype == jnp.float16 and np.isfinite(np.asarray(g, np.float32)).all()
    np.testing.assert_allclose(float(g[0]), 1 - 1 / 70_000 * np.exp(float(x[0])) * 70_000
                               / np.sum(np.exp(np.asarray(x, np.float64))), rtol=2e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logmeanexp_of_narrow_rows_is_backward_stable(dtype):
    """Narrow rows (max - mean <= 1) near 0 have a logmeanexp near 0 (about mean + var / 2): it
    must be within 2 ULP of sum_i |x_i| softmax(x)_i, the error that rounding the inputs alone
    causes.  The max-shifted m + log(mean e^(x - m)) was 17-1065 ULP off there, jax.nn's
    logsumexp - log n 38-5652.  (Spreads up to 0.1: 64 normal entries stay within 1 of the
    mean.)"""
    dt = acc.DTYPES[dtype]
    rng = np.random.default_rng(3)
    for spread in (1e-3, 1e-2, 0.1):
        X = (rng.standard_normal((8, 64)) * spread + rng.uniform(-0.01, 0.01, (8, 1))).astype(dt)
        got = np.asarray(ja.logmeanexp(jnp.asarray(X), axis=1), np.float64)
        for i, row in enumerate(X):
            v = [mp.mpf(float(t)) for t in row]
            s = mp.fsum(mp.exp(t) for t in v)
            ref = mp.log(s / len(v))
            scale = float(mp.fsum(abs(t) * mp.exp(t) for t in v) / s)
            err = abs(mp.mpf(got[i]) - ref) / float(np.spacing(np.asarray(scale, dt)))
            assert err <= 2, (dtype, spread, i, float(err))


def test_logmeanexp_row_does_not_depend_on_the_other_rows():
    """On the CPU the mean-shift pass of narrow rows runs only if some row of the call is
    narrow (a ``lax.cond``): each row's result must not depend on whether the other rows of its
    batch are narrow, under ``jit`` and ``vmap``, with and without a mask."""
    rng = np.random.default_rng(5)
    wide = (rng.standard_normal((4, 64)) * 3).astype(np.float32)
    narrow = (1 + rng.standard_normal((2, 64)) * 1e-3).astype(np.float32)
    both = np.concatenate([wide, narrow])
    mask = rng.random(both.shape) > 0.1
    for where in (None, mask):
        f = jax.jit(lambda v, w: ja.logmeanexp(v, axis=1, where=w))
        w_of = (lambda rows: None) if where is None else (lambda rows: jnp.asarray(where[rows]))
        alone = np.concatenate([np.asarray(f(jnp.asarray(both[r]), w_of(r)))
                                for r in (slice(0, 4), slice(4, 6))])
        np.testing.assert_array_equal(np.asarray(f(jnp.asarray(both), w_of(slice(None)))), alone)
        one = [np.asarray(f(jnp.asarray(both[i:i + 1]), w_of(slice(i, i + 1))))[0]
               for i in range(6)]
        np.testing.assert_array_equal(np.array(one), alone)
    vm = jax.vmap(lambda r: ja.logmeanexp(r))(jnp.asarray(both))
    np.testing.assert_allclose(np.asarray(vm), np.asarray(ja.logmeanexp(jnp.asarray(both),
                                                                         axis=1)), rtol=1e-6)
    x64 = both.astype(np.float64)
    np.testing.assert_allclose(np.asarray(ja.logmeanexp(jnp.asarray(both), axis=1)),
                               np.log(np.mean(np.exp(x64), axis=1)), rtol=1e-6)


def test_logsumexp_weights_sign_and_keepdims():
    a = jnp.asarray([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], jnp.float64)
    b = jnp.asarray([[1.0, -2.0, 0.5], [1.0, 1.0, 1.0]], jnp.float64)
    for kw in ({}, {"axis": 1, "keepdims": True}, {"axis": 0, "b": b, "return_sign": True}):
        got, want = ja.logsumexp(a, **kw), jax.nn.logsumexp(a, **kw)
        jax.tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-14), got, want)
    db = jax.grad(lambda w: ja.logsumexp(a, axis=1, b=w).sum())(jnp.abs(b))
    e = np.exp(np.asarray(a))
    np.testing.assert_allclose(db, e / np.sum(np.abs(np.asarray(b)) * e, 1, keepdims=True),
                               rtol=1e-14)
    assert np.isnan(float(ja.logsumexp(a[0], b=b[0])))  # negative sum without return_sign


def test_gumbel_softmax_hard_is_straight_through_and_samples_softmax():
    x = jnp.asarray([1.0, 0.0, -1.0])
    keys = jax.random.split(jax.random.key(0), 4000)
    hard = jax.vmap(lambda k: ja.gumbel_softmax(x, k, hard=True))(keys)
    assert set(np.unique(np.asarray(hard))) == {0.0, 1.0}
    np.testing.assert_array_equal(hard.sum(-1), 1)
    p = np.exp([1.0, 0.0, -1.0]) / np.exp([1.0, 0.0, -1.0]).sum()
    np.testing.assert_allclose(hard.mean(0), p, atol=0.03)  # the Gumbel-max trick
    k = jax.random.key(3)
    g_hard = jax.grad(lambda v: ja.gumbel_softmax(v, k, hard=True) @ jnp.arange(3.0))(x)
    g_soft = jax.grad(lambda v: ja.gumbel_softmax(v, k) @ jnp.arange(3.0))(x)
    np.testing.assert_array_equal(g_hard, g_soft)
    with pytest.raises(TypeError, match="key"):
        ja.gumbel_softmax(x)
    with pytest.raises(ValueError, match="tau"):
        ja.gumbel_softmax(x, k, tau=0.0)


def test_gumbel_softmax_tau_derivative():
    x = jnp.asarray([0.3, -1.0, 2.0], jnp.float64)
    u = logits(x)
    for tau in (0.5, 2.0):
        got = jax.jacfwd(lambda t: ja.gumbel_softmax(x, KEY, tau=t))(tau)
        y = np.exp(u / tau - np.max(u / tau))
        y /= y.sum()
        want = y * (-u / tau**2 - np.sum(y * -u / tau**2))
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_clamped_swiglu_parameter_derivatives():
    x = jnp.asarray([0.5, 1.0, -2.0, 8.0, 9.0, -0.5, 3.0, -9.0], jnp.float64)
    g, v = np.asarray(x[0::2]), np.asarray(x[1::2])
    a, L = 1.3, 7.0
    gc, vc = np.minimum(g, L), np.clip(v, -L, L)
    s = 1 / (1 + np.exp(-a * gc))
    da = jax.jacfwd(lambda p: ja.clamped_swiglu(x, alpha=p, limit=L))(a)
    np.testing.assert_allclose(da, gc * gc * s * (1 - s) * (vc + 1), rtol=1e-13)
    dl = jax.jacfwd(lambda p: ja.clamped_swiglu(x, alpha=a, limit=p))(L)
    dgc = (g > L) * (s + a * gc * s * (1 - s))
    dvc = (v > L) * 1.0 - (v < -L) * 1.0
    np.testing.assert_allclose(dl, dgc * (vc + 1) + gc * s * dvc, rtol=1e-13)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dominant_entry_gradient_is_not_lost(name, dtype):
    """Cross-entropy-like cotangents on a row with one dominant entry: the gradient at the
    dominant entry is 1 - y_i (times y_i for softmax), which ``y (g - sum(y g))`` rounds to 0
    (jax.nn gives 0 here); reverse and forward mode within 8 ULP of mpmath."""
    sign = -1.0 if name == "softmin" else 1.0
    x = jnp.asarray([20.0 * sign, 0.0, -3.0 * sign], dtype)
    e = [mp.exp(sign * mp.mpf(float(v))) for v in np.asarray(x)]
    y0 = e[0] / sum(e)
    d = mp.mpf(1) - y0 if name == "log_softmax" else y0 * (1 - y0)
    want = np.array([float(d), -float(e[1] / sum(e) * (1 if name == "log_softmax" else y0)),
                     -float(e[2] / sum(e) * (1 if name == "log_softmax" else y0))]) * sign
    f = ja.get(name)
    rev = np.asarray(jax.grad(lambda v: f(v)[0])(x), np.float64)
    fwd = np.asarray(jax.jacfwd(f)(x)[0], np.float64)
    ulp = np.spacing(np.abs(want).astype(dtype)).astype(np.float64)
    for got in (rev, fwd):
        assert np.all(np.abs(got - want) <= 8 * ulp), (name, dtype, got, want)
