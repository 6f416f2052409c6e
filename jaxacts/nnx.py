"""Flax nnx modules for every jaxacts activation, generated from the registry.

Every registry entry has a module class named by :func:`class_name` (``leaky_relu`` ->
``LeakyReLU``, ``gelu`` -> ``GELU``); aliases name the same class.  A module calls the
registered function, so module and function can never disagree.  Hyperparameters are
constructor arguments; with ``learnable=...`` they become ``nnx.Param`` variables initialised to
the given values (per-channel parameters need ``num_features``, per-element ones
``feature_shape``, since nnx creates variables in ``__init__``)::

    from flax import nnx
    from jaxacts import nnx as jnx

    class MLP(nnx.Module):
        def __init__(self, rngs):
            self.fc1 = nnx.Linear(16, 64, rngs=rngs)
            self.act = jnx.Snake(learnable=True, param_shape="channel", num_features=64)
            self.fc2 = nnx.Linear(64, 10, rngs=rngs)

        def __call__(self, x):
            return self.fc2(self.act(self.fc1(x)))

Learned parameters take sharding metadata like Flax's own layers:
``jnx.ELU(learnable=True, alpha_metadata={"out_sharding": ("model",)})``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import flax.linen
import jax
import jax.numpy as jnp
from flax import nnx

from jaxacts._src import families as _families  # noqa: F401  (registers every activation)
from jaxacts._src import modules as M
from jaxacts._src import registry

# Random activations (rrelu, gumbel_softmax) draw their key from ``rngs[RNG_COLLECTION]`` when
# constructed with ``rngs`` and called without a key; with neither they run with ``key=None``,
# the function's deterministic mode.
RNG_COLLECTION = "activation"

__all__ = ["ActivationModule", "Activation", "PReLU", "GatedMLP", "module_class", "from_config",
           "resolve"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
# Flax's Linear defaults.
_KERNEL_INIT = nnx.initializers.lecun_normal()
_BIAS_INIT = nnx.initializers.zeros_init()


class ActivationModule(nnx.Module):
    """Base class of the jaxacts nnx activation modules (for ``isinstance`` checks)."""

    spec: M.Spec

    def _setup(self, spec: M.Spec, *, num_features: int | None, feature_shape: Any,
               param_dtype: Any, dtype: Any, metadata: Mapping[str, Mapping[str, Any]],
               rngs: nnx.Rngs | nnx.RngStream | None = None) -> None:
        self.spec = spec
        self.num_features = num_features
        self.feature_shape = None if feature_shape is None else tuple(feature_shape)
        self.param_dtype = param_dtype
        self.dtype = dtype
        for n in spec.learned:
            shape = M.param_shape(spec, n, num_features=num_features,
                                  feature_shape=feature_shape)
            setattr(self, spec.stored_name(n),
                    nnx.Param(M.init_raw(spec, n, shape, param_dtype), **metadata.get(n, _EMPTY)))
        if isinstance(rngs, nnx.Rngs):
            rngs = rngs[RNG_COLLECTION].fork()
        elif isinstance(rngs, nnx.RngStream):
            rngs = rngs.fork()
        self.rngs = rngs if rngs is not None else nnx.data(None)

    def __call__(self, x: jax.typing.ArrayLike, **aux: Any) -> jax.Array:
        """Apply the activation; ``aux`` are the function's call-time arrays (masks, keys)."""
        spec = self.spec
        stored = {spec.stored_name(n): getattr(self, spec.stored_name(n))[...]
                  for n in spec.learned}
        key = M.key_arg(spec.decl)
        if key is not None and key not in aux and self.rngs is not None:
            aux[key] = self.rngs()
        return M.call(spec, x, stored, aux, self.dtype)

    def config(self) -> dict[str, Any]:
        """A JSON-friendly dict (name, hyperparameters, options) that :func:`from_config`
        turns back into an equivalent module (sharding metadata and rngs are not part of it)."""
        cfg = self.spec.config()
        if self.spec.learned:
            cfg.update(M.dtype_config(self.param_dtype, self.dtype))
            if self.num_features is not None:
                cfg["num_features"] = self.num_features
            if self.feature_shape is not None:
                cfg["feature_shape"] = list(self.feature_shape)
        elif self.dtype is not None:
            cfg["dtype"] = jnp.dtype(self.dtype).name
        return cfg

    def learned_values(self) -> dict[str, jax.Array]:
        """The learned parameters as the activation sees them (constraints applied)."""
        spec = self.spec
        return M.learned_values(spec, {spec.stored_name(n): getattr(self, spec.stored_name(n))[...]
                                       for n in spec.learned})


