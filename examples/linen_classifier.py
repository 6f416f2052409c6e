"""A digits classifier in Flax linen whose activation is one string.

    python examples/linen_classifier.py --activation gelu
    python examples/linen_classifier.py --activation elu --learnable     # per-channel alpha
    python examples/linen_classifier.py --activation xielu --learnable --quick

The activation reaches the model as a string (or, with ``--learnable``, as a config dict);
``jaxacts.linen.resolve`` turns either into a callable, so swapping activations never touches
the model code.  Training is plain optax in a ``jax.jit``-compiled step.
"""

from __future__ import annotations

import argparse
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxacts import linen as jal
from jaxacts._src.train import classifier_arguments, fit_classifier, load_dataset


class Classifier(nn.Module):
    """Two hidden layers; ``activation`` is a name, a config dict or a module."""

    activation: Any = "silu"
    hidden: int = 128
    classes: int = 10

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for _ in range(2):
            x = jal.resolve(self.activation)(nn.Dense(self.hidden)(x))
        return nn.Dense(self.classes)(x)


def activation_arg(args: argparse.Namespace) -> Any:
    if not args.learnable:
        return args.activation
    # Each hidden layer gets its own module, with one parameter per hidden unit.
    return {"name": args.activation, "learnable": True, "param_shape": "channel"}


def main(argv: list[str] | None = None) -> float:
    args = classifier_arguments(__doc__, argv)
    data = load_dataset("digits")
    model = Classifier(activation=activation_arg(args))  # unknown names fail here
    params = model.init(jax.random.key(0), data[0][:1])["params"]
    opt = optax.adam(3e-3)

    @jax.jit
    def train_step(state, x, y):
        params, opt_state = state

        def loss_fn(p):
            logits = model.apply({"params": p}, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    @jax.jit
    def accuracy(state, x, y):
        return jnp.mean(jnp.argmax(model.apply({"params": state[0]}, x), -1) == y)

    _, acc = fit_classifier(train_step, accuracy, (params, opt.init(params)), data, args)
    return acc


if __name__ == "__main__":
    main()
