"""The training engine behind ``jaxacts compare``: datasets and a tiny-budget MLP run."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from jaxacts._src.train import load_dataset, train_mlp


@functools.cache
def _digits():
    return load_dataset("digits")


@functools.cache
def _small():
    Xtr, ytr, Xva, yva = _digits()
    return Xtr[:384], ytr[:384], Xva[:128], yva[:128]


@functools.cache
def _run(activation: str, seed: int):
    seen = []
    res = train_mlp(activation, *_small(), hidden=(16,), epochs=4, batch_size=64, lr=1e-2,
                    seed=seed, callback=lambda e, m: seen.append((e, dict(m))))
    return res, seen


def test_digits_split_and_standardization():
    Xtr, ytr, Xva, yva = _digits()
    assert Xtr.shape == (1438, 64) and Xva.shape == (359, 64)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int32
    assert set(np.unique(ytr)) == set(range(10))
    np.testing.assert_allclose(Xtr.mean(axis=0), 0, atol=1e-5)
    std = Xtr.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-4) | (std == 0))  # constant border pixels stay 0
    again = load_dataset("digits")
    for a, b in zip(_digits(), again, strict=True):
        np.testing.assert_array_equal(a, b)  # a fixed split


def test_train_mlp_result_and_loss_goes_down():
    res, seen = _run("relu", 0)
    hist = res["history"]
    assert [h["epoch"] for h in hist] == [1, 2, 3, 4]
    assert hist[-1]["train_loss"] < 0.7 * hist[0]["train_loss"]
    assert hist[-1]["val_loss"] < hist[0]["val_loss"]
    assert res["val_accuracy"] == hist[-1]["val_accuracy"] > 0.5  # 10 classes: chance is 0.1
    assert 0.0 <= res["dead_fraction"] <= 1.0 and res["seconds"] > 0
    assert list(res["grad_norms"]) == ["Dense_0", "Dense_1"]
    assert all(np.isfinite(v) and v > 0 for v in res["grad_norms"].values())
    assert res["verdict"] == "healthy" and res["verdict_message"].startswith("healthy")
    assert seen == [(h["epoch"], h) for h in hist]  # the callback saw every epoch


def test_train_mlp_deterministic_for_a_seed():
    a, _ = _run("relu", 0)
    b = train_mlp("relu", *_small(), hidden=(16,), epochs=4, batch_size=64, lr=1e-2, seed=0)
    assert a["history"] == b["history"] and a["grad_norms"] == b["grad_norms"]
    c, _ = _run("relu", 1)
    assert c["history"] != a["history"]


def test_train_mlp_accepts_a_function():
    import jax

    res = train_mlp(jax.nn.tanh, *_small(), hidden=(8,), epochs=1, batch_size=128)
    assert res["activation"] == "tanh" and len(res["history"]) == 1


def test_train_mlp_unknown_activation():
    with pytest.raises(KeyError, match="unknown activation"):
        train_mlp("no_such_act", *_small(), epochs=1)


def test_train_mlp_bad_budget():
    with pytest.raises(ValueError, match="epochs"):
        train_mlp("relu", *_small(), epochs=0)


# --- user files ---------------------------------------------------------------------------

def _blobs(n=60):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 4)) + y[:, None] * 3.0
    return X, y


def test_csv_with_header_and_string_labels(tmp_path):
    X, y = _blobs()
    path = tmp_path / "d.csv"
    names = np.array(["cat", "dog", "emu"])[y]
    lines = ["a,b,c,d,label"] + [",".join(f"{v:.6f}" for v in row) + f",{lab}"
                                  for row, lab in zip(X, names, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    Xtr, ytr, Xva, yva = load_dataset(str(path))
    assert Xtr.shape == (48, 4) and Xva.shape == (12, 4)
    assert set(np.unique(np.concatenate([ytr, yva]))) == {0, 1, 2}
    np.testing.assert_allclose(Xtr.mean(axis=0), 0, atol=1e-5)


def test_npz(tmp_path):
    X, y = _blobs()
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y + 7)  # labels are remapped to 0..k-1
    Xtr, ytr, Xva, yva = load_dataset(str(path))
    assert len(Xtr) + len(Xva) == 60
    assert set(np.unique(np.concatenate([ytr, yva]))) == {0, 1, 2}


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_dataset(str(tmp_path / "nope.csv"))


@pytest.mark.parametrize("text, match", [
    ("1,2,0\n3,4\n5,6,1\n", "line 2 has 2 columns, expected 3"),
    ("1,2,0\n3,x,1\n5,6,1\n", "line 2 has a non-numeric feature"),
    ("", "empty"),
    ("1\n2\n", "at least one feature column"),
    ("1,2,0\n3,4,0\n", "at least 2 classes"),
    ("1,nan,0\n3,4,1\n", "NaN or inf"),
])
def test_malformed_csv(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_dataset(str(path))


def test_npz_missing_arrays(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, features=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="must hold arrays 'X' and 'y'"):
        load_dataset(str(path))


def test_unknown_spec():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        load_dataset("mnist")
