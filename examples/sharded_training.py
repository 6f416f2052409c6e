"""Data-parallel and model-parallel training steps on a mesh of 8 (host) devices.

jaxacts activations are ordinary jit-compiled JAX functions with ``custom_jvp`` rules, so they
work unchanged on sharded arrays: the elementwise computation and its derivative run where the
shards live and keep their sharding.  This example trains an MLP on digits with a batch sharded
over a ``data`` axis (data parallelism) and with the hidden layer's weights sharded over a
``model`` axis (tensor/model parallelism), checks each sharded step against the same step on
one device, and prints the shardings.

    python examples/sharded_training.py
    python examples/sharded_training.py --quick

On a CPU the 8 devices are simulated with ``--xla_force_host_platform_device_count=8``, set
below before jax is imported.
"""

from __future__ import annotations

import os

# Must precede the first import of jax; appended so that other XLA flags are kept.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + " --xla_force_host_platform_device_count=8").strip()

import argparse  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import jaxacts as ja  # noqa: E402
from jaxacts._src.train import load_dataset  # noqa: E402

HIDDEN = 256


def init(key: jax.Array, d: int, classes: int) -> dict:
    k1, k2 = jax.random.split(key)
    return {"w1": jax.random.normal(k1, (d, HIDDEN)) * np.sqrt(2.0 / d),
            "b1": jnp.zeros(HIDDEN),
            "w2": jax.random.normal(k2, (HIDDEN, classes)) * np.sqrt(1.0 / HIDDEN),
            "b2": jnp.zeros(classes)}


def make_step(activation: str, opt: optax.GradientTransformation):
    act = ja.get(activation)

    def loss(params, x, y):
        h = act(x @ params["w1"] + params["b1"])
        logits = h @ params["w2"] + params["b2"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def step(params, state, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        updates, state = opt.update(grads, state)
        return optax.apply_updates(params, updates), state, value

    def hidden(params, x):
        return act(x @ params["w1"] + params["b1"])

    return jax.jit(step), jax.jit(hidden)


def run(name: str, mesh: Mesh, param_specs: dict, data, activation: str, steps: int) -> None:
    Xtr, ytr, Xva, yva = data
    n = (len(Xtr) // 8) * 8  # the batch divides evenly over the data axis
    x_np, y_np = Xtr[:n], ytr[:n]
    opt = optax.adam(1e-2)
    step, hidden = make_step(activation, opt)

    params = init(jax.random.key(0), Xtr.shape[1], 10)
    ref_params, ref_state = params, opt.init(params)  # the same steps on one device

    shard = lambda tree, specs: jax.tree.map(  # noqa: E731
        lambda a, s: jax.device_put(a, NamedSharding(mesh, s)), tree, specs)
    params = shard(params, param_specs)
    state = opt.init(params)  # Adam's moments follow the parameters' sharding
    batch_spec = P("data") if "data" in mesh.axis_names else P()
    x = jax.device_put(x_np, NamedSharding(mesh, batch_spec))
    y = jax.device_put(y_np, NamedSharding(mesh, batch_spec))

    losses, worst = [], 0.0
    for _ in range(steps):
        params, state, value = step(params, state, x, y)
        ref_params, ref_state, ref_value = step(ref_params, ref_state, x_np, y_np)
        losses.append(float(value))
        worst = max(worst, abs(float(value) - float(ref_value)) / abs(float(ref_value)))
    h = hidden(params, x)
    print(f"\n{name} (mesh {dict(mesh.shape)}, activation {activation})")
    print(f"  x   {x.shape} sharding {x.sharding.spec}   w1 {params['w1'].shape} sharding "
          f"{params['w1'].sharding.spec}")
    print(f"  {activation}(x @ w1 + b1) {h.shape}: sharding {h.sharding.spec}, "
          f"{len(h.sharding.device_set)} devices, {len(h.addressable_shards)} shards of "
          f"{h.addressable_shards[0].data.shape}")
    print(f"  loss {losses[0]:.4f} -> {losses[-1]:.4f} over {steps} steps; largest relative "
          f"difference from the single-device step: {worst:.1e}")
    logits = hidden(params, jnp.asarray(Xva)) @ params["w2"] + params["b2"]
    acc = np.mean(np.argmax(np.asarray(logits), -1) == yva)
    print(f"  validation accuracy {acc:.4f}")
    if worst > 1e-4:
        raise SystemExit(f"{name}: the sharded step disagrees with the single-device step")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--activations", default="gelu,silu,elu")
    p.add_argument("--quick", action="store_true", help="5 steps, one activation per mesh")
    args = p.parse_args(argv)
    steps = 5 if args.quick else args.steps
    acts = args.activations.split(",")
    if args.quick:
        acts = ["elu"]
    devices = jax.devices()
    if len(devices) < 8:
        raise SystemExit(f"needs 8 devices, found {len(devices)}: set XLA_FLAGS before jax is "
                         "imported")
    data = load_dataset("digits")
    print(f"{len(devices)} devices: {devices[0].platform}")
    dp = Mesh(np.array(devices[:8]), ("data",))
    mp = Mesh(np.array(devices[:8]).reshape(4, 2), ("data", "model"))
    replicated = {"w1": P(), "b1": P(), "w2": P(), "b2": P()}
    # Megatron-style: w1 split by columns, w2 by rows, so the hidden activation is sharded
    # over "model" and only the final matmul needs a reduction.
    tensor = {"w1": P(None, "model"), "b1": P("model"), "w2": P("model", None), "b2": P()}
    for a in acts:
        run("data parallel", dp, replicated, data, a, steps)
        run("data + model parallel", mp, tensor, data, a, steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
