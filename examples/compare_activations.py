"""Train the same MLP on scikit-learn's handwritten digits with several activations.

The practitioner's first experiment: start with ReLU, swap in alternatives, compare the
validation curves.  Prints a table (validation accuracy and loss, time, dead units, gradient
health) and optionally saves the curves as a PNG (matplotlib).

    python examples/compare_activations.py                       # default set, 20 epochs
    python examples/compare_activations.py --activations relu,gelu,selu --plot curves.png
    python examples/compare_activations.py --quick               # a few seconds per activation
"""

from __future__ import annotations

import argparse
import sys

import jaxacts as ja
from jaxacts._src.train import load_dataset, train_mlp

DEFAULT = ("relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish", "tanh", "sigmoid")


def table(results: list[dict]) -> str:
    rows = [f"{'activation':<12} {'val acc':>8} {'val loss':>9} {'time s':>7} {'dead':>6}  "
            "gradient health"]
    for r in sorted(results, key=lambda r: -r["val_accuracy"]):
        rows.append(f"{r['activation']:<12} {r['val_accuracy']:>8.4f} {r['val_loss']:>9.4f} "
                    f"{r['seconds']:>7.1f} {r['dead_fraction']:>6.1%}  {r['verdict']}")
    return "\n".join(rows)


def plot_curves(results: list[dict], path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; no plot (pip install matplotlib)", file=sys.stderr)
        return False
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for r in results:
        ep = [h["epoch"] for h in r["history"]]
        ax_loss.plot(ep, [h["val_loss"] for h in r["history"]], label=r["activation"])
        ax_acc.plot(ep, [h["val_accuracy"] for h in r["history"]], label=r["activation"])
    ax_loss.set(xlabel="epoch", ylabel="validation loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy")
    ax_acc.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--activations", help="comma-separated registry names "
                   f"(default: {','.join(DEFAULT)})")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--hidden", default="64,64", help="hidden widths, e.g. 128,64")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset", default="digits", help="'digits' or a .csv/.npz file")
    p.add_argument("--plot", help="save the validation curves to this PNG file")
    p.add_argument("--quick", action="store_true", help="3 activations, 3 epochs")
    args = p.parse_args(argv)

    names = args.activations.split(",") if args.activations else list(DEFAULT)
    if args.quick and not args.activations:
        names = ["relu", "elu", "tanh"]
    epochs = 3 if args.quick else args.epochs
    for n in names:
        ja.get(n)  # fail early, with the registry's suggestions, on a misspelled name
    data = load_dataset(args.dataset)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    print(f"dataset {args.dataset}: {len(data[0])} train / {len(data[2])} validation samples, "
          f"MLP {hidden}, Adam lr={args.lr}, {epochs} epochs, seed {args.seed}")
    results = []
    for n in names:
        r = train_mlp(n, *data, hidden=hidden, epochs=epochs, lr=args.lr, seed=args.seed)
        print(f"  {n:<12} val acc {r['val_accuracy']:.4f}  ({r['seconds']:.1f} s)", flush=True)
        results.append(r)
    print()
    print(table(results))
    if args.plot and plot_curves(results, args.plot):
        print(f"\ncurves saved to {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
