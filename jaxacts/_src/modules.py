"""Logic shared by the Flax modules (:mod:`jaxacts.linen` and :mod:`jaxacts.nnx`).

Both APIs generate one module class per registry entry.  Everything that does not depend on
the Flax API lives here: the class naming rule, the validated module configuration
(:class:`Spec`), the shapes of learnable parameters, the constraints that keep a learned
parameter inside its domain, the call itself, config round-trips and activation resolution.
The two API modules only create and fetch variables.

Constraints.  A learnable parameter whose declared domain is bounded is stored unconstrained
(under ``"<name>_raw"``) and mapped into its domain at every call, so that no optimizer step can
leave the domain:

* lower bound only: ``value = lower + softplus(raw)``;
* upper bound only: ``value = upper - softplus(raw)``;
* both bounds: ``value = lower + (upper - lower) * sigmoid(raw)``.

A parameter with an unbounded domain is stored as is, under its own name (so a
``PReLU``/``LeakyReLU`` slope is the ``negative_slope`` variable, as in Flax).
``constraint="none"`` stores every parameter as is; keeping it valid is then the user's job.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxacts._src import registry
from jaxacts._src.jvp import _check_param, _check_static
from jaxacts._src.registry import Activation, Param

SHAPES = ("scalar", "channel", "element")
CONSTRAINTS = ("reparam", "none")
OPTIONS = ("learnable", "param_shape", "feature_axis", "constraint")

# Tokens spelled as in the literature (and torch) rather than by plain capitalisation.
_TOKENS = {
    "relu": "ReLU", "prelu": "PReLU", "rrelu": "RReLU", "elu": "ELU", "selu": "SELU",
    "celu": "CELU", "gelu": "GELU", "silu": "SiLU", "glu": "GLU", "swiglu": "SwiGLU",
    "geglu": "GeGLU", "reglu": "ReGLU", "xielu": "XIELU", "dyt": "DyT", "acon": "ACON",
    "pau": "PAU", "mlp": "MLP", "logsumexp": "LogSumExp", "logmeanexp": "LogMeanExp",
}


def class_name(name: str) -> str:
    """The module class name for an activation name: ``leaky_relu`` -> ``LeakyReLU``.

    Each ``_``-separated token is capitalised, except the acronyms in ``_TOKENS``; a trailing
    number is kept (``relu6`` -> ``ReLU6``).
    """
    out = []
    for tok in name.split("_"):
        m = re.fullmatch(r"([a-z]*)(\d*)", tok)
        word, digits = (m.group(1), m.group(2)) if m else (tok, "")
        out.append(_TOKENS.get(word, word[:1].upper() + word[1:]) + digits)
    return "".join(out)


def identity(x: jax.typing.ArrayLike) -> jax.Array:
    """The identity (the ``'linear'`` branch of a gated block)."""
    return jnp.asarray(x)


def _freeze(v: Any) -> Any:
    """A hashable, JSON-friendly copy of a hyperparameter value (float or nested tuple)."""
    if isinstance(v, (bool, int, float)):
        return float(v)
    arr = np.asarray(v, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else _tuple(arr.tolist())


def _tuple(v: Any) -> Any:
    return tuple(_tuple(e) for e in v) if isinstance(v, list) else v


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(e) for e in v]
    if isinstance(v, Mapping):
        return {k: _jsonable(e) for k, e in v.items()}
    return v


@dataclasses.dataclass(frozen=True)
class Spec:
    """The validated configuration of one activation module (hashable: nnx keeps it static).

    Attributes:
      name: the canonical registry name.
      hyper: parameter name -> value (the fixed value, or the initial value if learned).
      static: static argument name -> value.
      learned: the names of the learned parameters, in declaration order.
      shapes: learned parameter name -> ``"scalar"``, ``"channel"`` or ``"element"``.
      feature_axis: the channel axis of the input for per-channel parameters.
      constraint: ``"reparam"`` or ``"none"`` (see the module docstring).
      owner: the class name, for error messages.
    """

    name: str
    hyper: tuple[tuple[str, Any], ...]
    static: tuple[tuple[str, Any], ...]
    learned: tuple[str, ...]
    shapes: tuple[tuple[str, str], ...]
    feature_axis: int
    constraint: str
    owner: str

    @property
    def decl(self) -> Activation:
        return registry.declaration(self.name)

    def param(self, name: str) -> Param:
        return next(p for p in self.decl.params if p.name == name)

    def shape_mode(self, name: str) -> str:
        return dict(self.shapes)[name]

    def stored_name(self, name: str) -> str:
        """The variable name of learned parameter ``name`` (``_raw`` when reparameterised)."""
        return name if _transform(self.param(name), self.constraint) is None else f"{name}_raw"

    def config(self) -> dict[str, Any]:
        """The JSON-friendly config (name, hyperparameters, learnable options)."""
        shapes = dict(self.shapes)
        modes = set(shapes.values())
        return _jsonable({
            "name": self.name, **dict(self.hyper), **dict(self.static),
            "learnable": list(self.learned),
            "param_shape": modes.pop() if len(modes) == 1 else shapes if shapes else "scalar",
            "feature_axis": self.feature_axis,
            "constraint": self.constraint,
        })


def key_arg(decl: Activation) -> str | None:
    """The call argument that takes a PRNG key, for random activations (rrelu, gumbel...)."""
    if not decl.random:
        return None
    return next((a for a in decl.aux if "key" in a or "rng" in a), None)


def learnable_params(decl: Activation) -> tuple[str, ...]:
    """The parameters of ``decl`` that can be learned (declared learnable, with a tangent rule)."""
    rules = decl.param_tangents or (None,) * len(decl.params)
    return tuple(p.name for p, r in zip(decl.params, rules, strict=True)
                 if p.learnable and r is not None)


def make_spec(
    name: str,
    values: Mapping[str, Any],
    *,
    learnable: bool | str | Sequence[str] | None = False,
    param_shape: str | Mapping[str, str] = "scalar",
    feature_axis: int = -1,
    constraint: str = "reparam",
    owner: str | None = None,
) -> Spec:
    """Validate a module's configuration; every error is raised here, at construction."""
    decl = registry.declaration(name)  # KeyError listing close matches for an unknown name
    owner = owner or class_name(decl.name)
    known = [p.name for p in decl.params] + [s.name for s in decl.static]
    unknown = [k for k in values if k not in known]
    if unknown:
        allowed = ", ".join([*known, *OPTIONS]) or "no hyperparameters"
        raise TypeError(f"{owner}: unknown hyperparameter(s) {', '.join(map(repr, unknown))}; "
                        f"{decl.name} takes: {allowed}")
    hyper = []
    for p in decl.params:
        v = values.get(p.name, p.default)
        if v is None:
            raise TypeError(f"{owner}: {p.name} has no default; pass a value")
        hyper.append((p.name, _freeze(_check_param(decl, p, v))))
    static = tuple((s.name, _check_static(decl, s.name, values.get(s.name, s.default)))
                   for s in decl.static)

    can = learnable_params(decl)
    if learnable is True:
        if not can:
            raise ValueError(f"{owner}: {decl.name} has no learnable parameters")
        learned = can
    elif not learnable:
        learned = ()
    else:
        asked = (learnable,) if isinstance(learnable, str) else tuple(learnable)
        bad = [n for n in asked if n not in can]
        if bad:
            raise ValueError(f"{owner}: cannot learn {', '.join(map(repr, bad))}; the learnable "
                             f"parameters of {decl.name} are: {', '.join(can) or 'none'}")
        learned = tuple(n for n in can if n in asked)

    if isinstance(param_shape, str):
        shapes = {n: param_shape for n in learned}
    else:
        extra = [k for k in param_shape if k not in learned]
        if extra:
            raise ValueError(f"{owner}: param_shape names {', '.join(map(repr, extra))}, which "
                             f"are not learned (learned: {', '.join(learned) or 'none'})")
        shapes = {n: param_shape.get(n, "scalar") for n in learned}
    for n, mode in shapes.items():
        if mode not in SHAPES:
            raise ValueError(f"{owner}: param_shape for {n!r} must be one of "
                             f"{', '.join(map(repr, SHAPES))}; got {mode!r}")
        if mode != "scalar" and (decl.kind != "elementwise" or not _param(decl, n).broadcast):
            raise ValueError(f"{owner}: {n!r} of {decl.name} is not applied elementwise, so it "
                             f"can only be learned with its declared shape (param_shape "
                             f"'scalar'); got {mode!r}")
        if mode == "scalar" and _param(decl, n).broadcast and np.ndim(dict(hyper)[n]) != 0:
            raise ValueError(f"{owner}: the initial {n} has shape {np.shape(dict(hyper)[n])}; "
                             "an array-valued learned parameter needs param_shape 'channel' or "
                             "'element'")
    if not isinstance(feature_axis, (int, np.integer)) or isinstance(feature_axis, bool):
        raise TypeError(f"{owner}: feature_axis must be an int, got {feature_axis!r}")
    if constraint not in CONSTRAINTS:
        raise ValueError(f"{owner}: constraint must be one of "
                         f"{', '.join(map(repr, CONSTRAINTS))}; got {constraint!r}")
    spec = Spec(decl.name, tuple(hyper), static, learned, tuple(shapes.items()),
                int(feature_axis), constraint, owner)
    for n in learned:  # an initial value on a closed bound has no unconstrained preimage
        t = _transform(_param(decl, n), constraint)
        if t is not None and not np.all(np.isfinite(t[1](np.asarray(dict(hyper)[n])))):
            p = _param(decl, n)
            raise ValueError(f"{owner}: the initial {n}={dict(hyper)[n]} lies on the boundary "
                             f"of its domain {p.domain_text()}, which the constraint never "
                             "reaches; pick an interior value or constraint='none'")
    return spec


