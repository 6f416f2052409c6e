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
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from jaxacts import nnx as jnx
from jaxacts._src.train import classifier_arguments, fit_classifier, load_dataset


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
    args = classifier_arguments(__doc__, argv)
    data = load_dataset("digits")
    model = Classifier(data[0].shape[1], activation_arg(args, 128), rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(3e-3), wrt=nnx.Param)

    @nnx.jit
    def nnx_step(model, optimizer, x, y):
        def loss_fn(model):
            logits = model(x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    def train_step(state, x, y):  # nnx updates the model and optimizer in place
        return state, nnx_step(*state, x, y)

    @nnx.jit
    def accuracy(state, x, y):
        return jnp.mean(jnp.argmax(state[0](x), -1) == y)

    _, acc = fit_classifier(train_step, accuracy, (model, optimizer), data, args)
    if args.learnable:
        for n, v in model.act1.learned_values().items():
            print(f"  layer 1 {n}: mean {float(v.mean()):.3f}, std {float(v.std()):.3f}")
    return acc


if __name__ == "__main__":
    main()
