"""Flax linen modules for every jaxacts activation, generated from the registry.

Every registry entry has a module class named by :func:`class_name` (``leaky_relu`` ->
``LeakyReLU``, ``gelu`` -> ``GELU``); aliases name the same class (``Swish is SiLU``).  A module
calls the registered function, so module and function can never disagree.  Hyperparameters are
dataclass fields; with ``learnable=...`` they become parameters (``self.param``) initialised to
the given values::

    import flax.linen as nn
    from jaxacts import linen as jal

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Dense(64)(x)
            x = jal.ELU(alpha=1.0, learnable=True, param_shape="channel")(x)
            return nn.Dense(10)(x)

``Activation("gelu", approximate=False)`` builds the same modules from a string, and
``from_config(module.config())`` rebuilds a module from its JSON-friendly config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flax.linen as nn
import flax.nnx
import jax
import jax.numpy as jnp

from jaxacts._src import families as _families  # noqa: F401  (registers every activation)
from jaxacts._src import modules as M
from jaxacts._src import registry

# Random activations (rrelu, gumbel_softmax) draw their key from this rng collection when the
# call passes none (``module.apply(v, x, rngs={"activation": key})``); without either they run
# with ``key=None``, the function's deterministic mode.
RNG_COLLECTION = "activation"

__all__ = ["ActivationModule", "Activation", "PReLU", "GatedMLP", "module_class", "from_config",
           "resolve"]


class ActivationModule(nn.Module):
    """Base class of the jaxacts linen activation modules (for ``isinstance`` checks)."""

    def _spec(self) -> M.Spec:
        raise NotImplementedError

    def _shape_hints(self) -> tuple[int | None, Any]:
        """(num_features, feature_shape) for the learned parameters' shapes (None: infer)."""
        return None, None

    def _extra_config(self) -> dict[str, Any]:
        return {}

    def __post_init__(self) -> None:
        self._spec()  # configuration errors surface at construction, not at the first call
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.typing.ArrayLike, **aux: Any) -> jax.Array:
        """Apply the activation; ``aux`` are the function's call-time arrays (masks, keys)."""
        spec = self._spec()
        x = jnp.asarray(x)
        num_features, feature_shape = self._shape_hints()
        stored = {}
        for n in spec.learned:
            s = spec.stored_name(n)
            if self.has_variable("params", s):
                # Read as is: a shape mismatch gets the clear error of M.call, not Flax's
                # complaint about the initializer.
                stored[s] = self.get_variable("params", s)
                continue
            shape = M.param_shape(spec, n, x_shape=x.shape, num_features=num_features,
                                  feature_shape=feature_shape)
            stored[s] = self.param(
                s, lambda _key, n=n, shape=shape: M.init_raw(spec, n, shape, self.param_dtype))
        key = M.key_arg(spec.decl)
        if key is not None and key not in aux and self.has_rng(RNG_COLLECTION):
            aux[key] = self.make_rng(RNG_COLLECTION)
        return M.call(spec, x, stored, aux, self.dtype)

    def config(self) -> dict[str, Any]:
        """A JSON-friendly dict (name, hyperparameters, options) that :func:`from_config`
        turns back into an equivalent module."""
        spec = self._spec()
        cfg = spec.config()
        if spec.learned:
            cfg.update(M.dtype_config(self.param_dtype, self.dtype))
        elif self.dtype is not None:
            cfg["dtype"] = jnp.dtype(self.dtype).name
        return {**cfg, **self._extra_config()}

    def learned_values(self, params: Mapping[str, Any]) -> dict[str, jax.Array]:
        """The learned parameters as the activation sees them (constraints applied).

        Args:
          params: this module's ``params`` collection (e.g. ``variables["params"]``).
        """
        return M.learned_values(self._spec(), params)


