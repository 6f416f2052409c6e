"""A digits classifier in Flax nnx whose activation is one string.

    python examples/nnx_classifier.py --activation gelu
    python examples/nnx_classifier.py --activation elu --learnable     # per-channel alpha
    python examples/nnx_classifier.py --activation xielu --learnable --quick

The activation reaches the model as a string (or, with ``--learnable``, as a config dict);
``jaxacts.nnx.resolve`` turns either into a callable or an nnx module whose parameters train
with the rest of the model.  Training is optax through ``nnx.Optimizer`` in an
``nnx.jit``-compiled step.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from jaxacts import nnx as jnx
from jaxacts._src.train import load_dataset


class Classifier(nnx.Module):
    """Two hidden layers; ``activation`` is a name, a config dict or a module."""

    def __init__(self, features: int, activation: Any = "silu", *, hidden: int = 128,
                 classes: int = 10, rngs: nnx.Rngs) -> None:
        self.l1 = nnx.Linear(features, hidden, rngs=rngs)
        self.l2 = nnx.Linear(hidden, hidden, rngs=rngs)
        self.out = nnx.Linear(hidden, classes, rngs=rngs)
        # resolve() builds a fresh module from a config dict, so each layer learns its own.
        self.act1, self.act2 = jnx.resolve(activation), jnx.resolve(activation)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.out(self.act2(self.l2(self.act1(self.l1(x)))))


def activation_arg(args: argparse.Namespace, hidden: int) -> Any:
    if not args.learnable:
        return args.activation
    # nnx creates parameters in __init__, so a per-channel parameter needs the width.
    return {"name": args.activation, "learnable": True, "param_shape": "channel",
            "num_features": hidden}


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="silu", help="any jaxacts.names() entry")
    parser.add_argument("--learnable", action="store_true",
                        help="learn the activation's parameters, one per hidden unit")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 epochs (a smoke test)")
    args = parser.parse_args(argv)
    epochs = 5 if args.quick else args.epochs

    x_train, y_train, x_val, y_val = load_dataset("digits")
    model = Classifier(x_train.shape[1], activation_arg(args, 128), rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(3e-3), wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        def loss_fn(model):
            logits = model(x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    @nnx.jit
    def accuracy(model, x, y):
        return jnp.mean(jnp.argmax(model(x), -1) == y)

    rng = np.random.default_rng(0)
    batch = 128
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i:i + batch]
            loss = train_step(model, optimizer, x_train[idx], y_train[idx])
        if epoch == epochs or epoch % 10 == 0:
            print(f"epoch {epoch:3d}  loss {float(loss):.4f}  "
                  f"val accuracy {float(accuracy(model, x_val, y_val)):.4f}")
    acc = float(accuracy(model, x_val, y_val))
    print(f"activation {args.activation}{' (learnable)' if args.learnable else ''}: "
          f"validation accuracy {acc:.4f} in {time.perf_counter() - start:.1f} s")
    if args.learnable:
        for n, v in model.act1.learned_values().items():
            print(f"  layer 1 {n}: mean {float(v.mean()):.3f}, std {float(v.std()):.3f}")
    return acc


if __name__ == "__main__":
    main()