def _signature(decl: registry.Activation) -> inspect.Signature:
    P = inspect.Parameter
    ps = [P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default) for p in decl.params]
    ps += [P(s.name, P.POSITIONAL_OR_KEYWORD, default=s.default) for s in decl.static]
    kw = {"learnable": False, "param_shape": "scalar", "feature_axis": -1, "num_features": None,
          "feature_shape": None, "constraint": "reparam", "param_dtype": jnp.float32,
          "dtype": None}
    kw.update({f"{n}_metadata": _EMPTY for n in M.learnable_params(decl)})
    if decl.random:
        kw["rngs"] = None
    ps += [P(k, P.KEYWORD_ONLY, default=v) for k, v in kw.items()]
    return inspect.Signature(ps)


_EXTRA_DOC = {
    "num_features": "the number of channels, for per-channel parameters.",
    "feature_shape": "the input shape without the batch axis, for per-element parameters.",
    "<param>_metadata": "metadata for the learned parameter's ``nnx.Param`` (e.g. "
                        "``{'out_sharding': ('model',)}``), as ``kernel_metadata`` in Flax.",
}


class _Generated(ActivationModule):
    """A registry entry's module; its signature is generated from the declaration."""

    activation_name = ""
    __signature__: inspect.Signature

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        try:
            bound = cls.__signature__.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{cls.__name__}{cls.__signature__}: {e}") from None
        bound.apply_defaults()
        a = dict(bound.arguments)
        decl = registry.declaration(self.activation_name)
        values = {k.name: a.pop(k.name) for k in (*decl.params, *decl.static)}
        metadata = {n: a.pop(f"{n}_metadata") for n in M.learnable_params(decl)}
        spec = M.make_spec(self.activation_name, values, learnable=a["learnable"],
                           param_shape=a["param_shape"], feature_axis=a["feature_axis"],
                           constraint=a["constraint"], owner=cls.__name__)
        self._setup(spec, num_features=a["num_features"], feature_shape=a["feature_shape"],
                    param_dtype=a["param_dtype"], dtype=a["dtype"], metadata=metadata,
                    rngs=a.get("rngs"))


def _make(decl: registry.Activation) -> type[ActivationModule]:
    cls_name = M.class_name(decl.name)
    return type(cls_name, (_Generated,), {
        "__module__": __name__, "__qualname__": cls_name,
        "__doc__": M.class_doc(decl, "nnx", _EXTRA_DOC),
        "__signature__": _signature(decl),
        "activation_name": decl.name,
    })


module_class = M.ModuleClasses(_make)


def Activation(activation: str, /, *args: Any, **hyperparams: Any) -> ActivationModule:  # noqa: N802
    """The module for an activation name, configured by keyword: ``Activation("elu", alpha=2.)``.

    Raises:
      KeyError: for an unknown activation, listing close matches (at construction).
      TypeError: for an unknown hyperparameter or option (the message shows the signature).
    """
    return module_class(activation)(*args, **hyperparams)


def from_config(config: Mapping[str, Any]) -> ActivationModule:
    """Rebuild a module from :meth:`ActivationModule.config` (also after a JSON round-trip)."""
    name, kwargs = M.split_config(config)
    return Activation(name, **kwargs)


class PReLU(ActivationModule):
    """Parametric ReLU: :func:`jaxacts.leaky_relu` with a learned ``negative_slope``.

    Compatible with ``flax.nnx.PReLU`` (same arguments, the same ``negative_slope`` variable)
    and with ``torch.nn.PReLU``'s ``num_parameters`` (1: one slope; C > 1: one per channel on
    ``feature_axis``; torch's channel axis is 1, so pass ``feature_axis=1`` for NCHW inputs).
    The derivative at 0 is 1, as in jax.nn and Flax.

    Args:
      negative_slope_init: the initial slope (default 0.01, as Flax; torch uses 0.25).
      num_parameters: 1 (scalar slope) or the number of channels.
      feature_axis: the channel axis for ``num_parameters > 1`` (default -1).
      dtype: if set, the input is cast to it first.
      param_dtype: the slope's dtype (default float32).
      negative_slope_metadata: metadata for the slope's ``nnx.Param`` (e.g. sharding).
    """

    def __init__(self, negative_slope_init: float = 0.01, *, num_parameters: int = 1,
                 feature_axis: int = -1, dtype: Any = None, param_dtype: Any = jnp.float32,
                 negative_slope_metadata: Mapping[str, Any] = _EMPTY) -> None:
        self._setup(M.prelu_spec(negative_slope_init, num_parameters, feature_axis),
                    num_features=num_parameters if num_parameters > 1 else None,
                    feature_shape=None, param_dtype=param_dtype, dtype=dtype,
                    metadata={"negative_slope": negative_slope_metadata})