class _Generated(ActivationModule):
    """A registry entry's module; the subclass's fields are generated from the declaration."""

    activation_name = ""

    def _spec(self) -> M.Spec:
        decl = registry.declaration(self.activation_name)
        values = {k.name: getattr(self, k.name) for k in (*decl.params, *decl.static)}
        return M.make_spec(self.activation_name, values, learnable=self.learnable,
                           param_shape=self.param_shape, feature_axis=self.feature_axis,
                           constraint=self.constraint, owner=type(self).__name__)

    def _shape_hints(self) -> tuple[int | None, Any]:
        return None, self.feature_shape

    def _extra_config(self) -> dict[str, Any]:
        return {} if self.feature_shape is None else {"feature_shape": list(self.feature_shape)}


_OPTIONS = (("learnable", False), ("param_shape", "scalar"), ("feature_axis", -1),
            ("feature_shape", None), ("constraint", "reparam"), ("param_dtype", jnp.float32),
            ("dtype", None))
_EXTRA_DOC = {"feature_shape": "the per-element parameter shape (default: the input shape "
                               "without its first axis, read at ``init``)."}
def _default(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _make(decl: registry.Activation) -> type[ActivationModule]:
    cls_name = M.class_name(decl.name)
    fields = [(p.name, _default(p.default)) for p in decl.params]
    fields += [(s.name, _default(s.default)) for s in decl.static]
    fields += list(_OPTIONS)
    ns: dict[str, Any] = {
        "__module__": __name__, "__qualname__": cls_name,
        "__doc__": M.class_doc(decl, "linen", _EXTRA_DOC),
        "__annotations__": {n: Any for n, _ in fields},
        "activation_name": decl.name,
        **dict(fields),
    }
    return type(cls_name, (_Generated,), ns)


module_class = M.ModuleClasses(_make)


def Activation(activation: str, /, **hyperparams: Any) -> ActivationModule:  # noqa: N802
    """The module for an activation name, configured by keyword: ``Activation("elu", alpha=2.)``.

    ``name=`` is, as for every linen module, the module's own name in the parameter tree.

    Raises:
      KeyError: for an unknown activation, listing close matches (at construction).
      TypeError: for an unknown hyperparameter or option, listing the accepted ones.
    """
    cls = module_class(activation)
    accepted = set(cls.__dataclass_fields__) - {"parent"}  # "name" is Flax's module name
    bad = [k for k in hyperparams if k not in accepted]
    if bad:
        raise TypeError(f"{cls.__name__}: unknown argument(s) {', '.join(map(repr, bad))}; "
                        f"accepted: {', '.join(sorted(accepted))}")
    return cls(**hyperparams)


def from_config(config: Mapping[str, Any]) -> ActivationModule:
    """Rebuild a module from :meth:`ActivationModule.config` (also after a JSON round-trip)."""
    return _from_config(config)


def _from_config(config: Mapping[str, Any], **module_kwargs: Any) -> ActivationModule:
    name, kwargs = M.split_config(config)
    return Activation(name, **kwargs, **module_kwargs)


class PReLU(ActivationModule):
    """Parametric ReLU: :func:`jaxacts.leaky_relu` with a learned ``negative_slope``.

    Compatible with ``flax.linen.PReLU`` (same ``negative_slope_init``, ``param_dtype`` and the
    same ``negative_slope`` variable, so its variables load here) and with ``torch.nn.PReLU``'s
    ``num_parameters`` (1: one slope; C > 1: one per channel on ``feature_axis``; torch's
    channel axis is 1, so pass ``feature_axis=1`` for NCHW inputs).  The derivative at 0 is 1,
    as in jax.nn and Flax.

    Attributes:
      negative_slope_init: the initial slope (default 0.01, as Flax; torch uses 0.25).
      num_parameters: 1 (scalar slope) or the number of channels.
      feature_axis: the channel axis for ``num_parameters > 1`` (default -1).
      param_dtype: the slope's dtype (default float32).
      dtype: if set, the input is cast to it first.
    """

    negative_slope_init: float = 0.01
    num_parameters: int = 1
    feature_axis: int = -1
    param_dtype: Any = jnp.float32
    dtype: Any = None

    def _spec(self) -> M.Spec:
        return M.prelu_spec(self.negative_slope_init, self.num_parameters, self.feature_axis)

    def _shape_hints(self) -> tuple[int | None, Any]:
        return (self.num_parameters if self.num_parameters > 1 else None), None


def resolve(activation: Any) -> Callable[..., Any]:
    """An activation given as a name, config dict, module (class) or callable, as a callable.

    Names resolve through the registry (``'linear'``/``None``: identity); an unknown name
    raises ``KeyError`` with close matches; a config dict gives :func:`from_config`'s module;
    an nnx module raises ``TypeError``.
    """
    return M.resolve(activation, module_base=nn.Module, other_base=flax.nnx.Module,
                     other_api="flax.nnx", from_config=from_config)


class GatedMLP(nn.Module):
    """Gated feed-forward block: ``down(act_gate(gate(x)) * act_value(up(x)))``.

    The default is SwiGLU (Shazeer, "GLU Variants Improve Transformer", arXiv:2002.05202):
    ``activation='silu'`` gates a linear value branch.  ``activation`` may be any name, config
    dict, module or callable (:func:`resolve`), or a pair ``(gate, value)`` as in t5x/MaxText
    (``('gelu', 'linear')`` is GeGLU).

    Attributes:
      hidden_features: width of the gate and value projections.
      out_features: output width (default: the input width).
      activation: the gate activation, or a ``(gate, value)`` pair.
      use_bias: whether the projections have biases (default False, as in LLaMA-style blocks).
      dtype, param_dtype, kernel_init, bias_init: passed to the ``nn.Dense`` projections
        ``gate``, ``up`` and ``down``.
    """

    hidden_features: int
    out_features: int | None = None
    activation: Any = "silu"
    use_bias: bool = False
    dtype: Any = None
    param_dtype: Any = jnp.float32
    kernel_init: Callable[..., Any] = nn.initializers.lecun_normal()
    bias_init: Callable[..., Any] = nn.initializers.zeros_init()

    def __post_init__(self) -> None:
        for a in M.gate_pair(self.activation):
            M.check_activation(a, module_class)
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.typing.ArrayLike) -> jax.Array:
        x = jnp.asarray(x)
        gate_act, value_act = (self._activation(a, i) for i, a in
                               enumerate(M.gate_pair(self.activation)))

        def dense(features: int, name: str) -> nn.Dense:
            return nn.Dense(features, use_bias=self.use_bias, dtype=self.dtype,
                            param_dtype=self.param_dtype, kernel_init=self.kernel_init,
                            bias_init=self.bias_init, name=name)

        h = gate_act(dense(self.hidden_features, "gate")(x)) * value_act(
            dense(self.hidden_features, "up")(x))
        return dense(self.out_features or x.shape[-1], "down")(h)

    def _activation(self, activation: Any, i: int) -> Callable[..., Any]:
        # A module built here from a config or class gets the name Flax gives a module passed
        # in the field, so that all spellings have the same parameter tree.
        name = f"activation_{i}" if isinstance(self.activation, (tuple, list)) else "activation"
        if isinstance(activation, Mapping):
            return _from_config(activation, name=name)
        if isinstance(activation, type) and issubclass(activation, nn.Module):
            return activation(name=name)
        return resolve(activation)

    def config(self) -> dict[str, Any]:
        """The JSON-friendly config; the activation by name or config (initialisers are not
        part of it)."""
        return {"hidden_features": self.hidden_features, "out_features": self.out_features,
                "activation": M.activation_config(self.activation), "use_bias": self.use_bias,
                **M.dtype_config(self.param_dtype, self.dtype)}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GatedMLP:
        return cls(**M.block_kwargs(config))


_GENERATED = module_class.exports(taken=globals())
globals().update(_GENERATED)
__all__ += sorted(_GENERATED)


def __getattr__(attr: str) -> type[ActivationModule]:
    # Entries registered after import (users' own) get their class on first access.
    return module_class.find(attr, __name__)
