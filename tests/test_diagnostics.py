"""Diagnostics: exact statistics on constructed models, verdicts on deliberately broken ones."""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxacts as ja
from jaxacts import diagnostics as dg

WIDTH = 8
X = np.random.default_rng(0).uniform(0.1, 1.0, size=(32, WIDTH)).astype(np.float32)
Y = np.arange(32) % 3


def _bias(dead_units: int, low: float = -10.0) -> np.ndarray:
    """A bias driving the first ``dead_units`` units far below zero (inputs are in [0.1, 1])."""
    return np.array([low] * dead_units + [0.0] * (WIDTH - dead_units), np.float32)


class Identity(nn.Module):
    """Dense(identity kernel, given bias) -> probe -> Dense: unit j sees x[:, j] + bias[j]."""

    act: Any = "relu"
    out_range: tuple[float, float] | None = None

    @nn.compact
    def __call__(self, x):
        h = nn.Dense(WIDTH)(x)
        return nn.Dense(3)(dg.Probe(self.act, out_range=self.out_range)(h))


def _identity_vars(bias: np.ndarray) -> dict:
    v = Identity().init(jax.random.key(0), X)
    p = jax.tree_util.tree_map(np.asarray, v["params"])
    p["Dense_0"] = {"kernel": np.eye(WIDTH, dtype=np.float32), "bias": bias}
    return {"params": p}


def _stats_layer(act: Any, bias: np.ndarray, out_range=None) -> dg.LayerStats:
    report = dg.diagnose(Identity(act, out_range), _identity_vars(bias), (X, Y))
    (layer,) = report.layers
    return layer


@pytest.mark.parametrize("dead_units", [0, 3, WIDTH])
def test_linen_dead_fraction_exact(dead_units):
    layer = _stats_layer("relu", _bias(dead_units))
    assert layer.dead == dead_units / WIDTH
    ref = np.maximum(X + _bias(dead_units), 0)  # the reference relu, in numpy
    np.testing.assert_allclose(layer.mean, ref.mean(), rtol=1e-6)
    np.testing.assert_allclose(layer.std, ref.std(), rtol=1e-5)


def test_one_live_example_is_not_dead():
    x = X.copy()
    x[5, 2] = 20.0  # unit 2 fires for one example only (bias -10)
    report = dg.diagnose(Identity("relu"), _identity_vars(_bias(3)), (x, Y))
    assert report.layers[0].dead == 2 / WIDTH


def test_saturation_half_bounded_from_registry():
    # elu's registry range is (-1, inf): units pushed to x ~ -10 sit at the bound -1.
    assert ja.info("elu")["output_range"][0] == -1.0
    layer = _stats_layer("elu", _bias(5))
    assert layer.saturated == 5 / WIDTH and layer.dead == 0.0


def test_saturation_both_bounds_explicit_range():
    # tanh stays within 2% of the width of (-1, 1) of a bound at |x| >= 2.3.
    bias = np.array([-10, 10, -10, 0, 0, 0, 0, 0], np.float32)
    layer = _stats_layer(jax.nn.tanh, bias, out_range=(-1.0, 1.0))
    assert layer.saturated == 3 / WIDTH
    # Without a known range nothing can be called saturated.
    assert _stats_layer(jax.nn.tanh, bias).saturated == 0.0


def _bounded_monotonic() -> list[str]:
    return [n for n in ja.names(kind="elementwise")
            if ja.declaration(n).bounded and ja.declaration(n).monotonic
            and not ja.declaration(n).params]


@pytest.mark.parametrize("name", _bounded_monotonic())
def test_saturation_every_bounded_registry_entry(name):
    # Units driven to -60 or +60 reach the ends of a monotonic bounded activation's range.
    bias = np.array([-60, 60, 0, 0, 0, 0, 0, 0], np.float32) * 1.0
    lo, hi = ja.declaration(name).output_range
    ys = np.asarray(ja.get(name)(jnp.array([-60.0, 60.0, 0.1, 1.0])))
    live = [not any(abs(v - b) <= 0.02 * (hi - lo) for b in (lo, hi)) for v in ys[2:]]
    if not all(live):
        pytest.skip(f"{name} is already near a bound on [0.1, 1]")
    layer = _stats_layer(name, bias)
    # A unit sitting exactly at a bound of 0 is dead; the two counts are disjoint.
    assert layer.dead == np.sum(ys[:2] == 0) / WIDTH
    assert layer.saturated == np.sum(ys[:2] != 0) / WIDTH


