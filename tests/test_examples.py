"""Every example runs with ``--quick`` and prints its results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (script, extra arguments, what the output must show)
CASES = {
    "compare_activations.py": (["--plot", "{tmp}/curves.png"],
                               ["activation", "val acc", "relu", "tanh", "curves saved"]),
    "selu_deep.py": ([], ["SELU: |mean| <=", "ReLU: variance fell"]),
    "activation_search.py": ([], ["generation 2", "top candidates", "swish: x * sigmoid(x)"]),
    "sharded_training.py": ([], ["8 devices", "P('data', 'model')", "data parallel"]),
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_quick(script, tmp_path):
    extra, expected = CASES[script]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--quick",
         *(a.format(tmp=tmp_path) for a in extra)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in expected:
        assert text in proc.stdout, proc.stdout
    if script == "compare_activations.py":
        png = tmp_path / "curves.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
