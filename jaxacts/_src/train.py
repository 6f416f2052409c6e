"""The training engine behind ``jaxacts compare`` and the examples: datasets and an MLP run.

:func:`train_mlp` trains a Flax linen MLP whose hidden activations go through
:class:`jaxacts.diagnostics.Probe`, with optax Adam, one jit-compiled ``lax.scan`` per epoch,
and reports accuracy, loss, time, dead units, per-layer gradient norms and a gradient-health
verdict.  :func:`load_dataset` gives scikit-learn's bundled digits or a user's CSV/NPZ file.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn
from jax.typing import ArrayLike

from jaxacts import diagnostics

__all__ = ["MLP", "classifier_arguments", "fit_classifier", "load_dataset", "train_mlp"]

Dataset = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class MLP(nn.Module):
    """Dense layers with a probed activation after each hidden layer.

    Attributes:
      activation: a registry name or a function.
      hidden: the hidden widths.
      num_classes: the output width.
      kernel_init: the hidden layers' initializer (default LeCun normal, as in Flax).
    """

    activation: str | Callable[..., Any]
    hidden: Sequence[int]
    num_classes: int
    kernel_init: Callable[..., Any] = nn.initializers.lecun_normal()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for width in self.hidden:
            x = diagnostics.Probe(self.activation)(nn.Dense(width, kernel_init=self.kernel_init)(x))
        return nn.Dense(self.num_classes)(x)


def _split_standardize(X: np.ndarray, y: np.ndarray, val_fraction: float, seed: int) -> Dataset:
    perm = np.random.default_rng(seed).permutation(len(X))
    n_val = max(1, int(round(len(X) * val_fraction)))
    val, tr = perm[:n_val], perm[n_val:]
    mean = X[tr].mean(axis=0)
    std = X[tr].std(axis=0)
    std = np.where(std > 0, std, 1.0)  # constant columns (digits' blank border pixels)
    Xs = ((X - mean) / std).astype(np.float32)
    return Xs[tr], y[tr], Xs[val], y[val]


def _labels(raw: Sequence[Any], where: str) -> np.ndarray:
    """Map labels (ints, floats or strings) to 0..k-1 in sorted order."""
    classes, idx = np.unique(np.asarray(raw), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{where}: needs at least 2 classes in the label column, found "
                         f"{len(classes)}")
    return idx.astype(np.int32)


def _read_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{path}: the CSV file is empty")

    def numeric(row: Sequence[str]) -> bool:
        try:
            [float(c) for c in row[:-1]]
        except ValueError:
            return False
        return True

    start = 0 if numeric(rows[0]) else 1  # a header row
    body = rows[start:]
    width = len(rows[0])
    if width < 2:
        raise ValueError(f"{path}: a CSV dataset needs at least one feature column and a label "
                         "column (the last)")
    feats: list[list[float]] = []
    for lineno, row in enumerate(body, start=start + 1):
        if len(row) != width:
            raise ValueError(f"{path}: line {lineno} has {len(row)} columns, expected {width}")
        try:
            feats.append([float(c) for c in row[:-1]])
        except ValueError:
            raise ValueError(f"{path}: line {lineno} has a non-numeric feature value: "
                             f"{row[:-1]!r}") from None
    if len(feats) < 2:
        raise ValueError(f"{path}: needs at least 2 data rows, found {len(feats)}")
    labels = [r[-1].strip() for r in body]
    try:
        lab: Sequence[Any] = [float(v) for v in labels]
    except ValueError:
        lab = labels
    return np.asarray(feats, np.float64), _labels(lab, path)


def _read_npz(path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f"{path}: not a readable .npz file ({e})") from None
    missing = [k for k in ("X", "y") if k not in data.files]
    if missing:
        raise ValueError(f"{path}: the .npz file must hold arrays 'X' and 'y'; missing "
                         f"{missing}, found {data.files}")
    X, y = np.asarray(data["X"]), np.asarray(data["y"])
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"{path}: expected X of shape (n, features) and y of shape (n,), got "
                         f"{X.shape} and {y.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"{path}: X must be numeric, got dtype {X.dtype}")
    return X.astype(np.float64), _labels(y, path)


def load_dataset(spec: str, *, val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load a classification dataset, standardized and split into train and validation.

    Args:
      spec: ``"digits"`` (scikit-learn's bundled 8x8 handwritten digits, 1797 samples, no
        download), or a path to a ``.csv`` file (numeric feature columns, the label in the last
        column, an optional header row) or a ``.npz`` file (arrays ``X`` and ``y``).
      val_fraction: the fraction held out for validation.
      seed: the seed of the (fixed) split.

    Returns:
      ``(X_train, y_train, X_val, y_val)``: float32 features standardized with the training
      mean and std, int32 labels in ``0..k-1``.

    Raises:
      FileNotFoundError: the file does not exist.
      ValueError: an unknown spec or a malformed file (the message says what is wrong where).
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"load_dataset: val_fraction must be in (0, 1), got {val_fraction}")
    if spec == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        X, y = d.data.astype(np.float64), d.target.astype(np.int32)
    else:
        ext = os.path.splitext(spec)[1].lower()
        if ext not in (".csv", ".npz"):
            raise ValueError(f"load_dataset: unknown dataset {spec!r}; use 'digits' or a path "
                             "to a .csv or .npz file")
        if not os.path.isfile(spec):
            raise FileNotFoundError(f"load_dataset: dataset file not found: {spec}")
        X, y = _read_csv(spec) if ext == ".csv" else _read_npz(spec)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"load_dataset: {spec}: the features contain NaN or inf")
    return _split_standardize(X, y, val_fraction, seed)


def train_mlp(activation: str | Callable[..., Any], X_train: ArrayLike, y_train: ArrayLike,
              X_val: ArrayLike, y_val: ArrayLike, *, hidden: Sequence[int] = (64, 64),
              epochs: int = 20, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
              callback: Callable[[int, dict[str, float]], None] | None = None,
              kernel_init: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Train an MLP classifier with ``activation`` and report how it went.

    Deterministic for a given ``seed`` (initialization and shuffling).  Each epoch is one
    jit-compiled ``lax.scan`` over shuffled mini-batches (the last partial batch is dropped).

    Args:
      activation: a registry name (``"gelu"``) or any function of one array.
      X_train, y_train, X_val, y_val: features ``(n, d)`` and integer labels ``(n,)``.
      hidden: hidden layer widths.
      epochs, batch_size, lr, seed: the training budget, Adam's learning rate and the seed.
      callback: called as ``callback(epoch, metrics)`` after each epoch (1-based), with
        ``metrics`` the epoch's entry of ``history``.
      kernel_init: hidden layers' initializer (default LeCun normal).

    Returns:
      A dict with ``history`` (a list of per-epoch dicts ``epoch``, ``train_loss``,
      ``val_loss``, ``val_accuracy``, ``grad_norm``), the final ``val_accuracy`` and
      ``val_loss``, ``seconds`` (wall time including compilation), ``dead_fraction`` (mean
      over hidden layers, on the validation set), ``grad_norms`` (per layer, on the validation
      set), ``verdict`` and ``verdict_message`` (gradient health, see
      :func:`jaxacts.diagnostics.diagnose`, including trends over the epochs) and ``report``
      (the :class:`jaxacts.diagnostics.Report`).
    """
    import optax

    t0 = time.perf_counter()
    Xtr, ytr = jnp.asarray(X_train, jnp.float32), jnp.asarray(y_train, jnp.int32)
    Xva, yva = jnp.asarray(X_val, jnp.float32), jnp.asarray(y_val, jnp.int32)
    n = Xtr.shape[0]
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"train_mlp: epochs and batch_size must be >= 1, got {epochs}, "
                         f"{batch_size}")
    batch_size = min(batch_size, n)
    steps = n // batch_size
    num_classes = int(max(int(jnp.max(ytr)), int(jnp.max(yva)))) + 1
    model = MLP(activation, tuple(hidden), num_classes,
                **({"kernel_init": kernel_init} if kernel_init is not None else {}))
    init_key, shuffle_key = jax.random.split(jax.random.key(seed))
    params = model.init(init_key, Xtr[:1])["params"]
    opt = optax.adam(lr)
    opt_state = opt.init(params)

    def loss_fn(p: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return diagnostics.cross_entropy(model.apply({"params": p}, x), y)

    # The data are arguments, not closed-over constants, so large datasets are not baked into
    # the compiled program.
    @jax.jit
    def epoch_fn(p: Any, s: Any, key: jax.Array, X: jax.Array, y: jax.Array
                 ) -> tuple[Any, Any, jax.Array, jax.Array]:
        def step(carry: Any, idx: jax.Array) -> tuple[Any, tuple[jax.Array, jax.Array]]:
            p, s = carry
            loss, g = jax.value_and_grad(loss_fn)(p, X[idx], y[idx])
            updates, s = opt.update(g, s, p)
            return (optax.apply_updates(p, updates), s), (loss, optax.tree.norm(g))

        order = jax.random.permutation(key, n)[: steps * batch_size].reshape(steps, batch_size)
        (p, s), (losses, norms) = jax.lax.scan(step, (p, s), order)
        return p, s, jnp.mean(losses), jnp.mean(norms)

    @jax.jit
    def evaluate(p: Any, X: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
        logits = model.apply({"params": p}, X)
        return (diagnostics.cross_entropy(logits, y),
                jnp.mean((jnp.argmax(logits, -1) == y).astype(jnp.float32)))

    log = diagnostics.DiagnosticsLog()
    history: list[dict[str, float]] = []
    for epoch, key in enumerate(jax.random.split(shuffle_key, epochs), start=1):
        params, opt_state, train_loss, gnorm = epoch_fn(params, opt_state, key, Xtr, ytr)
        val_loss, val_acc = evaluate(params, Xva, yva)
        metrics = {"epoch": epoch, "train_loss": float(train_loss), "val_loss": float(val_loss),
                   "val_accuracy": float(val_acc), "grad_norm": float(gnorm)}
        history.append(metrics)
        log.record(epoch, {"activations": {}, "grad_norms": {"global": gnorm}}, loss=train_loss)
        if callback is not None:
            callback(epoch, metrics)
    final = diagnostics.diagnose(model, {"params": params}, (Xva, yva))
    trend = log.report()
    findings = tuple(dict.fromkeys([*trend.findings, *final.findings]))
    report = diagnostics.Report(final.layers, final.grad_norms, findings)
    return {
        "activation": activation if isinstance(activation, str)
        else getattr(activation, "__name__", repr(activation)),
        "history": history,
        "val_accuracy": history[-1]["val_accuracy"],
        "val_loss": history[-1]["val_loss"],
        "seconds": time.perf_counter() - t0,
        "dead_fraction": report.dead_fraction,
        "grad_norms": dict(report.grad_norms),
        "verdict": report.verdict,
        "verdict_message": report.message,
        "report": report,
        "diverged": not math.isfinite(history[-1]["train_loss"]),
    }


def classifier_arguments(doc: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of the classifier examples: ``--activation``, ``--learnable``,
    ``--epochs`` and ``--quick`` (5 epochs); ``epochs`` already accounts for ``--quick``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--activation", default="silu", help="any jaxacts.names() entry")
    parser.add_argument("--learnable", action="store_true",
                        help="learn the activation's parameters, one per hidden unit")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 epochs (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 5
    return args


def fit_classifier(train_step: Callable[[Any, jax.Array, jax.Array], tuple[Any, jax.Array]],
                   accuracy: Callable[[Any, jax.Array, jax.Array], jax.Array], state: Any,
                   data: Dataset, args: argparse.Namespace, *, batch: int = 128,
                   seed: int = 0) -> tuple[Any, float]:
    """Mini-batch epochs of ``state, loss = train_step(state, x, y)`` over shuffled data (the
    last partial batch dropped), progress every 10 epochs, and a closing line; returns the
    final state and validation accuracy ``accuracy(state, x_val, y_val)``."""
    x_train, y_train, x_val, y_val = data
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i:i + batch]
            state, loss = train_step(state, x_train[idx], y_train[idx])
        if epoch == args.epochs or epoch % 10 == 0:
            print(f"epoch {epoch:3d}  loss {float(loss):.4f}  "
                  f"val accuracy {float(accuracy(state, x_val, y_val)):.4f}")
    acc = float(accuracy(state, x_val, y_val))
    print(f"activation {args.activation}{' (learnable)' if args.learnable else ''}: "
          f"validation accuracy {acc:.4f} in {time.perf_counter() - start:.1f} s")
    return state, acc
