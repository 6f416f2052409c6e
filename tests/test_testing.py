"""jaxacts.testing.check_activation: passes on correct activations, and fails, in plain
words, on wrong or inaccurate ones."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import jaxacts as ja
from jaxacts.testing import ActivationCheckError, check_activation

sig = jax.nn.sigmoid


def _failed(report) -> dict[str, str]:
    return {c.name: c.detail for c in report.failures}


@pytest.mark.parametrize("name,params", [("relu", {}), ("elu", {"alpha": 2.0}),
                                         ("leaky_relu", {"negative_slope": 0.2})])
def test_builtins_pass(name, params):
    report = check_activation(name, params=params)
    assert report.passed, str(report)
    report.raise_if_failed()
    names = " ".join(c.name for c in report.checks)
    for part in ("derivative (float32)", "second derivative (bfloat16)", "finite differences",
                 "check_grads", "kinks", "dtype", "extreme", "NaN", "jit"):
        assert part in names


def test_correct_user_activation_passes():
    report = check_activation(sig, lambda x: sig(x) * sig(-x),
                              lambda x: -sig(x) * sig(-x) * jnp.tanh(x / 2), name="logistic")
    assert report.passed, str(report)
    assert len(report.checks) >= 19


def test_wrong_derivative_fails_in_plain_words():
    # silu's derivative is not sigmoid
    report = check_activation(lambda x: x * sig(x), derivative=sig, name="my_silu")
    failed = _failed(report)
    assert not report.passed
    detail = failed["closed-form derivative vs float64 finite differences"]
    assert "derivative differs from finite differences of f" in detail and "at x=" in detail
    assert any("check_grads" in n for n in failed)
    with pytest.raises(ActivationCheckError, match="FAIL closed-form derivative"):
        report.raise_if_failed()


def test_inaccurate_closed_form_fails_with_ulp_error():
    # y (1 - y) is exact in float64 and 0 in float32 from x ~ 17 on (true value 4e-8 there)
    report = check_activation(sig, lambda x: sig(x) * (1 - sig(x)), dtypes=("float32",))
    detail = _failed(report)["derivative (float32)"]
    assert "ULP" in detail and "(got 0, expected" in detail
    # the finite-difference check agrees with the formula: it is right, only inaccurate
    assert "closed-form derivative vs float64 finite differences" not in _failed(report)


def test_wrong_second_derivative_fails():
    report = check_activation(sig, lambda x: sig(x) * sig(-x),
                              lambda x: sig(x) * sig(-x) * jnp.tanh(x / 2), dtypes=("float32",))
    assert "second derivative vs float64 finite differences of the derivative" in _failed(report)


def test_wrong_kink_value_and_lost_nan():
    report = check_activation(lambda x: jnp.where(x > 0, x, 0.0),
                              lambda x: jnp.where(x > 0, 1.0, 0.0), kinks={0.0: 0.5},
                              dtypes=("float32",))
    failed = _failed(report)
    assert "f'(0) is 0 in float32, declared 0.5" in failed["derivative at the kinks"]
    assert "f(nan) = 0" in failed["NaN in, NaN out (value and gradient)"]


def test_nan_at_infinity_reported():
    report = check_activation(lambda x: x * sig(x),
                              lambda x: sig(x) * (1 + x * sig(-x)), dtypes=("float32",))
    detail = _failed(report)["no NaN/inf at extreme inputs (+-1e30, +-max, +-tiny, +-inf)"]
    assert "value at x=-inf (float32) is nan" in detail


def test_autodiff_only_function():
    report = check_activation(jnp.tanh, dtypes=("float32",))
    assert report.activation.endswith("(autodiff)")
    assert all(c.status in ("pass", "fail") for c in report.checks)


def _relu_sq(name: str, tangent) -> ja.Activation:
    return ja.Activation(
        name=name, family="custom", summary="Squared ReLU.", formula=r"\max(x, 0)^2",
        derivative=r"2 \max(x, 0)", fn=lambda x: jnp.square(jnp.maximum(x, 0)),
        tangent=tangent, kinks=(ja.Kink(0.0, 0.0, "f' is continuous there"),),
        output_range=(0.0, float("inf")), monotonic=True, smoothness=1)


@pytest.fixture
def scratch_registry():
    """The registry as it was before the test: a name registered here must not reach the tests
    that check every registered entry (the exports, papers and docstrings) when the same
    worker runs them later."""
    from jaxacts._src import registry

    saved = dict(registry._REGISTRY), dict(registry._ALIASES)
    yield
    for live, before in zip((registry._REGISTRY, registry._ALIASES), saved, strict=True):
        live.clear()
        live.update(before)


def test_registered_user_activation_round_trip(scratch_registry):
    decl = _relu_sq("test_relu_sq", lambda t, x, y: t * jnp.where(x > 0, 2 * x, 0))
    report = check_activation(decl)  # from the declaration, before registration
    assert report.passed, str(report)
    ja.register(decl)
    assert "test_relu_sq" in ja.names()
    assert check_activation("test_relu_sq", dtypes=("float32",)).passed
    bad = _relu_sq("test_relu_sq_bad", lambda t, x, y: t * jnp.where(x > 0, x, 0))
    failed = _failed(check_activation(bad, dtypes=("float32",)))
    assert "derivative differs from finite differences of f" in failed[
        "closed-form derivative vs float64 finite differences"]


def test_bad_arguments():
    with pytest.raises(KeyError, match="Did you mean"):
        check_activation("reluu")
    with pytest.raises(TypeError, match="no argument"):
        check_activation("elu", params={"beta": 1.0})
    with pytest.raises(ValueError, match="dtype"):
        check_activation("relu", dtypes=("float8",))
    with pytest.raises(TypeError):
        check_activation(42)


def test_report_text_is_plain():
    report = check_activation(lambda x: x * sig(x), derivative=sig, name="my_silu",
                              dtypes=("float32",))
    text = str(report)
    assert text.startswith("check_activation(my_silu):") and "FAILED" in text
    assert all(line.startswith(("check_activation", "  ok", "  FAIL", "  skip"))
               for line in text.splitlines())