class NNXIdentity(nnx.Module):
    def __init__(self, bias: np.ndarray, act: str = "relu"):
        rngs = nnx.Rngs(0)
        self.l1 = nnx.Linear(WIDTH, WIDTH, rngs=rngs)
        self.l1.kernel[...] = jnp.eye(WIDTH, dtype=jnp.float32)
        self.l1.bias[...] = jnp.asarray(bias, jnp.float32)
        self.act = dg.NNXProbe(act)
        self.l2 = nnx.Linear(WIDTH, 3, rngs=rngs)

    def __call__(self, x):
        return self.l2(self.act(self.l1(x)))


def test_nnx_dead_and_saturated_exact():
    report = dg.diagnose(NNXIdentity(_bias(3)), None, (X, Y))
    assert [s.name for s in report.layers] == ["act"]
    assert report.layers[0].dead == 3 / WIDTH
    assert set(report.grad_norms) == {"l1", "l2"}
    assert dg.diagnose(NNXIdentity(_bias(6), "elu"), None, (X, Y)).layers[0].saturated == 6 / 8


def test_nnx_probe_records_nothing_outside_capture():
    model = NNXIdentity(_bias(0))
    before = nnx.state(model)
    model(X)
    assert jax.tree_util.tree_structure(nnx.state(model)) == jax.tree_util.tree_structure(before)


def test_linen_probe_records_nothing_without_mutable():
    out = Identity().apply(_identity_vars(_bias(0)), X)
    assert out.shape == (32, 3)


def test_tap_rejects_non_module():
    with pytest.raises(TypeError, match="linen or nnx Module"):
        dg.tap(object(), jnp.ones(3), "relu")


def test_grad_norms_exact():
    grads = {"params": {"Dense_10": {"kernel": np.full((2, 2), 1.0)},
                        "Dense_2": {"kernel": np.array([[3.0]]), "bias": np.array([4.0])}}}
    norms = dg.grad_norms(grads)
    assert list(norms) == ["Dense_2", "Dense_10"]  # model order, not lexicographic
    np.testing.assert_allclose([norms["Dense_2"], norms["Dense_10"]], [5.0, 2.0])


# --- verdicts on deliberately broken setups -------------------------------------------------

class Stack(nn.Module):
    act: Any = "relu"
    depth: int = 4
    width: int = 32
    kernel_init: Any = nn.initializers.he_normal()
    bias_init: Any = nn.initializers.zeros
    out_range: tuple[float, float] | None = None

    @nn.compact
    def __call__(self, x):
        for _ in range(self.depth):
            x = nn.Dense(self.width, kernel_init=self.kernel_init, bias_init=self.bias_init)(x)
            x = dg.Probe(self.act, out_range=self.out_range)(x)
        return nn.Dense(10)(x)


XB = np.asarray(jax.random.normal(jax.random.key(0), (128, 16)))
YB = np.arange(128) % 10


def _sigmoid() -> tuple[Any, tuple[float, float] | None]:
    try:
        return ja.get("sigmoid"), None  # the registry's range
    except KeyError:
        return jax.nn.sigmoid, (0.0, 1.0)


def _verdict(model: nn.Module) -> dg.Report:
    return dg.diagnose(model, model.init(jax.random.key(1), XB), (XB, YB))


def test_verdict_healthy():
    report = _verdict(Stack())
    assert report.verdict == "healthy" and report.findings == ()


def test_verdict_sigmoid_stack_vanishing():
    act, rng = _sigmoid()
    report = _verdict(Stack(act, depth=10, kernel_init=nn.initializers.lecun_normal(),
                            out_range=rng))
    assert report.verdict == "vanishing gradients"
    norms = list(report.grad_norms.values())
    assert norms[0] < 1e-3 * norms[-1]  # the symptom itself, independent of the thresholds
    assert "non-saturating activation" in report.message


def test_verdict_large_init_exploding():
    report = _verdict(Stack(depth=8, width=64, kernel_init=nn.initializers.normal(1.0)))
    assert report.verdict == "exploding gradients"
    assert max(report.grad_norms.values()) > 1e3
    assert "clip" in report.message


def test_verdict_negative_bias_relu_dying():
    report = _verdict(Stack(bias_init=nn.initializers.constant(-3.0)))
    assert report.verdict == "dying units"
    assert report.layers[-1].dead == 1.0
    # the zero gradients are explained by the dead units, not reported as vanishing
    assert all(f.symptom != "vanishing gradients" for f in report.findings)
    assert "leaky_relu" in report.message


