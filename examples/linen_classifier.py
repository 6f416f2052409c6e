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
import time
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxacts import linen as jal
from jaxacts._src.train import load_dataset


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="silu", help="any jaxacts.names() entry")
    parser.add_argument("--learnable", action="store_true",
                        help="learn the activation's parameters, one per hidden unit")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 epochs (a smoke test)")
    args = parser.parse_args(argv)
    epochs = 5 if args.quick else args.epochs

    x_train, y_train, x_val, y_val = load_dataset("digits")
    model = Classifier(activation=activation_arg(args))  # unknown names fail here
    params = model.init(jax.random.key(0), x_train[:1])["params"]
    opt = optax.adam(3e-3)
    opt_state = opt.init(params)

    @jax.jit
    def train_step(params, opt_state, x, y):
        def loss_fn(p):
            logits = model.apply({"params": p}, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def accuracy(params, x, y):
        return jnp.mean(jnp.argmax(model.apply({"params": params}, x), -1) == y)

    rng = np.random.default_rng(0)
    batch = 128
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i:i + batch]
            params, opt_state, loss = train_step(params, opt_state, x_train[idx], y_train[idx])
        if epoch == epochs or epoch % 10 == 0:
            print(f"epoch {epoch:3d}  loss {float(loss):.4f}  "
                  f"val accuracy {float(accuracy(params, x_val, y_val)):.4f}")
    acc = float(accuracy(params, x_val, y_val))
    print(f"activation {args.activation}{' (learnable)' if args.learnable else ''}: "
          f"validation accuracy {acc:.4f} in {time.perf_counter() - start:.1f} s")
    return acc


if __name__ == "__main__":
    main()
