"""The benchmark scripts still work: each covers every registry entry (``--list``) and a quick
run on a representative subset of entries gives a table row and an output record per entry.

These are not timing tests: the numbers a ``--quick`` run prints mean nothing."""

from __future__ import annotations

import importlib
import json
import pathlib
import subprocess
import sys

import pytest

import jaxacts as ja

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
SCRIPTS = ("throughput", "memory", "compile_time", "accuracy", "kernels")


def _module(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def representatives() -> list[str]:
    """One entry of each shape the scripts treat differently: elementwise with a parameter and
    a jax.nn counterpart, elementwise without one, an axis entry, a random entry."""
    picks: dict[str, str] = {}
    for n in ja.names():
        d = ja.declaration(n)
        if d.random:
            key = "random"
        elif d.kind == "axis":
            key = "axis"
        elif d.anchors.get("jax") and d.params:
            key = "jax.nn"
        elif not d.anchors.get("jax"):
            key = "no jax.nn"
        else:
            continue
        picks.setdefault(key, n)
    return list(picks.values())


@pytest.mark.parametrize("script", SCRIPTS)
def test_list_covers_the_registry(script, capsys):
    assert _module(script).main(["--list"]) == 0
    listed = capsys.readouterr().out.split()
    names = {label.split("[")[0] for label in listed}
    assert names == set(ja.names())


EXTRA = {
    "throughput": ["--dtypes", "float32,bfloat16", "--no-torch"],
    "memory": ["--models", "mlp,ffn", "--frameworks", "linen,nnx"],
    "compile_time": [],
    "accuracy": ["--dtypes", "float32"],
    "kernels": [],
}


@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_run_has_a_row_per_entry(script, tmp_path):
    names = representatives()
    # memory compiles four training steps per entry; two entries exercise its paths.
    if script == "memory":
        names = [n for n in names if ja.declaration(n).kind == "axis"][:1] + names[:1]
    out = tmp_path / "out.json"
    cmd = [sys.executable, str(BENCH / f"{script}.py"), "--quick", "--only", ",".join(names),
           "--out", str(out), *EXTRA[script]]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [ln for ln in res.stdout.splitlines() if ln.startswith("| ")]
    for n in names:
        assert any(ln.startswith(f"| {n} |") or ln.startswith(f"| {n}[") for ln in rows), (
            f"{script}: no table row for {n}\n{res.stdout[-3000:]}")
    assert "error" not in " ".join(r for r in rows if r.startswith(tuple(f"| {n}" for n in names)))
    records = json.loads(out.read_text())["results"]
    assert {r["name"].split("[")[0] for r in records if r.get("impl") != "reference"} == set(names)
    assert "| target | status | detail |" in res.stdout


def test_compile_time_step_mode_times_the_training_step_of_anchored_entries(tmp_path):
    """``--step``: a row (with a ratio) for each entry jax.nn has, none for an entry it lacks
    (prelu) or for a reduction, which is no MLP layer (logsumexp)."""
    out = tmp_path / "out.json"
    cmd = [sys.executable, str(BENCH / "compile_time.py"), "--quick", "--step", "--only",
           "relu,prelu,logsumexp", "--out", str(out)]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "training step" in res.stdout
    records = {r["name"]: r for r in json.loads(out.read_text())["results"]}
    assert set(records) == {"relu"}
    for r in records.values():
        assert r["ratio"] > 0 and r["jaxacts_compile_s"] > 0 and r["jax.nn_lower_s"] > 0
