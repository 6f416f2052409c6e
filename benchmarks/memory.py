"""Training-step memory per activation: jaxacts against jax.nn and no activation.

For two models, each written with Flax linen and with Flax nnx (plain Dense/Linear layers and
the functional activations), the script jit-compiles one optax adamw training step and reads
XLA's ``compiled.memory_analysis().temp_size_in_bytes``: the scratch memory of the step besides
its arguments and outputs, which is where the residuals an activation's derivative rule keeps
show up.  The number is deterministic (no timing).

* ``mlp``: 8 hidden ``Dense(1024)`` layers, each followed by the activation, then
  ``Dense(10)``; batch 512 of 1024 features; softmax cross-entropy.
* ``ffn``: a gated (SwiGLU-style) transformer feed-forward block
  ``W_down(act(W_gate x) * (W_up x))``, 512 tokens, d_model 1024, d_ff 4096, no biases; mean
  squared error.

Parameters and optimizer state are donated (as in a real training loop).  Entries whose output
shape does not fit a model (glu halves the axis: fine in the MLP, not in the gated block;
logsumexp reduces it) are reported as n/a.  Identical lowered programs are compiled once.

Run from the repository root: ``python benchmarks/memory.py [--quick] [--only elu,relu]``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Callable
from typing import Any

import _common as C  # noqa: N812
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import nnx

Act = Callable[[jax.Array], Any] | None
MiB = 2 ** 20
MODELS = ("mlp", "ffn")
FRAMEWORKS = ("linen", "nnx")
# Issue 6 memory targets.
AT_MOST_NONE = ("sigmoid", "tanh", "elu", "celu", "selu", "leaky_relu", "softmax")
AT_MOST_RELU = ("mish", "softplus", "log_sigmoid", "silu")
AT_MOST_GELU_TANH = ("gelu",)
PARITY = ("relu", "relu6", "hard_tanh")


@dataclasses.dataclass(frozen=True)
class Sizes:
    batch: int = 512
    features: int = 1024
    width: int = 1024
    depth: int = 8
    classes: int = 10
    d_ff: int = 4096

    @classmethod
    def quick(cls) -> Sizes:
        return cls(batch=16, features=32, width=32, depth=2, classes=4, d_ff=64)


def _apply(act: Act, h: jax.Array) -> jax.Array:
    return h if act is None else act(h)


class LinenMLP(nn.Module):
    act: Act
    sizes: Sizes

    @nn.compact
    def __call__(self, x):
        for _ in range(self.sizes.depth):
            x = _apply(self.act, nn.Dense(self.sizes.width)(x))
        return nn.Dense(self.sizes.classes)(x)


class LinenFFN(nn.Module):
    act: Act
    sizes: Sizes

    @nn.compact
    def __call__(self, x):
        d_ff = self.sizes.d_ff
        gate = nn.Dense(d_ff, use_bias=False)(x)
        up = nn.Dense(d_ff, use_bias=False)(x)
        return nn.Dense(x.shape[-1], use_bias=False)(_gated(self.act, gate, up))


def _gated(act: Act, gate: jax.Array, up: jax.Array) -> jax.Array:
    g = _apply(act, gate)
    if g.shape != up.shape:
        raise NotApplicable(f"the activation maps {gate.shape} to {g.shape}")
    return g * up


class NotApplicable(Exception):
    """The activation's output shape does not fit the model."""


def _out_width(act: Act, batch: int, width: int) -> int:
    """The feature count after the activation (glu halves it); n/a unless it stays 2-D."""
    if act is None:
        return width
    s = jax.eval_shape(act, jax.ShapeDtypeStruct((batch, width), jnp.float32))
    if not hasattr(s, "shape") or len(s.shape) != 2 or s.shape[0] != batch:
        raise NotApplicable(f"the activation maps {(batch, width)} to "
                            f"{getattr(s, 'shape', type(s).__name__)}")
    return s.shape[-1]


class NnxMLP(nnx.Module):
    def __init__(self, act: Act, sizes: Sizes, rngs: nnx.Rngs):
        self.act = act
        w_out = _out_width(act, sizes.batch, sizes.width)
        dims = [sizes.features] + [w_out] * (sizes.depth - 1)
        self.hidden = nnx.List([nnx.Linear(d, sizes.width, rngs=rngs) for d in dims])
        self.head = nnx.Linear(w_out, sizes.classes, rngs=rngs)

    def __call__(self, x):
        for layer in self.hidden:
            x = _apply(self.act, layer(x))
        return self.head(x)


