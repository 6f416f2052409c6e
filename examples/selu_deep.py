"""A deep self-normalizing network: SELU + LeCun-normal init + alpha dropout (Klambauer et al.).

Feeds standardized digits through a 32-layer MLP twice: once with SELU, LeCun-normal weights and
alpha dropout (training mode), once with ReLU and the same (for ReLU, wrong) LeCun-normal init.
The per-layer activation statistics come from ``jaxacts.diagnostics`` probes: SELU's stay near
mean 0 / variance 1 at every depth, ReLU's variance halves layer after layer.

    python examples/selu_deep.py            # 64 layers of width 256
    python examples/selu_deep.py --quick    # 32 layers of width 128

Reference: G. Klambauer, T. Unterthiner, A. Mayr, S. Hochreiter, "Self-Normalizing Neural
Networks", NeurIPS 2017, arXiv:1706.02515.
"""

from __future__ import annotations

import argparse
import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxacts import diagnostics
from jaxacts._src.train import load_dataset

# SELU's fixed-point constants (the paper's alpha and lambda).
ALPHA = 1.6732632423543772
SCALE = 1.0507009873554805


def alpha_dropout(key: jax.Array, x: jax.Array, rate: float) -> jax.Array:
    """Dropout that keeps SELU's mean 0 / variance 1: dropped units take SELU's negative
    saturation value, then an affine map restores the moments (paper, section 3)."""
    if rate == 0.0:
        return x
    keep = 1.0 - rate
    sat = -SCALE * ALPHA
    a = (keep + sat**2 * keep * rate) ** -0.5
    b = -a * rate * sat
    return a * jnp.where(jax.random.bernoulli(key, keep, x.shape), x, sat) + b


class DeepMLP(nn.Module):
    activation: str
    depth: int
    width: int
    dropout: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array, key: jax.Array) -> jax.Array:
        init = nn.initializers.lecun_normal()  # right for SELU, half the variance ReLU needs
        for k in jax.random.split(key, self.depth):
            x = nn.Dense(self.width, kernel_init=init)(x)
            x = alpha_dropout(k, diagnostics.Probe(self.activation)(x), self.dropout)
        return x


def layer_stats(activation: str, depth: int, width: int, dropout: float, x: jax.Array
                ) -> list[tuple[float, float]]:
    model = DeepMLP(activation, depth, width, dropout)
    variables = model.init(jax.random.key(0), x, jax.random.key(1))
    _, stats = jax.jit(lambda v: model.apply(v, x, jax.random.key(2),
                                             mutable=[diagnostics.COLLECTION]))(variables)
    layers = diagnostics.summarize(stats)["activations"]
    return [(float(s["mean"]), float(s["std"]) ** 2) for s in layers.values()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--depth", type=int, default=64)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.05, help="alpha dropout rate (SELU)")
    p.add_argument("--quick", action="store_true", help="32 layers of width 128")
    args = p.parse_args(argv)
    depth, width = (32, 128) if args.quick else (args.depth, args.width)

    X, _, _, _ = load_dataset("digits")
    x = jnp.asarray(X[:512])
    selu = layer_stats("selu", depth, width, args.dropout, x)
    relu = layer_stats("relu", depth, width, 0.0, x)
    print(f"{depth} layers of width {width}, LeCun-normal init, input: 512 standardized digits")
    print(f"{'layer':>5}   {'SELU+alpha dropout mean':>23} {'var':>7}   {'ReLU mean':>10} "
          f"{'var':>9}")
    step = max(1, depth // 16)
    for i in sorted({*range(0, depth, step), depth - 1}):
        (sm, sv), (rm, rv) = selu[i], relu[i]
        print(f"{i + 1:>5}   {sm:>23.3f} {sv:>7.3f}   {rm:>10.3g} {rv:>9.3g}")
    worst_mean = max(abs(m) for m, _ in selu)
    worst_var = max(abs(math.log(v)) for _, v in selu)
    print(f"\nSELU: |mean| <= {worst_mean:.3f} and variance within "
          f"[{math.exp(-worst_var):.3f}, {math.exp(worst_var):.3f}] at every layer.")
    print(f"ReLU: variance fell from {relu[0][1]:.3g} to {relu[-1][1]:.3g} "
          f"({relu[0][1] / relu[-1][1]:.3g}x) over {depth} layers.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
