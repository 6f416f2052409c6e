"""The jaxacts command line, run in-process through jaxacts.cli.main."""

from __future__ import annotations

import numpy as np
import pytest

from jaxacts.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_and_filters(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "relu" in out and "softmax" in out
    code, out, _ = run(capsys, "list", "--family", "rectifier", "--smooth")
    rows = [ln.split()[0] for ln in out.splitlines()[2:]]
    assert code == 0 and "relu" not in rows and "elu" not in rows
    code, out, _ = run(capsys, "list", "--learnable", "--markdown")
    assert code == 0 and out.startswith("| name") and "leaky_relu" in out and "| relu |" not in out


def test_show(capsys):
    code, out, _ = run(capsys, "show", "relu")
    assert code == 0
    for part in ("formula:", "derivative:", "kink:", "range:", "gain:        1.414214",
                 "torch gain:", "paper:", "jax.nn:", "torch:", "keras:"):
        assert part in out
    code, out, _ = run(capsys, "show", "tanh")
    assert "1.592537" in out and "5/3" in out


def test_plot_writes_png(capsys, tmp_path):
    out = tmp_path / "g.png"
    code, text, _ = run(capsys, "plot", "relu", "elu", "--out", str(out), "--xlim=-3,3")
    assert code == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_check_builtin_and_user_function(capsys, tmp_path, monkeypatch):
    code, out, _ = run(capsys, "check", "relu", "-q", "--dtypes", "float32")
    assert code == 0 and "all checks passed" in out
    (tmp_path / "myact.py").write_text(
        "import jax, jax.numpy as jnp\n"
        "s = jax.nn.sigmoid\n"
        "def f(x):\n    return s(x)\n"
        "def good(x):\n    return s(x) * s(-x)\n"
        "def second(x):\n    return -s(x) * s(-x) * jnp.tanh(x / 2)\n"
        "def bad(x):\n    return s(x)\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "myact:f", "--derivative", "myact:good",
                       "--second-derivative", "myact:second", "--dtypes", "float32")
    assert code == 0, out
    code, out, _ = run(capsys, "check", "myact.py:f", "--derivative", "myact.py:bad", "-q",
                       "--dtypes", "float32")
    assert code == 1
    assert "FAIL closed-form derivative vs float64 finite differences" in out and "at x=" in out


@pytest.mark.parametrize("argv,message", [
    (("show", "reluu"), "Did you mean: relu"),
    (("list", "--family", "nope"), "unknown family 'nope'"),
    (("plot", "gelux", "--out", "x.png"), "Did you mean"),
    (("plot", "relu", "--out", "/no/such/dir/x.png"), "does not exist"),
    (("plot", "softmax", "--out", "x.png"), "elementwise"),
    (("check", "nosuchmodule_xyz:f"), "cannot import nosuchmodule_xyz"),
    (("check", "relu", "--param", "alpha=1"), "no parameter alpha"),
    (("compare", "--activations", "relu,gelux"), "unknown activation 'gelux'"),
    (("compare", "--dataset", "missing.csv"), "not found"),
    (("compare", "--dataset", "data.txt"), "unknown dataset"),
    (("compare", "--hidden", "8,x"), "--hidden"),
])
def test_bad_input_exits_2_with_message(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_malformed_csv_and_npz(capsys, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("a,b,label\n1,2,x\n3,oops,y\n4,5,x\n")
    code, _, err = run(capsys, "compare", "--dataset", str(csv), "--epochs", "1")
    assert code == 2 and "non-numeric" in err and "line 3" in err
    npz = tmp_path / "bad.npz"
    np.savez(npz, features=np.ones((4, 2)))
    code, _, err = run(capsys, "compare", "--dataset", str(npz), "--epochs", "1")
    assert code == 2 and "'X' and 'y'" in err


def test_argparse_errors_return_2(capsys):
    assert main(["plot", "relu"]) == 2  # --out missing
    assert "--out" in capsys.readouterr().err


def test_compare_tiny_budget(capsys, tmp_path):
    out = tmp_path / "curves.png"
    code, text, err = run(capsys, "compare", "--activations", "relu,tanh", "--epochs", "1",
                          "--hidden", "8", "--out", str(out))
    assert code == 0, err
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["activation", "val", "acc"]
    body = {ln.split()[0]: ln.split() for ln in lines[2:4]}
    assert set(body) == {"relu", "tanh"}
    for row in body.values():
        assert 0.0 <= float(row[1]) <= 1.0 and float(row[2]) > 0 and row[4].endswith("%")
    assert "epochs" in err  # the progress bar
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_compare_csv_dataset_is_deterministic(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out writes compare.png in the working directory
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    path = tmp_path / "d.csv"
    rows = [f"{a:.6f},{b:.6f},{c:.6f},{'yes' if t else 'no'}\n"
            for (a, b, c), t in zip(X, y, strict=True)]
    path.write_text("f1,f2,f3,label\n" + "".join(rows))
    tables = []
    for _ in range(2):
        code, text, err = run(capsys, "compare", "--dataset", str(path), "--activations",
                              "elu", "--epochs", "2", "--hidden", "4", "--seed", "3", "-q")
        assert code == 0, err
        row = text.splitlines()[2].split()
        tables.append((row[0], row[1], row[2]))
    assert tables[0] == tables[1]
    assert (tmp_path / "compare.png").read_bytes()[:4] == b"\x89PNG"  # curves saved by default
