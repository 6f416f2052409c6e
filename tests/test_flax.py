"""The Flax modules (jaxacts.linen, jaxacts.nnx), driven by the registry.

Every registry entry: module output and gradients (input and learned parameters) equal the
function's, for both APIs, and its config round-trips.  Then learnable-parameter shapes and
dtypes, constraints, jit-compiled optax training, serialization, PReLU compatibility with
Flax, GatedMLP against a numpy formula, resolve and the error messages.
"""

from __future__ import annotations

import json
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx, serialization

import jaxacts as ja
from jaxacts import linen as jal
from jaxacts import nnx as jnx
from tests.reference import REFS

APIS = ("linen", "nnx")
SHAPE = (3, 4)  # an even-sized feature axis for the axis-kind entries (glu splits it)
KEY = jax.random.key(0)


def _learnable(decl) -> list[str]:
    rules = decl.param_tangents or (None,) * len(decl.params)
    return [p.name for p, r in zip(decl.params, rules, strict=True) if p.learnable and r]


NAMES = list(ja.names())
LEARNABLE = [n for n in NAMES if _learnable(ja.declaration(n))]


def _input(name: str, shape=SHAPE) -> jax.Array:
    ref = REFS.get(name)
    lo, hi = -1.8, 1.8
    if ref is not None and ref.domain is not None:
        lo, hi = max(lo, ref.domain[0]), min(hi, ref.domain[1])
        lo, hi = lo + 0.05 * (hi - lo), hi - 0.05 * (hi - lo)
    u = np.random.default_rng(1).uniform(size=shape)
    return jnp.asarray(lo + (hi - lo) * u, jnp.float32)


def _aux(name: str) -> dict:
    decl = ja.declaration(name)
    if not decl.random:
        return {}
    keys = [a for a in decl.aux if "key" in a or "rng" in a]
    if not keys:
        pytest.skip(f"{name} is random (decl.random) but names no key argument in decl.aux "
                    f"{decl.aux}")
    return {keys[0]: jax.random.key(3)}


def _total(y) -> jax.Array:
    """A scalar that depends on every output with distinct weights (so no gradient cancels)."""
    leaves = jax.tree.leaves(y)
    return sum(jnp.sum(jnp.asarray(v, jnp.float32) * (1 + jnp.arange(v.size).reshape(v.shape)
                                                      / 7.0)) for v in leaves)


def _build(api: str, name: str, x: jax.Array, aux: dict, **kw):
    """(apply(params, x), params) for module ``name`` built with ``kw``."""
    if api == "linen":
        m = jal.module_class(name)(**kw)
        variables = m.init(KEY, x, **aux)
        params = variables.get("params", {})
        return (lambda p, x: m.apply({"params": p}, x, **aux)), params, m
    modes = kw.get("param_shape", "scalar")
    modes = set(modes.values()) if isinstance(modes, dict) else {modes}
    if "channel" in modes:
        kw["num_features"] = x.shape[kw.get("feature_axis", -1)]
    if "element" in modes:
        kw["feature_shape"] = x.shape[1:]
    m = jnx.module_class(name)(**kw)
    graphdef, params, rest = nnx.split(m, nnx.Param, ...)
    return (lambda p, x: nnx.merge(graphdef, p, rest)(x, **aux)), params, m


def _chain(decl, stored: str, raw: np.ndarray) -> np.ndarray:
    """d value / d stored variable, from the declared domain (the documented constraints)."""
    name = stored.removesuffix("_raw")
    if stored == name:
        return np.ones_like(raw)
    p = next(q for q in decl.params if q.name == name)
    s = 1 / (1 + np.exp(-raw.astype(np.float64)))
    if p.lower is not None and p.upper is not None:
        return (p.upper - p.lower) * s * (1 - s)
    return s  # d softplus = sigmoid, for a lower or an upper bound alike


def _stored_values(params) -> dict[str, np.ndarray]:
    if isinstance(params, nnx.State):
        return {str(path[-1]): np.asarray(v.get_value() if hasattr(v, "get_value") else v)
                for path, v in nnx.to_flat_state(params)}
    return {k: np.asarray(v) for k, v in params.items()}