def resolve(activation: Any) -> Callable[..., Any]:
    """An activation given as a name, config dict, module (class) or callable, as a callable.

    Names resolve through the registry (``'linear'``/``None``: identity); an unknown name
    raises ``KeyError`` with close matches; a config dict gives :func:`from_config`'s module;
    a linen module raises ``TypeError``.
    """
    return M.resolve(activation, module_base=nnx.Module, other_base=flax.linen.Module,
                     other_api="flax.linen", from_config=from_config)


class GatedMLP(nnx.Module):
    """Gated feed-forward block: ``down(act_gate(gate(x)) * act_value(up(x)))``.

    The default is SwiGLU (Shazeer, "GLU Variants Improve Transformer", arXiv:2002.05202):
    ``activation='silu'`` gates a linear value branch.  ``activation`` may be any name, config
    dict, module or callable (:func:`resolve`), or a pair ``(gate, value)`` as in t5x/MaxText
    (``('gelu', 'linear')`` is GeGLU).

    Args:
      in_features: input width.
      hidden_features: width of the gate and value projections.
      out_features: output width (default: ``in_features``).
      activation: the gate activation, or a ``(gate, value)`` pair.
      use_bias: whether the projections have biases (default False, as in LLaMA-style blocks).
      dtype, param_dtype, kernel_init, bias_init: passed to the ``nnx.Linear`` projections
        ``gate``, ``up`` and ``down``.
      rngs: the random generators for the projections' initialisation.
    """

    def __init__(self, in_features: int, hidden_features: int, out_features: int | None = None,
                 *, activation: Any = "silu", use_bias: bool = False, dtype: Any = None,
                 param_dtype: Any = jnp.float32,
                 kernel_init: Callable[..., Any] = _KERNEL_INIT,
                 bias_init: Callable[..., Any] = _BIAS_INIT,
                 rngs: nnx.Rngs) -> None:
        gate, value = M.gate_pair(activation)
        self.gate_activation = resolve(gate)
        self.value_activation = resolve(value)
        self.in_features, self.hidden_features = in_features, hidden_features
        self.out_features = out_features or in_features
        self.use_bias, self.dtype, self.param_dtype = use_bias, dtype, param_dtype

        def linear(i: int, o: int) -> nnx.Linear:
            return nnx.Linear(i, o, use_bias=use_bias, dtype=dtype, param_dtype=param_dtype,
                              kernel_init=kernel_init, bias_init=bias_init, rngs=rngs)

        self.gate = linear(in_features, hidden_features)
        self.up = linear(in_features, hidden_features)
        self.down = linear(hidden_features, self.out_features)

    def __call__(self, x: jax.typing.ArrayLike) -> jax.Array:
        h = self.gate_activation(self.gate(x)) * self.value_activation(self.up(x))
        return self.down(h)

    def config(self) -> dict[str, Any]:
        """The JSON-friendly config; the activations by name or config (initialisers are not
        part of it)."""
        return {"in_features": self.in_features, "hidden_features": self.hidden_features,
                "out_features": self.out_features,
                "activation": M.activation_config((self.gate_activation,
                                                   self.value_activation)),
                "use_bias": self.use_bias, **M.dtype_config(self.param_dtype, self.dtype)}

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, rngs: nnx.Rngs) -> GatedMLP:
        return cls(**M.block_kwargs(config), rngs=rngs)


_GENERATED = module_class.exports(taken=globals())
globals().update(_GENERATED)
__all__ += sorted(_GENERATED)


def __getattr__(attr: str) -> type[ActivationModule]:
    # Entries registered after import (users' own) get their class on first access.
    return module_class.find(attr, __name__)
