"""Evolutionary search for activation functions, in the spirit of Ramachandran, Zoph & Le (2017).

Candidates are the paper's "core unit" ``binary(unary1(x), unary2(x))`` over a small grammar of
unary and binary operations (jaxacts functions among them).  Each candidate is scored by short
training runs of a small MLP on scikit-learn's digits: a genome is three integers and the
activation is built with ``lax.switch``, so one jit-compiled, ``vmap``-ped program trains the
whole population (and several seeds) at once.  Regularized evolution keeps the best half and
mutates it.  ReLU and Swish are scored alongside as baselines.

    python examples/activation_search.py            # population 24, 6 generations
    python examples/activation_search.py --quick    # a small search, seconds

Reference: P. Ramachandran, B. Zoph, Q. V. Le, "Searching for Activation Functions",
arXiv:1710.05941.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.scipy.special import erf

import jaxacts as ja
from jaxacts._src.train import load_dataset

# Under vmap, lax.switch evaluates every branch and selects; a zero cotangent times an infinite
# derivative would still be NaN, so every operation keeps finite derivatives (clamped inputs).
UNARY = (
    ("x", lambda x: x),
    ("-x", lambda x: -x),
    ("|x|", jnp.abs),
    ("x^2", lambda x: jnp.square(jnp.clip(x, -1e3, 1e3))),
    ("x^3", lambda x: jnp.clip(x, -30.0, 30.0) ** 3),
    ("exp(x)", lambda x: jnp.exp(jnp.clip(x, -30.0, 10.0))),
    ("sin(x)", jnp.sin),
    ("cos(x)", jnp.cos),
    ("tanh(x)", ja.tanh),
    ("sigmoid(x)", ja.sigmoid),
    ("relu(x)", ja.relu),
    ("elu(x)", ja.elu),
    ("softplus(x)", ja.softplus),
    ("erf(x)", erf),
    ("min(x,0)", lambda x: jnp.where(x < 0, x, 0.0)),
    ("0", jnp.zeros_like),
    ("1", jnp.ones_like),
)
BINARY = (
    ("{a} + {b}", jnp.add),
    ("{a} - {b}", jnp.subtract),
    ("{a} * {b}", jnp.multiply),
    ("max({a}, {b})", lambda a, b: jnp.where(a >= b, a, b)),
    ("min({a}, {b})", lambda a, b: jnp.where(a <= b, a, b)),
    ("{a} * sigmoid({b})", lambda a, b: a * ja.sigmoid(b)),
    ("{a} / (1 + |{b}|)", lambda a, b: a / (1.0 + jnp.abs(b))),
)
_U = {n: i for i, (n, _) in enumerate(UNARY)}
_B = {n: i for i, (n, _) in enumerate(BINARY)}
BASELINES = {"relu": (_U["relu(x)"], _U["0"], _B["{a} + {b}"]),
             "swish": (_U["x"], _U["x"], _B["{a} * sigmoid({b})"])}

Genome = tuple[int, int, int]


def formula(g: Genome) -> str:
    return BINARY[g[2]][0].format(a=UNARY[g[0]][0], b=UNARY[g[1]][0])


def activation(genome: jax.Array, x: jax.Array) -> jax.Array:
    unary = [f for _, f in UNARY]
    a = jax.lax.switch(genome[0], unary, x)
    b = jax.lax.switch(genome[1], unary, x)
    return jax.lax.switch(genome[2], [f for _, f in BINARY], a, b)


def make_evaluator(data, steps: int, hidden: int, layers: int, batch: int, lr: float):
    Xtr, ytr, Xva, yva = (jnp.asarray(a) for a in data)

    def init(key):
        sizes = [Xtr.shape[1], *[hidden] * layers, 10]
        keys = jax.random.split(key, len(sizes) - 1)
        return [(jax.random.normal(k, (m, n)) / np.sqrt(m), jnp.zeros(n))
                for k, m, n in zip(keys, sizes[:-1], sizes[1:], strict=True)]

    def forward(params, genome, x):
        for w, b in params[:-1]:
            x = activation(genome, x @ w + b)
        w, b = params[-1]
        return x @ w + b

    def loss(params, genome, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(forward(params, genome, x),
                                                               y).mean()

    opt = optax.adam(lr)

    def train_one(genome, key):
        k_init, k_data = jax.random.split(key)
        params = init(k_init)

        def step(carry, k):
            params, state = carry
            idx = jax.random.randint(k, (batch,), 0, Xtr.shape[0])
            g = jax.grad(loss)(params, genome, Xtr[idx], ytr[idx])
            updates, state = opt.update(g, state)
            return (optax.apply_updates(params, updates), state), None

        (params, _), _ = jax.lax.scan(step, (params, opt.init(params)),
                                      jax.random.split(k_data, steps))
        acc = jnp.mean(jnp.argmax(forward(params, genome, Xva), -1) == yva)
        return jnp.where(jnp.isfinite(acc), acc, 0.0)

    # genomes (P, 3) x seeds (S,) -> accuracy (P,), averaged over the seeds
    @jax.jit
    def evaluate(genomes, keys):
        per_seed = jax.vmap(jax.vmap(train_one, (None, 0)), (0, None))(genomes, keys)
        return per_seed.mean(axis=1)

    return evaluate


def mutate(g: Genome, rng: np.random.Generator) -> Genome:
    child = list(g)
    slot = rng.integers(3)
    child[slot] = int(rng.integers(len(BINARY) if slot == 2 else len(UNARY)))
    return tuple(child)  # type: ignore[return-value]


def random_genome(rng: np.random.Generator) -> Genome:
    return (int(rng.integers(len(UNARY))), int(rng.integers(len(UNARY))),
            int(rng.integers(len(BINARY))))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--population", type=int, default=24)
    p.add_argument("--generations", type=int, default=6)
    p.add_argument("--steps", type=int, default=300, help="training steps per candidate")
    p.add_argument("--seeds", type=int, default=2, help="training runs per candidate")
    p.add_argument("--layers", type=int, default=2, help="hidden layers of width 32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="population 8, 2 generations, 60 steps, 1 hidden layer")
    args = p.parse_args(argv)
    if args.quick:
        args.population, args.generations, args.steps, args.seeds, args.layers = 8, 2, 60, 1, 1
    P = args.population

    data = load_dataset("digits")
    evaluate = make_evaluator(data, args.steps, hidden=32, layers=args.layers, batch=128,
                              lr=3e-3)
    keys = jax.random.split(jax.random.key(args.seed), args.seeds)
    rng = np.random.default_rng(args.seed)
    scores: dict[Genome, float] = {}

    def score(genomes: list[Genome]) -> None:
        todo = list(dict.fromkeys(g for g in genomes if g not in scores))
        for i in range(0, len(todo), P):  # fixed batch shape: one compilation
            chunk = todo[i:i + P]
            padded = chunk + [chunk[0]] * (P - len(chunk))
            acc = np.asarray(evaluate(jnp.asarray(padded, jnp.int32), keys))
            scores.update(zip(chunk, acc[: len(chunk)].tolist(), strict=True))

    print(f"grammar: {len(UNARY)} unary x {len(UNARY)} unary x {len(BINARY)} binary = "
          f"{len(UNARY) ** 2 * len(BINARY)} candidates; population {P}, "
          f"{args.generations} generations, {args.steps} steps x {args.seeds} seed(s) each")
    t0 = time.perf_counter()
    population = [random_genome(rng) for _ in range(P)]
    score([*population, *BASELINES.values()])
    for gen in range(1, args.generations + 1):
        population.sort(key=lambda g: -scores[g])
        best = population[0]
        print(f"generation {gen}: best {scores[best]:.4f}  {formula(best)}   "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        if gen == args.generations:
            break
        parents = population[: max(1, P // 2)]
        children = [mutate(parents[rng.integers(len(parents))], rng)
                    for _ in range(P - len(parents))]
        score(children)
        population = parents + children
    ranked = sorted(scores, key=lambda g: -scores[g])
    print(f"\ntop candidates ({len(scores)} evaluated, validation accuracy):")
    for g in ranked[:5]:
        print(f"  {scores[g]:.4f}  {formula(g)}")
    print("baselines:")
    for name, g in BASELINES.items():
        print(f"  {scores[g]:.4f}  {name}: {formula(g)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