def _param(decl: Activation, name: str) -> Param:
    return next(p for p in decl.params if p.name == name)


def _softplus_inv(v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return v + np.log(-np.expm1(-v))


def _transform(p: Param, constraint: str) -> tuple[Callable, Callable] | None:
    """(raw -> value in jax, value -> raw in numpy) for a bounded parameter, else None."""
    if constraint == "none" or (p.lower is None and p.upper is None):
        return None
    lo, hi = p.lower, p.upper
    if hi is None:
        return (lambda r: lo + jax.nn.softplus(r)), (lambda v: _softplus_inv(v - lo))
    if lo is None:
        return (lambda r: hi - jax.nn.softplus(r)), (lambda v: _softplus_inv(hi - v))
    width = hi - lo

    def inverse(v):
        u = (v - lo) / width
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(u) - np.log1p(-u)

    return (lambda r: lo + width * jax.nn.sigmoid(r)), inverse


def param_shape(spec: Spec, name: str, *, x_shape: tuple[int, ...] | None = None,
                num_features: int | None = None,
                feature_shape: Sequence[int] | None = None) -> tuple[int, ...]:
    """The stored shape of learned parameter ``name``.

    ``scalar``: the shape of the declared value (``()``, or a coefficient vector's shape);
    ``channel``: ``(C,)``, C from ``num_features`` or the input's ``feature_axis``;
    ``element``: ``feature_shape`` or the input's shape without its leading (batch) axis.
    """
    mode = spec.shape_mode(name)
    if mode == "scalar":
        return np.shape(dict(spec.hyper)[name])
    if mode == "channel":
        if num_features is None:
            if x_shape is None:
                raise ValueError(f"{spec.owner}: param_shape 'channel' for {name!r} needs "
                                 f"num_features (the input size on axis {spec.feature_axis})")
            _check_axis(spec, x_shape)
            num_features = x_shape[spec.feature_axis]
        return (int(num_features),)
    if feature_shape is None:
        if x_shape is None:
            raise ValueError(f"{spec.owner}: param_shape 'element' for {name!r} needs "
                             "feature_shape (the input shape without the batch axis)")
        feature_shape = x_shape[1:]
    return tuple(int(d) for d in feature_shape)


def init_raw(spec: Spec, name: str, shape: tuple[int, ...], dtype: Any) -> jax.Array:
    """The stored (unconstrained) initial value of learned parameter ``name``."""
    value = np.asarray(dict(spec.hyper)[name], dtype=np.float64)
    try:
        value = np.broadcast_to(value, shape)
    except ValueError:
        raise ValueError(f"{spec.owner}: the initial {name} of shape {value.shape} does not "
                         f"broadcast to the {spec.shape_mode(name)} parameter shape "
                         f"{tuple(shape)}") from None
    t = _transform(spec.param(name), spec.constraint)
    return jnp.asarray(value if t is None else t[1](value), dtype=dtype)


def _check_axis(spec: Spec, x_shape: tuple[int, ...]) -> None:
    if not -len(x_shape) <= spec.feature_axis < len(x_shape):
        raise ValueError(f"{spec.owner}: feature_axis={spec.feature_axis} is out of range for "
                         f"an input of shape {tuple(x_shape)}")


def _placed(spec: Spec, name: str, value: jax.Array, x_shape: tuple[int, ...]) -> jax.Array:
    """Check a learned value against the input and reshape it to broadcast along its axes."""
    mode = spec.shape_mode(name)
    if mode == "channel":
        _check_axis(spec, x_shape)
        c = x_shape[spec.feature_axis]
        if value.shape != (c,):
            raise ValueError(
                f"{spec.owner}: the per-channel parameter {name!r} has {value.shape[0]} "
                f"channels but the input has {c} features on feature_axis="
                f"{spec.feature_axis} (input shape {tuple(x_shape)})")
        shape = [1] * len(x_shape)
        shape[spec.feature_axis] = c
        return value.reshape(shape)
    if mode == "element":
        k = value.ndim
        if len(x_shape) < k or tuple(x_shape[len(x_shape) - k:]) != value.shape:
            raise ValueError(
                f"{spec.owner}: the per-element parameter {name!r} has shape {value.shape}, "
                f"which must equal the trailing axes of the input (input shape "
                f"{tuple(x_shape)})")
    return value


def call(spec: Spec, x: jax.typing.ArrayLike, stored: Mapping[str, jax.Array],
         aux: Mapping[str, Any], dtype: Any = None) -> jax.Array:
    """Apply the registry function with the fixed and learned parameter values.

    Args:
      spec: the module's configuration.
      x: the input.
      stored: stored variable name -> value, for every learned parameter.
      aux: call-time arrays (masks, PRNG keys) passed through by keyword.
      dtype: if not None, the input is cast to it first (the computation dtype).
    """
    decl = spec.decl
    bad = [k for k in aux if k not in decl.aux]
    if bad:
        raise TypeError(f"{spec.owner}: unexpected call argument(s) {', '.join(map(repr, bad))};"
                        f" {decl.name} takes: {', '.join(decl.aux) or 'only the input'}")
    x = jnp.asarray(x) if dtype is None else jnp.asarray(x, dtype)
    kwargs: dict[str, Any] = {}
    for n, v in spec.hyper:
        kwargs[n] = jnp.asarray(v) if isinstance(v, tuple) else v
    for n in spec.learned:
        raw = stored[spec.stored_name(n)]
        t = _transform(spec.param(n), spec.constraint)
        kwargs[n] = _placed(spec, n, raw if t is None else t[0](raw), x.shape)
    return registry.get(spec.name)(x, **kwargs, **dict(spec.static), **aux)


def learned_values(spec: Spec, stored: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
    """The constrained values of the learned parameters (what the activation sees)."""
    out = {}
    for n in spec.learned:
        t = _transform(spec.param(n), spec.constraint)
        raw = stored[spec.stored_name(n)]
        out[n] = raw if t is None else t[0](raw)
    return out


def split_config(config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(name, keyword arguments)`` from a config dict; lists become tuples again."""
    if "name" not in config:
        raise KeyError("an activation config needs a 'name' entry")
    rest = {k: v for k, v in config.items() if k != "name"}
    for k, v in rest.items():
        if isinstance(v, list) and k not in ("learnable",):
            rest[k] = _tuple(v)
    if isinstance(rest.get("param_dtype"), str):
        rest["param_dtype"] = jnp.dtype(rest["param_dtype"])
    if isinstance(rest.get("dtype"), str):
        rest["dtype"] = jnp.dtype(rest["dtype"])
    return config["name"], rest


def dtype_config(param_dtype: Any, dtype: Any) -> dict[str, Any]:
    return {"param_dtype": jnp.dtype(param_dtype).name,
            "dtype": None if dtype is None else jnp.dtype(dtype).name}


def resolve(activation: Any, *, module_base: type, other_base: type, other_api: str,
            from_config: Callable[[Mapping[str, Any]], Any]) -> Callable[..., Any]:
    """Turn an activation given by name, config, module or callable into a callable.

    * a name: the registry function (``'linear'``/``'identity'``/``None`` give the identity
      when the registry has no such entry); an unknown name raises ``KeyError`` with close
      matches;
    * a config dict (``module.config()``): a module built from it;
    * a module class of this API: an instance with default hyperparameters;
    * a module instance of this API or any other callable: itself.
    """
    if activation is None:
        return identity
    if isinstance(activation, str):
        return resolve_name(activation)
    if isinstance(activation, Mapping):
        return from_config(activation)
    if isinstance(activation, type) and issubclass(activation, module_base):
        return activation()
    if isinstance(activation, other_base) or (
            isinstance(activation, type) and issubclass(activation, other_base)):
        raise TypeError(f"{activation!r} is a {other_api} module; use the matching module "
                        "from this API (or the activation's name)")
    if callable(activation):
        return activation
    raise TypeError("an activation must be a name, a config dict, a module or a callable; got "
                    f"{type(activation).__name__}: {activation!r}")


def resolve_name(name: str) -> Callable[..., Any]:
    """The registry function ``name``; ``'linear'``/``'identity'`` fall back to the identity."""
    try:
        return registry.get(name)
    except KeyError:
        if name.strip().lower() in ("linear", "identity"):
            return identity
        raise


def check_activation(activation: Any, module_class: Callable[[str], type]) -> None:
    """Raise now (at construction) if ``activation`` names an unknown activation."""
    if isinstance(activation, str):
        resolve_name(activation)
    elif isinstance(activation, Mapping):
        name, _ = split_config(activation)
        module_class(name)


def prelu_spec(negative_slope_init: Any, num_parameters: int, feature_axis: int) -> Spec:
    """The configuration of ``PReLU``: ``leaky_relu`` with a learned slope (torch/Flax options)."""
    if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
        raise ValueError(f"PReLU: num_parameters must be a positive int (1 for one slope, C "
                         f"for one per channel); got {num_parameters!r}")
    return make_spec("leaky_relu", {"negative_slope": negative_slope_init},
                     learnable=("negative_slope",),
                     param_shape="scalar" if num_parameters == 1 else "channel",
                     feature_axis=feature_axis, owner="PReLU")


def activation_config(activation: Any) -> Any:
    """The serialisable form of an activation argument: a name or a module's config dict."""
    if activation is None or isinstance(activation, str):
        return activation
    if isinstance(activation, Mapping):
        return dict(activation)
    if isinstance(activation, (tuple, list)):
        return [activation_config(a) for a in activation]
    if isinstance(activation, type) and getattr(activation, "activation_name", ""):
        return activation.activation_name  # a generated class: the default configuration
    if hasattr(activation, "config") and callable(activation.config):
        return activation.config()
    decl = getattr(activation, "declaration", None)
    if isinstance(decl, Activation):
        return decl.name
    if activation is identity:
        return "linear"
    raise TypeError(f"cannot serialise the activation {activation!r}: give it by name, config "
                    "or as a jaxacts module")


def gate_pair(activation: Any) -> tuple[Any, Any]:
    """``(gate, value)`` activations of a gated block: one activation gates a linear value
    branch; a pair follows the t5x/MaxText ``('silu', 'linear')`` convention."""
    if isinstance(activation, (tuple, list)):
        if len(activation) != 2:
            raise ValueError("a gated block takes one activation (for the gate) or a pair "
                             f"(gate, value); got {len(activation)}: {activation!r}")
        return activation[0], activation[1]
    return activation, "linear"


OPTION_DOCS = {
    "learnable": "``False`` (fixed hyperparameters), ``True`` (learn every learnable "
                 "parameter) or the name(s) of the parameters to learn; the hyperparameter "
                 "values are then the initial values.",
    "param_shape": "shape of each learned parameter: ``'scalar'``, ``'channel'`` (one per "
                   "feature on ``feature_axis``) or ``'element'`` (one per input element, batch "
                   "axis excluded); or a dict parameter name -> one of these.",
    "feature_axis": "the input's channel axis for per-channel parameters (default -1).",
    "constraint": "``'reparam'`` (default) keeps a learned parameter with a bounded domain "
                  "valid by learning it through softplus/sigmoid; ``'none'`` stores it as is.",
    "param_dtype": "dtype of the learned parameters (default float32, also for 16-bit inputs).",
    "dtype": "if set, the input is cast to this dtype first (default: the input's dtype).",
}


def class_doc(decl: Activation, api: str, extra: Mapping[str, str]) -> str:
    """The docstring of a generated module class."""
    lines = [f"{decl.summary}", "",
             f"Flax {api} module for :func:`jaxacts.{decl.name}` (it calls that function, so "
             "module and function always agree).", "", ".. math::", "", f"  {decl.formula}", "",
             "Hyperparameters and options (constructor arguments):"]
    for p in decl.params:
        extra_note = "" if p.name in learnable_params(decl) else " Not learnable."
        lines.append(f"  {p.name}: {p.doc} Domain {p.domain_text()}; default {p.default}."
                     f"{extra_note}")
    for s in decl.static:
        lines.append(f"  {s.name}: {s.doc} Static; default {s.default!r}.")
    if learnable_params(decl):
        lines += [f"  {k}: {v}" for k, v in OPTION_DOCS.items() if k not in ("param_dtype",)]
        lines.append(f"  param_dtype: {OPTION_DOCS['param_dtype']}")
    else:
        lines.append(f"  dtype: {OPTION_DOCS['dtype']}")
    lines += [f"  {k}: {v}" for k, v in extra.items()]
    if decl.aux:
        lines += ["", f"Call arguments besides the input: {', '.join(decl.aux)} (passed by "
                  "keyword, as to the function)."]
    return "\n".join(lines) + "\n"


class ModuleClasses:
    """The generated module classes of one Flax API, one per registry entry, built on demand.

    Calling it with an activation name returns that activation's class (aliases resolve;
    unknown names raise ``KeyError`` listing close matches).
    """

    def __init__(self, make: Callable[[Activation], type]) -> None:
        self._make = make
        self._classes: dict[str, type] = {}

    def __call__(self, name: str) -> type:
        decl = registry.declaration(name)
        if decl.name not in self._classes:
            self._classes[decl.name] = self._make(decl)
        return self._classes[decl.name]

    def exports(self, taken: Container[str]) -> dict[str, type]:
        """Class name -> class for every entry and alias, except names in ``taken`` (the
        hand-written classes win)."""
        out: dict[str, type] = {}
        for n in (*registry.names(), *registry.aliases()):
            out.setdefault(class_name(n), self(n))
        return {k: v for k, v in out.items() if k not in taken}

    def find(self, attr: str, module: str) -> type:
        """The class called ``attr`` (for entries registered after import), else
        ``AttributeError``."""
        for n in (*registry.names(), *registry.aliases()):
            if class_name(n) == attr:
                return self(n)
        raise AttributeError(f"module {module!r} has no attribute {attr!r}")


def block_kwargs(config: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of a gated block from its JSON-friendly config."""
    cfg = dict(config)
    cfg.update({k: jnp.dtype(v) for k, v in cfg.items()
                if k in ("dtype", "param_dtype") and v is not None})
    if isinstance(cfg.get("activation"), list):
        cfg["activation"] = tuple(cfg["activation"])
    return cfg
