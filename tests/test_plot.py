"""jaxacts.plot: the gallery and the training curves write real image files."""

from __future__ import annotations

import sys

import pytest

from jaxacts import plot


def test_gallery_png_and_svg(tmp_path):
    png = tmp_path / "g.png"
    fig = plot.gallery(["relu", "elu", "tanh", "softplus"], str(png), ncols=2)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    assert [ax.get_title() for ax in visible] == ["relu", "elu", "tanh", "softplus"]
    # f, f', f'' per panel
    assert all(len(ax.get_lines()) >= 3 for ax in visible)
    svg = tmp_path / "g.svg"
    plot.gallery(["elu"], str(svg), params={"elu": {"alpha": 2.0}}, derivatives=1)
    assert svg.read_text().lstrip().startswith("<?xml")


def test_gallery_curves_are_the_derivatives():
    import numpy as np

    fig = plot.gallery(["relu"], xlim=(-2, 2), points=5)
    f, d1, d2 = (line.get_ydata() for line in fig.axes[0].get_lines()[:3])
    np.testing.assert_array_equal(f, [0, 0, 0, 1, 2])
    np.testing.assert_array_equal(d1, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(d2, [0, 0, 0, 0, 0])


def test_training_curves(tmp_path):
    results = [{"activation": a, "history": [
        {"epoch": e, "val_accuracy": 0.5 + 0.1 * e * k, "val_loss": 1.0 / (e * k),
         "train_loss": 1.2 / (e * k)} for e in (1, 2, 3)]} for a, k in (("relu", 1), ("gelu", 2))]
    out = tmp_path / "c.png"
    fig = plot.training_curves(results, str(out))
    assert out.stat().st_size > 5000
    assert len(fig.axes[0].get_lines()) == 2 and len(fig.axes[1].get_lines()) == 4


def test_errors(monkeypatch):
    with pytest.raises(ValueError, match="elementwise"):
        plot.gallery(["softmax"])
    with pytest.raises(KeyError, match="Did you mean"):
        plot.gallery(["reluu"])
    with pytest.raises(ValueError, match="no results"):
        plot.training_curves([])
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"jaxacts\[plots\]"):
        plot.gallery(["relu"])
