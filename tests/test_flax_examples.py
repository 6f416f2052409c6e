"""The Flax classifier examples train (quick mode) with a string-chosen, learnable activation."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(script: str):
    name = f"jaxacts_example_{script.removesuffix('.py')}"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / script)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses (linen modules) look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("script", ["linen_classifier.py", "nnx_classifier.py"])
def test_classifier_example_trains(script, capsys):
    acc = _load(script).main(["--activation", "elu", "--learnable", "--quick"])
    out = capsys.readouterr().out
    assert "activation elu (learnable): validation accuracy" in out
    assert acc > 0.85, out  # 10 classes: chance is 0.1


@pytest.mark.parametrize("script", ["linen_classifier.py", "nnx_classifier.py"])
def test_classifier_example_rejects_unknown_activation(script):
    with pytest.raises(KeyError, match="Did you mean"):
        _load(script).main(["--activation", "eluu", "--quick"])
