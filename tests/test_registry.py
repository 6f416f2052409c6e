"""The registry API: lookup, aliases, metadata, errors, exports, generated docs."""

from __future__ import annotations

import doctest
import inspect
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxacts as ja
from jaxacts._src import catalogue

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_get_by_name_alias_and_callable():
    for n in ja.names():
        assert ja.get(n) is getattr(ja, n)
        assert ja.get(n).__name__ == n
    for a, n in ja.aliases().items():
        assert ja.get(a) is ja.get(n)
        assert getattr(ja, a) is ja.get(n)
    f = lambda x: x  # noqa: E731
    assert ja.get(f) is f


def test_get_normalizes_case_and_dashes():
    assert ja.get("Leaky-ReLU") is ja.leaky_relu


def test_unknown_name_lists_close_matches():
    with pytest.raises(KeyError, match="Did you mean: .*leaky_relu"):
        ja.get("leaky_rellu")
    with pytest.raises(TypeError, match="name must be a str"):
        ja.get(3)


def test_exports_follow_the_registry():
    for n in ja.names():
        assert n in ja.__all__
    for a in ja.aliases():
        assert a in ja.__all__
    with pytest.raises(AttributeError):
        _ = ja.not_an_activation


def test_info_metadata_is_complete():
    for n in ja.names():
        meta = ja.info(n)
        d = ja.declaration(n)
        assert meta["name"] == n
        assert meta["family"] and meta["summary"] and meta["formula"] and meta["derivative"]
        lo, hi = meta["output_range"]
        assert lo <= hi
        assert meta["bounded"] == (math.isfinite(lo) and math.isfinite(hi))
        assert isinstance(meta["monotonic"], bool)
        if d.kind == "elementwise" and d.smoothness == 0:
            assert d.kinks, f"{n}: a C^0 elementwise activation must declare its kinks"
        for p in d.params:
            assert p.name in meta["params"]


def test_every_activation_has_a_paper_or_ships_elsewhere():
    for n in ja.names():
        d = ja.declaration(n)
        assert d.reference is not None or any(d.anchors.values()), (
            f"{n}: an activation that no anchor library ships needs its paper (Reference)")


def test_signatures_match_jax_nn():
    """Drop-in: same parameter names, order and defaults as jax.nn where it has the function."""
    for n in ja.names():
        jn = ja.declaration(n).anchors.get("jax")
        if not jn or not hasattr(jax.nn, jn):
            continue
        ours = inspect.signature(ja.get(n)).parameters
        theirs = inspect.signature(getattr(jax.nn, jn)).parameters
        for (a, pa), (b, pb) in zip(ours.items(), theirs.items(), strict=False):
            assert a == b, f"{n}: argument {a!r} where jax.nn.{jn} has {b!r}"
            assert pa.default == pb.default or (pa.default is pb.default), (
                f"{n}: default of {a} is {pa.default!r}, jax.nn has {pb.default!r}")
        assert list(theirs)[: len(ours)] == list(ours)[: len(theirs)]
        assert len(ours) >= len(theirs), f"{n}: missing jax.nn arguments {list(theirs)}"


def test_docstrings_have_the_required_sections():
    for n in ja.names():
        doc = ja.get(n).__doc__
        d = ja.declaration(n)
        for needle in (".. math::", "Derivative:", "Output range", "Args:", "Returns:"):
            assert needle in doc, f"{n}: docstring lacks {needle!r}"
        if d.kinks:
            assert "Kinks" in doc
        assert d.example, f"{n}: no example"
        if d.reference is not None:
            assert "References:" in doc


@pytest.mark.parametrize("name", ja.names())
def test_docstring_examples_run(name):
    f = ja.get(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    # The examples show the default configuration (float32), whatever the suite enables.
    with jax.enable_x64(False):
        for t in finder.find(f, name, globs={"jnp": jnp, "jax": jax, "ja": ja, "np": np}):
            runner.run(t)
    assert runner.failures == 0, f"{name}: the docstring example's output is wrong"


def test_invalid_concrete_parameter_raises_naming_it():
    for n in ja.names(kind="elementwise"):
        d = ja.declaration(n)
        for p in d.params:
            if p.lower is None and p.upper is None:
                continue
            bad = (p.lower - 1.0) if p.lower is not None else (p.upper + 1.0)
            with pytest.raises(ValueError, match=p.name):
                ja.get(n)(jnp.ones(3), **{p.name: bad})


def test_bad_static_and_argument_errors():
    with pytest.raises(TypeError, match="relu"):
        ja.relu(jnp.ones(3), 1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="complex"):
        ja.relu(jnp.ones(3, jnp.complex64))


def test_register_rejects_duplicate_names():
    d = ja.declaration("relu")
    with pytest.raises(ValueError, match="already registered"):
        ja.register(d)


def test_readme_catalogue_is_generated_from_the_registry():
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- catalogue:start -->", "<!-- catalogue:end -->"
    assert start in readme and end in readme
    body = readme.split(start)[1].split(end)[0].strip()
    assert body == catalogue.markdown().strip(), (
        "README catalogue is stale: run `python -m jaxacts._src.catalogue --write-readme`")