class NnxFFN(nnx.Module):
    def __init__(self, act: Act, sizes: Sizes, rngs: nnx.Rngs):
        self.act = act
        d, f = sizes.features, sizes.d_ff
        self.gate = nnx.Linear(d, f, use_bias=False, rngs=rngs)
        self.up = nnx.Linear(d, f, use_bias=False, rngs=rngs)
        self.down = nnx.Linear(f, d, use_bias=False, rngs=rngs)

    def __call__(self, x):
        return self.down(_gated(self.act, self.gate(x), self.up(x)))


def _loss(model: str, out: jax.Array, y: jax.Array) -> jax.Array:
    if model == "mlp":
        return optax.softmax_cross_entropy_with_integer_labels(out, y).mean()
    return jnp.mean((out - y) ** 2)


def _batch(model: str, sizes: Sizes) -> tuple[jax.ShapeDtypeStruct, jax.ShapeDtypeStruct]:
    x = jax.ShapeDtypeStruct((sizes.batch, sizes.features), jnp.float32)
    if model == "mlp":
        return x, jax.ShapeDtypeStruct((sizes.batch,), jnp.int32)
    return x, x


def lower_step(model: str, framework: str, act: Act, sizes: Sizes) -> Any:
    """The lowered adamw training step (abstract shapes only; nothing is allocated)."""
    tx = optax.adamw(1e-3)
    x, y = _batch(model, sizes)
    if model == "mlp":
        _out_width(act, sizes.batch, sizes.width)
    if framework == "linen":
        net = (LinenMLP if model == "mlp" else LinenFFN)(act, sizes)
        params = jax.eval_shape(net.init, jax.random.key(0), x)

        def loss_fn(p, xb, yb):
            return _loss(model, net.apply(p, xb), yb)
    else:
        cls = NnxMLP if model == "mlp" else NnxFFN
        graphdef, params = nnx.split(nnx.eval_shape(lambda: cls(act, sizes, nnx.Rngs(0))))

        def loss_fn(p, xb, yb):
            return _loss(model, nnx.merge(graphdef, p)(xb), yb)

    def step(p, opt_state, xb, yb):
        loss, grads = jax.value_and_grad(loss_fn)(p, xb, yb)
        updates, opt_state = tx.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), opt_state, loss

    opt_state = jax.eval_shape(tx.init, params)
    return jax.jit(step, donate_argnums=(0, 1)).lower(params, opt_state, x, y)


_COMPILED: dict[str, float] = {}


def temp_mib(model: str, framework: str, act: Act, sizes: Sizes) -> float:
    """XLA's temp size of the compiled step in MiB; identical programs compile once."""
    lowered = lower_step(model, framework, act, sizes)
    key = hashlib.sha1(lowered.as_text().encode()).hexdigest()
    if key not in _COMPILED:
        mem = lowered.compile().memory_analysis()
        _COMPILED[key] = mem.temp_size_in_bytes / MiB
    return _COMPILED[key]


def measure(act: Act, sizes: Sizes, configs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model, fw in configs:
        try:
            out[f"{model}/{fw}"] = temp_mib(model, fw, act, sizes)
        except NotApplicable as e:
            out[f"{model}/{fw}"] = f"n/a: {e}"
        except Exception as e:  # noqa: BLE001 - one failing entry must not stop the run
            out[f"{model}/{fw}"] = f"error: {type(e).__name__}: {e}"[:120]
    return out


def parser():
    p = C.base_parser(__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS), help="mlp, ffn")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="linen, nnx")
    return p


def run(args) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[tuple[str, str]]]:
    sizes = Sizes.quick() if args.quick else Sizes()
    configs = [(m, f) for m in args.models.split(",") for f in args.frameworks.split(",")]
    import jax.nn as jnn

    refs = {"none": measure(None, sizes, configs),
            "jax.nn relu": measure(jnn.relu, sizes, configs),
            "jax.nn gelu (tanh)": measure(lambda v: jnn.gelu(v, approximate=True), sizes,
                                          configs)}
    records = []
    for case in C.cases(C.parse_names(args.only)):
        fn = case.jax_nn()
        rec = {"name": case.label,
               "jaxacts": measure(case.jaxacts(), sizes, configs),
               "jax.nn": measure(fn, sizes, configs) if fn is not None else {}}
        records.append(rec)
        print(f"  {case.label}", file=sys.stderr, flush=True)
    return records, refs, configs