# --- every registry entry ---------------------------------------------------------------------

def _close(a, b, **tol):
    jax.tree.map(lambda u, v: np.testing.assert_allclose(np.asarray(u), np.asarray(v), **tol),
                 a, b)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("api", APIS)
def test_module_matches_function(api, name):
    x, aux = _input(name), _aux(name)
    fn = ja.get(name)
    apply, params, _ = _build(api, name, x, aux)

    @jax.jit  # one compilation for the whole comparison
    def run(params, x):
        return ((apply(params, x), fn(x, **aux)),
                (jax.grad(lambda x: _total(apply(params, x)))(x),
                 jax.grad(lambda x: _total(fn(x, **aux)))(x)))

    (y_mod, y_fn), (g_mod, g_fn) = run(params, x)
    _close(y_mod, y_fn, rtol=0, atol=0)
    _close(g_mod, g_fn, rtol=1e-6, atol=1e-7)
    y_eager = apply(params, x)  # and the module outside jit (concrete checks, no tracing)
    _close(y_eager, y_fn, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", LEARNABLE)
@pytest.mark.parametrize("api", APIS)
def test_learned_parameters_match_function(api, name):
    """All parameters learned (per channel where they apply elementwise): same output, same
    input gradient and the function's parameter gradient (through the constraint)."""
    decl = ja.declaration(name)
    x, aux = _input(name), _aux(name)
    per_channel = decl.kind == "elementwise"
    shapes = {p.name: ("channel" if per_channel and p.broadcast else "scalar")
              for p in decl.params if p.name in _learnable(decl)}
    apply, params, m = _build(api, name, x, aux, learnable=True, param_shape=shapes)
    stored = _stored_values(params)
    assert set(s.removesuffix("_raw") for s in stored) == set(shapes)
    for s, v in stored.items():
        n = s.removesuffix("_raw")
        want = (x.shape[-1],) if shapes[n] == "channel" else np.shape(
            next(p.default for p in decl.params if p.name == n))
        assert v.shape == want and v.dtype == np.float32, (s, v.shape, v.dtype)
    fn = ja.get(name)

    def values(params):
        return m.learned_values(params) if api == "linen" else _nnx_values(m, params)

    @jax.jit  # one compilation for the whole comparison
    def run(params, x):
        pv = values(params)
        return (pv, (apply(params, x), fn(x, **pv, **aux)),
                jax.grad(lambda p: _total(apply(p, x)))(params),
                jax.grad(lambda pv: _total(fn(x, **pv, **aux)))(pv),
                (jax.grad(lambda x: _total(apply(params, x)))(x),
                 jax.grad(lambda x: _total(fn(x, **pv, **aux)))(x)))

    pv, (y_mod, y_fn), g_params, g_fn, (gx_mod, gx_fn) = run(params, x)
    for n, v in pv.items():  # the initial values are the declared defaults
        default = next(p.default for p in decl.params if p.name == n)
        np.testing.assert_allclose(np.asarray(v), np.broadcast_to(default, v.shape), rtol=1e-6)
    _close(y_mod, y_fn, rtol=1e-6, atol=1e-7)
    for s, g in _stored_values(g_params).items():
        n = s.removesuffix("_raw")
        want = np.asarray(g_fn[n]) * _chain(decl, s, stored[s])
        np.testing.assert_allclose(g, want, rtol=2e-5, atol=1e-6, err_msg=f"d/d{s}")
    _close(gx_mod, gx_fn, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("api", APIS)
def test_config_round_trips_through_json(api, name):
    mod = jal if api == "linen" else jnx
    kw = {}
    decl = ja.declaration(name)
    if _learnable(decl):
        kw = {"learnable": True}
        if decl.kind == "elementwise" and all(p.broadcast for p in decl.params):
            kw.update(param_shape="channel", feature_axis=0)
            if api == "nnx":
                kw["num_features"] = 3
    m = mod.module_class(name)(**kw)
    cfg = json.loads(json.dumps(m.config()))
    assert cfg["name"] == decl.name
    back = mod.from_config(cfg)
    assert type(back) is type(m)
    assert back.config() == m.config()


def test_class_names_are_unique_and_readable():
    classes = [jal.module_class(n).__name__ for n in NAMES]
    assert len(set(classes)) == len(classes), "two activations generate the same class name"
    assert jal.module_class("leaky_relu").__name__ == "LeakyReLU"
    assert jnx.module_class("relu6").__name__ == "ReLU6"
    assert jal.ELU is jal.module_class("elu") and jnx.ELU is jnx.module_class("elu")
    for alias, n in ja.aliases().items():
        assert jal.module_class(alias) is jal.module_class(n)
    for n in NAMES:
        assert issubclass(jal.module_class(n), jal.ActivationModule)
        assert issubclass(jnx.module_class(n), jnx.ActivationModule)


# --- learnable parameters: shapes, dtypes, constraints ------------------------------------------

@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("mode,axis,want", [("scalar", -1, ()), ("channel", -1, (5,)),
                                            ("channel", 1, (3,)), ("element", -1, (3, 4, 5))])
def test_learned_parameter_shapes(api, mode, axis, want):
    x = jax.random.normal(KEY, (2, 3, 4, 5))
    apply, params, _ = _build(api, "elu", x, {}, alpha=0.3, learnable=True, param_shape=mode,
                              feature_axis=axis)
    (alpha,) = _stored_values(params).values()
    assert alpha.shape == want
    np.testing.assert_allclose(alpha, 0.3, rtol=1e-7)
    # Distinct values per channel/element must land on their own channel/element.
    new = jnp.asarray(np.random.default_rng(0).uniform(0.1, 2.0, want), jnp.float32)
    params = jax.tree.map(lambda _: new, params)
    bshape = [1] * 4
    if mode == "channel":
        bshape[axis] = want[0]
    a = new.reshape(bshape) if mode == "channel" else new
    np.testing.assert_allclose(apply(params, x), ja.elu(x, a), rtol=1e-6)


@pytest.mark.parametrize("api", APIS)
def test_param_dtype_float32_with_bfloat16_inputs(api):
    x = _input("elu").astype(jnp.bfloat16)
    apply, params, _ = _build(api, "elu", x, {}, alpha=0.7, learnable=True,
                              param_shape="channel")
    (alpha,) = _stored_values(params).values()
    assert alpha.dtype == np.float32
    y = apply(params, x)
    assert y.dtype == jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(y, np.float32),
                                  np.asarray(ja.elu(x, jnp.asarray(alpha)), np.float32))
    (g,) = _stored_values(jax.grad(lambda p: _total(apply(p, x)))(params)).values()
    assert g.dtype == np.float32 and np.all(np.isfinite(g)) and np.any(g != 0)


def _bounded():
    for n in NAMES:
        d = ja.declaration(n)
        for p in d.params:
            if (d.kind == "elementwise" and p.name in _learnable(d) and p.lower is not None
                    and p.upper is None and not d.random):
                return n, p
    pytest.skip("no registry entry has a learnable elementwise parameter with a lower bound")


@pytest.mark.parametrize("api", APIS)
def test_constraint_keeps_parameter_in_domain(api):
    """Gradient steps that push a lower-bounded parameter below its bound leave it valid."""
    name, p = _bounded()
    x = _input(name, (64,)) * 2
    apply, params, m = _build(api, name, x, {}, learnable=p.name)
    assert set(_stored_values(params)) == {f"{p.name}_raw"}

    def values(params):
        return m.learned_values(params) if api == "linen" else _nnx_values(m, params)

    @jax.jit
    def step(params):
        # d loss / d value = 1 everywhere: plain descent drives the value down without end.
        g = jax.grad(lambda q: jnp.sum(values(q)[p.name]))(params)
        return jax.tree.map(lambda v, d: v - 1.0 * d, params, g)

    for _ in range(200):
        params = step(params)
    v = np.asarray(values(params)[p.name])
    assert np.all(v > p.lower) and np.all(np.isfinite(v))
    assert np.all(np.isfinite(np.asarray(apply(params, x))))
    with pytest.raises(ValueError, match="must be in|boundary"):
        _build(api, name, x, {}, learnable=p.name, **{p.name: p.lower})


def _nnx_values(m, params):
    graphdef, _, rest = nnx.split(m, nnx.Param, ...)
    return nnx.merge(graphdef, params, rest).learned_values()


# --- training with optax in a jit-compiled step ------------------------------------------------

class _LinenNet(nn.Module):
    act: nn.Module

    @nn.compact
    def __call__(self, x):
        return nn.Dense(1)(self.act(nn.Dense(16)(x)))


class _NnxNet(nnx.Module):
    def __init__(self, act, rngs):
        self.l1, self.act, self.l2 = nnx.Linear(3, 16, rngs=rngs), act, nnx.Linear(16, 1,
                                                                                   rngs=rngs)

    def __call__(self, x):
        return self.l2(self.act(self.l1(x)))


def _data():
    x = jax.random.normal(jax.random.key(1), (128, 3))
    return x, jnp.sin(2 * x[:, :1]) * jnp.abs(x[:, 1:2])


@pytest.mark.parametrize("api", APIS)
def test_jit_optax_training_moves_learned_parameters_and_lowers_loss(api):
    x, t = _data()
    opt = optax.adam(3e-2)
    if api == "linen":
        net = _LinenNet(jal.ELU(learnable=True, param_shape="channel"))
        params = net.init(KEY, x)["params"]
        state = opt.init(params)

        @jax.jit
        def step(params, state):
            loss, g = jax.value_and_grad(lambda p: jnp.mean((net.apply({"params": p}, x) - t)
                                                            ** 2))(params)
            upd, state = opt.update(g, state)
            return optax.apply_updates(params, upd), state, loss

        alpha0 = np.asarray(params["act"]["alpha"])
        losses = []
        for _ in range(40):
            params, state, loss = step(params, state)
            losses.append(float(loss))
        alpha1 = np.asarray(params["act"]["alpha"])
    else:
        model = _NnxNet(jnx.ELU(learnable=True, param_shape="channel", num_features=16),
                        nnx.Rngs(0))
        optimizer = nnx.Optimizer(model, opt, wrt=nnx.Param)

        @nnx.jit
        def step(model, optimizer):
            loss, g = nnx.value_and_grad(lambda m: jnp.mean((m(x) - t) ** 2))(model)
            optimizer.update(model, g)
            return loss

        alpha0 = np.asarray(model.act.alpha[...])
        losses = [float(step(model, optimizer)) for _ in range(40)]
        alpha1 = np.asarray(model.act.alpha[...])
    assert alpha0.shape == alpha1.shape == (16,)
    assert losses[-1] < 0.5 * losses[0], losses
    assert np.all(np.abs(alpha1 - alpha0) > 1e-3), "some per-channel alpha did not move"


# --- serialization -----------------------------------------------------------------------------

def test_linen_parameters_round_trip_through_flax_serialization():
    x = _input("elu")
    m = jal.Activation("elu", alpha=0.4, learnable=True, param_shape="channel")
    v = m.init(KEY, x)
    v = jax.tree.map(lambda a: a + jnp.arange(a.size, dtype=a.dtype).reshape(a.shape), v)
    restored = serialization.from_bytes(m.init(KEY, x), serialization.to_bytes(v))
    m2 = jal.from_config(json.loads(json.dumps(m.config())))
    np.testing.assert_array_equal(m2.apply(restored, x), m.apply(v, x))
    assert not np.array_equal(m.apply(v, x), m.apply(m.init(KEY, x), x))


def test_nnx_parameters_round_trip_through_state_and_split_merge():
    x = _input("elu")
    m = jnx.Activation("elu", alpha=0.4, learnable=True, param_shape="channel", num_features=4)
    m.alpha[...] = jnp.asarray([0.1, 0.5, 1.0, 2.0], jnp.float32)
    graphdef, state = nnx.split(m)
    pure = nnx.to_pure_dict(state)
    m2 = jnx.from_config(json.loads(json.dumps(m.config())))
    _, state2 = nnx.split(m2)
    nnx.replace_by_pure_dict(state2, serialization.msgpack_restore(
        serialization.msgpack_serialize(jax.tree.map(np.asarray, pure))))
    nnx.update(m2, state2)
    np.testing.assert_array_equal(m2(x), m(x))
    np.testing.assert_array_equal(nnx.merge(graphdef, state)(x), m(x))


# --- PReLU ------------------------------------------------------------------------------------

def test_prelu_loads_flax_linen_prelu_variables():
    x = _input("leaky_relu")
    theirs = nn.PReLU(negative_slope_init=0.2)
    v = theirs.init(KEY, x)
    v = jax.tree.map(lambda a: a * 1.5, v)
    np.testing.assert_array_equal(jal.PReLU(negative_slope_init=0.2).apply(v, x),
                                  theirs.apply(v, x))


def test_prelu_matches_flax_nnx_prelu_state():
    x = _input("leaky_relu")
    theirs = nnx.PReLU(negative_slope_init=0.3)
    ours = jnx.PReLU(negative_slope_init=0.3)
    assert jax.tree.structure(nnx.to_pure_dict(nnx.state(theirs, nnx.Param))) == \
        jax.tree.structure(nnx.to_pure_dict(nnx.state(ours, nnx.Param)))
    np.testing.assert_array_equal(ours(x), theirs(x))
    # d/dx at 0 is 1, as in Flax (torch gives the slope).
    assert float(jax.grad(lambda z: ours(z))(0.0)) == 1.0


@pytest.mark.parametrize("api", APIS)
def test_prelu_torch_style_channels_on_axis_1(api):
    x = jax.random.normal(KEY, (2, 3, 5, 5))  # NCHW
    if api == "linen":
        m = jal.PReLU(negative_slope_init=0.25, num_parameters=3, feature_axis=1)
        slope = m.init(KEY, x)["params"]["negative_slope"]
        y = m.apply({"params": {"negative_slope": jnp.asarray([0.1, 0.2, 0.3])}}, x)
    else:
        m = jnx.PReLU(0.25, num_parameters=3, feature_axis=1)
        slope = m.negative_slope[...]
        m.negative_slope[...] = jnp.asarray([0.1, 0.2, 0.3], jnp.float32)
        y = m(x)
    assert slope.shape == (3,) and np.allclose(slope, 0.25)
    a = np.asarray([0.1, 0.2, 0.3]).reshape(1, 3, 1, 1)
    xn = np.asarray(x)
    np.testing.assert_allclose(np.asarray(y), np.where(xn >= 0, xn, a * xn), rtol=1e-6)


# --- GatedMLP ---------------------------------------------------------------------------------

def _np_elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


@pytest.mark.parametrize("api", APIS)
def test_gated_mlp_matches_numpy(api):
    x = _input("elu", (5, 6))
    if api == "linen":
        m = jal.GatedMLP(hidden_features=8, activation=("elu", "linear"), use_bias=True)
        p = m.init(KEY, x)["params"]
        y = m.apply({"params": p}, x)
        w = {k: (np.asarray(v["kernel"]), np.asarray(v["bias"])) for k, v in p.items()}
    else:
        m = jnx.GatedMLP(6, 8, activation="elu", use_bias=True, rngs=nnx.Rngs(0))
        y = m(x)
        w = {k: (np.asarray(getattr(m, k).kernel[...]), np.asarray(getattr(m, k).bias[...]))
             for k in ("gate", "up", "down")}
    xn = np.asarray(x, np.float64)
    g, u = (xn @ w[k][0] + w[k][1] for k in ("gate", "up"))
    want = (_np_elu(g) * u) @ w["down"][0] + w["down"][1]
    assert y.shape == (5, 6)
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("api", APIS)
def test_gated_mlp_default_is_swiglu(api):
    if "silu" not in ja.names():
        pytest.skip("silu is not registered yet")
    x = _input("elu", (2, 4))
    if api == "linen":
        m = jal.GatedMLP(hidden_features=8)
        p = m.init(KEY, x)["params"]
        y = m.apply({"params": p}, x)
        k = {n: np.asarray(v["kernel"], np.float64) for n, v in p.items()}
    else:
        m = jnx.GatedMLP(4, 8, rngs=nnx.Rngs(0))
        y = m(x)
        k = {n: np.asarray(getattr(m, n).kernel[...], np.float64) for n in ("gate", "up", "down")}
    g = np.asarray(x, np.float64) @ k["gate"]
    want = (g / (1 + np.exp(-g)) * (np.asarray(x, np.float64) @ k["up"])) @ k["down"]
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("api", APIS)
def test_gated_mlp_config_round_trip_with_learnable_gate(api):
    x = _input("elu", (2, 4))
    if api == "linen":
        m = jal.GatedMLP(hidden_features=6, activation=jal.ELU(learnable=True))
        v = m.init(KEY, x)
        assert v["params"]["activation"]["alpha"].shape == ()
        m2 = jal.GatedMLP.from_config(json.loads(json.dumps(m.config())))
        np.testing.assert_array_equal(m2.apply(v, x), m.apply(v, x))
    else:
        m = jnx.GatedMLP(4, 6, activation={"name": "elu", "learnable": ["alpha"]},
                         rngs=nnx.Rngs(0))
        assert isinstance(m.gate_activation, jnx.ELU)
        m2 = jnx.GatedMLP.from_config(json.loads(json.dumps(m.config())), rngs=nnx.Rngs(0))
        np.testing.assert_array_equal(m2(x), m(x))


# --- resolve ----------------------------------------------------------------------------------

@pytest.mark.parametrize("api", APIS)
def test_resolve(api):
    mod, other = (jal, jnx) if api == "linen" else (jnx, jal)
    assert mod.resolve("elu") is ja.elu
    assert mod.resolve("ELU") is ja.elu
    assert mod.resolve(jnp.tanh) is jnp.tanh
    x = jnp.asarray([-1.0, 2.0])
    np.testing.assert_array_equal(mod.resolve("linear")(x), x)
    inst = mod.ELU(alpha=2.0)
    assert mod.resolve(inst) is inst
    assert isinstance(mod.resolve(mod.ELU), mod.ELU)
    assert isinstance(mod.resolve({"name": "elu", "alpha": 2.0}), mod.ELU)
    with pytest.raises(TypeError, match="module"):
        mod.resolve(other.ELU() if api == "linen" else jal.ELU())
    with pytest.raises(KeyError, match="Did you mean"):
        mod.resolve("eluu")
    with pytest.raises(TypeError):
        mod.resolve(3)


# --- random activations take keys from the rng machinery ---------------------------------------

def _random_elementwise():
    for n in NAMES:
        d = ja.declaration(n)
        if d.random and d.kind == "elementwise" and any("key" in a for a in d.aux):
            return n, next(a for a in d.aux if "key" in a)
    pytest.skip("no random elementwise activation registered")


@pytest.mark.parametrize("api", APIS)
def test_random_activation_draws_keys_from_rngs(api):
    name, key_arg = _random_elementwise()
    x = -jnp.abs(_input(name)) - 0.1
    fn = ja.get(name)
    if api == "linen":
        m = jal.module_class(name)()
        v = m.init(KEY, x)
        y1 = m.apply(v, x, rngs={"activation": jax.random.key(5)})
        y2 = m.apply(v, x, rngs={"activation": jax.random.key(6)})
        np.testing.assert_array_equal(m.apply(v, x), fn(x))  # no key: deterministic mode
    else:
        m = jnx.module_class(name)(rngs=nnx.Rngs(activation=5))
        y1, y2 = m(x), m(x)
        np.testing.assert_array_equal(jnx.module_class(name)()(x), fn(x))
    assert not np.array_equal(y1, y2), "a fresh key per call should give a fresh sample"


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("api", APIS)
def test_unknown_name_raises_at_construction_with_close_matches(api):
    mod = jal if api == "linen" else jnx
    with pytest.raises(KeyError, match=r"Did you mean: .*leaky_relu"):
        mod.Activation("leaky_rleu")
    with pytest.raises(KeyError, match=r"Did you mean: .*elu"):
        mod.from_config({"name": "eluu"})
    with pytest.raises(KeyError, match=r"Did you mean: .*elu"):
        if api == "linen":
            jal.GatedMLP(hidden_features=4, activation="eluu")
        else:
            jnx.GatedMLP(2, 4, activation="eluu", rngs=nnx.Rngs(0))


@pytest.mark.parametrize("api", APIS)
def test_per_channel_size_mismatch_is_a_clear_error(api):
    x4, x5 = jnp.ones((2, 4)), jnp.ones((2, 5))
    with pytest.raises(ValueError, match=r"'alpha' has 4 channels but the input has 5 features"):
        if api == "linen":
            m = jal.ELU(learnable=True, param_shape="channel")
            m.apply(m.init(KEY, x4), x5)
        else:
            jnx.ELU(learnable=True, param_shape="channel", num_features=4)(x5)
    # a (4,) parameter would broadcast silently against a (4, 1) input: it must not.
    with pytest.raises(ValueError, match="channels but the input has 1"):
        if api == "linen":
            m = jal.ELU(learnable=True, param_shape="channel")
            m.apply(m.init(KEY, x4), jnp.ones((4, 1)))
        else:
            jnx.ELU(learnable=True, param_shape="channel", num_features=4)(jnp.ones((4, 1)))


@pytest.mark.parametrize("api", APIS)
def test_bad_configurations_raise_at_construction(api):
    mod = jal if api == "linen" else jnx
    with pytest.raises(ValueError, match="no learnable parameters"):
        mod.ReLU(learnable=True)
    with pytest.raises(ValueError, match=r"cannot learn 'beta'.*alpha"):
        mod.ELU(learnable="beta")
    with pytest.raises(ValueError, match="param_shape for 'alpha' must be one of"):
        mod.ELU(learnable=True, param_shape="row")
    with pytest.raises(TypeError, match="alph"):
        mod.Activation("elu", alph=1.0)
    with pytest.raises(ValueError, match="constraint must be one of"):
        mod.ELU(learnable=True, constraint="clip")
    if api == "nnx":
        with pytest.raises(ValueError, match="needs num_features"):
            jnx.ELU(learnable=True, param_shape="channel")
    with pytest.raises(ValueError, match="num_parameters"):
        mod.PReLU(num_parameters=0)


def test_nnx_parameters_take_sharding_metadata():
    mesh = jax.make_mesh((1,), ("model",), axis_types=(jax.sharding.AxisType.Explicit,))
    with jax.set_mesh(mesh):
        m = jnx.ELU(learnable=True, param_shape="channel", num_features=4,
                    alpha_metadata={"out_sharding": ("model",)})
        p = jnx.PReLU(num_parameters=4, negative_slope_metadata={"out_sharding": ("model",)})
    for var in (m.alpha, p.negative_slope):
        assert var.get_metadata()["out_sharding"] == ("model",)
        assert var[...].sharding.spec == jax.sharding.PartitionSpec("model")
    assert not math.isnan(float(m(jnp.ones((2, 4))).sum()))


def test_activation_registered_later_gets_modules(monkeypatch):
    """A user's activation (registered after import) gets classes in both APIs, and its
    positive parameter is learned through the softplus constraint."""
    from jaxacts._src import registry
    from jaxacts._src.jvp import build

    decl = ja.Activation(
        name="scaled_tanh_test", family="test", summary="s * tanh(x).", formula="s tanh x",
        derivative="s (1 - tanh^2 x)",
        params=(ja.Param("s", 2.0, "scale.", lower=0.0, lower_open=True),),
        fn=lambda x, s: s * jnp.tanh(x),
        tangent=lambda t, x, y, s: t * s * (1 - jnp.tanh(x) ** 2),
        param_tangents=(lambda ts, x, y, s: ts * jnp.tanh(x),))
    monkeypatch.setitem(registry._REGISTRY, decl.name, (decl, build(decl)))
    x = jnp.asarray([-1.0, 0.5, 2.0])
    m = jnx.ScaledTanhTest(learnable=True)
    assert set(_stored_values(nnx.state(m, nnx.Param))) == {"s_raw"}
    np.testing.assert_allclose(np.log1p(np.exp(np.asarray(m.s_raw[...]))), 2.0, rtol=1e-6)
    np.testing.assert_allclose(m(x), 2.0 * np.tanh(np.asarray(x)), rtol=1e-6)
    lm = jal.ScaledTanhTest(s=0.5)
    np.testing.assert_allclose(lm.apply({}, x), 0.5 * np.tanh(np.asarray(x)), rtol=1e-6)