def test_verdict_saturated():
    act, rng = _sigmoid()
    report = _verdict(Stack(act, depth=2, bias_init=nn.initializers.constant(20.0),
                            out_range=rng))
    assert [s.saturated for s in report.layers] == [1.0, 1.0]
    assert any(f.symptom == "saturated units" for f in report.findings)


def test_report_str_has_table_and_verdict():
    text = str(_verdict(Stack(depth=2)))
    assert "Probe_0" in text and "Dense_2" in text and "verdict: healthy" in text


# --- statistics inside a jit-compiled training loop, logged over steps --------------------------

def _train(lr: float, steps: int, kernel_std: float | None = None, act: str = "relu"
           ) -> dg.DiagnosticsLog:
    import optax

    init = nn.initializers.normal(kernel_std) if kernel_std else nn.initializers.he_normal()
    model = Stack(act, depth=3, kernel_init=init)
    params = model.init(jax.random.key(0), XB)["params"]
    opt = optax.sgd(lr)
    state = opt.init(params)

    @jax.jit
    def step(params, state):
        def loss(p):
            out, stats = model.apply({"params": p}, XB, mutable=[dg.COLLECTION])
            return dg.cross_entropy(out, YB), stats

        (value, stats), grads = jax.value_and_grad(loss, has_aux=True)(params)
        updates, state = opt.update(grads, state)
        return optax.apply_updates(params, updates), state, value, dg.summarize(stats, grads)

    log = dg.DiagnosticsLog()
    for i in range(steps):
        params, state, value, summary = step(params, state)
        log.record(i, summary, loss=value)
    return log


def test_log_in_jit_training_loop_healthy():
    log = _train(lr=0.05, steps=6)
    hist = log.history()
    assert len(log) == 6 and hist["step"] == list(range(6))
    assert list(hist["activations"]) == ["Probe_0", "Probe_1", "Probe_2"]
    assert list(hist["grad_norms"]) == ["Dense_0", "Dense_1", "Dense_2", "Dense_3"]
    assert hist["loss"][-1] < hist["loss"][0]
    assert log.report().verdict == "healthy"


def test_log_in_jit_training_loop_diverging():
    # leaky_relu units cannot die, so a far too large step size shows up as exploding.
    log = _train(lr=5.0, steps=12, kernel_std=0.5, act="leaky_relu")
    report = log.report()
    assert report.verdict == "exploding gradients"


def test_log_growing_norms_trend():
    log = dg.DiagnosticsLog()
    for i in range(8):  # norms growing 2x a step stay below the absolute limit
        log.record(i, {"activations": {}, "grad_norms": {"w": jnp.float32(0.1 * 2.0 ** i)}},
                   loss=1.0)
    assert log.report().verdict == "exploding gradients"
    assert "grew" in log.report().message


def test_log_loss_spike():
    log = dg.DiagnosticsLog()
    for i, loss in enumerate([1.0, 0.9, 0.8, 0.7, 50.0, 0.6]):
        log.record(i, {"activations": {}, "grad_norms": {"w": jnp.float32(0.5)}}, loss=loss)
    assert [f.symptom for f in log.report().findings] == ["loss spike"]


def test_log_empty_raises():
    with pytest.raises(ValueError, match="nothing recorded"):
        dg.DiagnosticsLog().report()


def test_activation_stats_is_jittable_and_cheap():
    y = jnp.asarray(np.maximum(X + _bias(2), 0))
    stats = jax.jit(lambda y: dg.activation_stats(y, (0.0, math.inf)))(y)
    assert {k: v.shape for k, v in stats.items()} == {k: () for k in stats}
    assert float(stats["dead"]) == 2 / WIDTH


def test_nnx_jit_training_loop_logged():
    import optax

    model = NNXIdentity(_bias(3))
    opt = nnx.Optimizer(model, optax.sgd(0.01), wrt=nnx.Param)

    @nnx.jit
    def step(model, opt):
        def loss(m):
            out, stats = dg.capture(lambda m_, x_: m_(x_))(m, X)
            return dg.cross_entropy(out, Y), stats

        (value, stats), grads = nnx.value_and_grad(loss, has_aux=True)(model)
        opt.update(model, grads)
        return value, dg.summarize(stats, grads)

    log = dg.DiagnosticsLog()
    for i in range(3):
        value, summary = step(model, opt)
        log.record(i, summary, loss=value)
    hist = log.history()
    assert hist["activations"]["act"]["dead"] == [3 / WIDTH] * 3
    assert list(hist["grad_norms"]) == ["l1", "l2"]