def _num(v: Any) -> float | None:
    return v if isinstance(v, float) else None


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return "error" if isinstance(v, str) and v.startswith("error") else "n/a"


def _reasons(records) -> list[str]:
    """One line per activation whose cells say n/a or error (the reason, once)."""
    out = []
    for r in records:
        why = dict.fromkeys(v for impl in ("jaxacts", "jax.nn") for v in r[impl].values()
                            if isinstance(v, str))
        out += [f"- {r['name']}: {w}" for w in why]
    return out


def table(records, refs, configs) -> str:
    headers = ["activation"]
    for m, f in configs:
        headers += [f"{m} {f}", "jax.nn"]
    rows = []
    for label, r in refs.items():
        row = [f"*{label}*"]
        for m, f in configs:
            row += [_cell(r.get(f"{m}/{f}")), ""]
        rows.append(row)
    for r in records:
        row = [r["name"]]
        for m, f in configs:
            k = f"{m}/{f}"
            row += [_cell(r["jaxacts"].get(k)), _cell(r["jax.nn"].get(k))]
        rows.append(row)
    notes = _reasons(records)
    return C.markdown_table(headers, rows) + ("\n\n" + "\n".join(notes) if notes else "")


def targets(records, refs, configs) -> list[tuple[str, str, str]]:
    """(target, status, detail) for each issue 6 memory target, over every model/framework."""
    out = []

    def check(title: str, names: tuple[str, ...] | None, bound: Callable[[dict, str], Any],
              op: str = "<=") -> None:
        bad, n, missing = [], 0, set(names or ())
        for r in records:
            if names is not None and r["name"] not in names:
                continue
            missing.discard(r["name"])
            for m, f in configs:
                k = f"{m}/{f}"
                got, lim = _num(r["jaxacts"].get(k)), _num(bound(r, k))
                if got is None or lim is None:
                    continue
                n += 1
                ok = got <= lim + 1e-9 if op == "<=" else abs(got - lim) < 1e-9
                if not ok:
                    bad.append(f"{r['name']} {k} {got:.3g} vs {lim:.3g} "
                               f"({(got - lim) * 1024:+.0f} KiB)")
        status = "not measured" if not n else ("met" if not bad else "not met")
        detail = f"{n - len(bad)}/{n} met" + (f"; {'; '.join(bad[:12])}" if bad else "")
        if missing:
            detail += f"; not in this run: {', '.join(sorted(missing))}"
        out.append((title, status, detail))

    check("never more than jax.nn's step", None, lambda r, k: r["jax.nn"].get(k))
    check("sigmoid, tanh, elu, celu, selu, leaky_relu, softmax: <= no activation",
          AT_MOST_NONE, lambda r, k: refs["none"].get(k))
    check("mish, softplus, log_sigmoid, silu: <= jax.nn relu", AT_MOST_RELU,
          lambda r, k: refs["jax.nn relu"].get(k))
    check("gelu: <= jax.nn tanh-gelu", AT_MOST_GELU_TANH,
          lambda r, k: refs["jax.nn gelu (tanh)"].get(k))
    check("relu, relu6, hard_tanh: parity with jax.nn", PARITY,
          lambda r, k: r["jax.nn"].get(k), op="==")
    return out


def main(argv: list[str] | None = None) -> int:
    got = C.start(parser(), argv, run)
    if got is None:
        return 0
    args, (records, refs, configs), secs = got
    sizes = Sizes.quick() if args.quick else Sizes()
    print(f"XLA temp size of one jit-compiled adamw training step, MiB ({sizes}); "
          f"run time {secs:.0f} s"
          + ("; --quick: tiny models" if args.quick else ""))
    print()
    print(table(records, refs, configs))
    print("(jax.nn: n/a where jax.nn has no such function.)")
    print()
    print("**Issue 6 memory targets**")
    print()
    print(C.markdown_table(["target", "status", "detail"], targets(records, refs, configs)))
    flat = [{"name": r["name"], "impl": impl, "config": k, "temp_mib": v}
            for r in records for impl in ("jaxacts", "jax.nn") for k, v in r[impl].items()]
    flat += [{"name": n, "impl": "reference", "config": k, "temp_mib": v}
             for n, r in refs.items() for k, v in r.items()]
    C.write_records(args.out, flat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
