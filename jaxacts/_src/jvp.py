"""The one helper that turns an :class:`Activation` declaration into a public function.

The public function:
  * checks its arguments in plain Python (concrete parameter values against their domains,
    static choices, the declaration's own ``validate`` hook) and raises errors that name the
    argument, the value and what is allowed;
  * promotes integer/bool inputs to the default float dtype, casts parameters to the input's
    dtype, and for bfloat16/float16 computes in float32 and rounds once;
  * calls a ``jax.jit``-compiled core whose derivative is a ``jax.custom_jvp`` rule made from
    the declaration's closed-form tangent rules (``symbolic_zeros=True``, so a parameter that
    is not differentiated costs nothing).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from jaxacts._src.math import rounded_to_16bit
from jaxacts._src.registry import Activation, Param

_LOW_PRECISION = (jnp.dtype(jnp.bfloat16), jnp.dtype(jnp.float16))


def is_zero(t: Any) -> bool:
    """True for a symbolic-zero tangent (an input that is not being differentiated)."""
    return isinstance(t, SymbolicZero)


def compute_dtype(dtype: Any) -> Any:
    """The dtype a computation for inputs of ``dtype`` runs in (float32 for 16-bit floats)."""
    dtype = jnp.dtype(dtype)
    return jnp.dtype(jnp.float32) if dtype in _LOW_PRECISION else dtype


def default_float() -> Any:
    """The default float dtype (float32, or float64 when ``jax_enable_x64`` is on)."""
    return jnp.zeros((), dtype=float).dtype


def as_float_array(x: Any, fname: str, argname: str = "x") -> jax.Array:
    """Convert ``x`` to a floating array; integers and bools become the default float dtype."""
    if isinstance(x, (bool, int)) and not isinstance(x, jax.core.Tracer):
        return jnp.asarray(float(x))  # a Python scalar stays weakly typed
    if isinstance(x, float):
        return jnp.asarray(x)
    try:
        arr = jnp.asarray(x)
    except TypeError as e:
        raise TypeError(
            f"{fname}: {argname} must be an array or a number, got {type(x).__name__}"
        ) from e
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        raise TypeError(
            f"{fname}: {argname} has complex dtype {arr.dtype}; jaxacts activations take real "
            "floating, integer or bool inputs"
        )
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(default_float())
    return arr


def _check_param(decl: Activation, p: Param, value: Any) -> Any:
    if isinstance(value, jax.core.Tracer):
        return value
    if value is None:
        raise TypeError(f"{decl.name}: {p.name} must be a number or an array, got None")
    try:
        arr = np.asarray(value)
    except Exception as e:  # pragma: no cover - exotic objects
        raise TypeError(f"{decl.name}: {p.name} must be a number or an array, got {value!r}") from e
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(
            f"{decl.name}: {p.name} must be a real number or array, got {value!r} "
            f"({type(value).__name__})"
        )
    bad = ~p.contains(arr)
    if np.any(bad):
        shown = value if arr.ndim == 0 else f"an array with {int(np.sum(bad))} value(s) outside"
        raise ValueError(
            f"{decl.name}: {p.name} must be in {p.domain_text()}, got {shown}"
        )
    return value


def _check_static(decl: Activation, name: str, value: Any) -> Any:
    spec = next(s for s in decl.static if s.name == name)
    if isinstance(value, list):
        value = tuple(value)
    if spec.choices is not None and value not in spec.choices:
        raise ValueError(
            f"{decl.name}: {name} must be one of {', '.join(map(repr, spec.choices))}; "
            f"got {value!r}"
        )
    try:
        hash(value)
    except TypeError as e:
        raise TypeError(f"{decl.name}: {name} must be hashable (static), got {value!r}") from e
    return value


def normalize_axis(fname: str, axis: Any, ndim: int, argname: str = "axis") -> tuple[int, ...]:
    """Normalize an int-or-tuple ``axis`` for an ``ndim`` array; raise a clear error if bad."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{fname}: {argname} must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{fname}: {argname}={axis!r} is out of range for an array of {ndim} "
                f"dimension(s); allowed: -{ndim} to {ndim - 1}"
            )
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}: {argname}={axis!r} repeats an axis")
    return tuple(sorted(out))


def _signature(decl: Activation) -> inspect.Signature:
    P = inspect.Parameter
    params = [P(decl.arg_name, P.POSITIONAL_OR_KEYWORD)]
    defaults: dict[str, Any] = {p.name: p.default for p in decl.params}
    defaults.update({s.name: s.default for s in decl.static})
    defaults.update({a: None for a in decl.aux})
    order = decl.order or tuple(defaults)
    if sorted(order) != sorted(defaults):
        raise ValueError(f"{decl.name}: order {order} does not name each argument once")
    kwonly = set(decl.keyword_only)
    for n in order:
        kind = P.KEYWORD_ONLY if n in kwonly else P.POSITIONAL_OR_KEYWORD
        params.append(P(n, kind, default=defaults[n]))
    return inspect.Signature(params)


def _make_custom_jvp(decl: Activation, static_items: tuple, present: tuple,
                     consts: tuple = (), to16: bool = False, checked: bool = False) -> Callable:
    """``consts``: ``(index, value)`` of the parameters given as one of their ``fast_values``
    (Python floats the rules see as such, with no tangent); the others are arguments.
    ``to16``: the float32 result will be rounded to a 16-bit float; the rules are traced
    under :func:`jaxacts._src.math.rounded_to_16bit` (they may skip corrections below that
    rounding)."""
    static = dict(static_items)
    fixed = dict(consts)
    n_p = len(decl.params) - len(fixed)
    p_rules = _dynamic(decl.param_tangents or (None,) * len(decl.params), consts)
    guard = decl.guards_nan

    def unpack(args: tuple) -> tuple[Any, tuple, dict]:
        it = iter(args[1 + n_p:])
        auxd = {n: (next(it) if pr else None) for n, pr in zip(decl.aux, present, strict=True)}
        given = iter(args[1:1 + n_p])
        ps = tuple(fixed[i] if i in fixed else next(given) for i in range(len(decl.params)))
        return args[0], ps, auxd

    # The built-in rules are always traced (inside ``core``'s jit), and traced with jit
    # disabled: every ``jax.numpy`` function and operator is itself a jit-wrapped function,
    # whose dispatch while tracing cost about 0.3 ms per op against 0.1 ms for the primitive it
    # inlines to.  The program is the same (1952 values and derivatives of every entry bit for
    # bit); lowering is 1.3-2x faster (silu's forward+backward 141 -> 72 ms, tanh 84 -> 42,
    # cold caches).  Not for a user's declaration: with jit disabled, ``lax.fori_loop`` and
    # ``lax.scan`` unroll into the program (the built-in rules have none; the sparse maps'
    # ``lax.while_loop`` stays a loop: its Python path stops at the traced condition).
    trace = jax.disable_jit if _internal(decl) else contextlib.nullcontext

    @jax.custom_jvp
    def f(*args):
        x, ps, auxd = unpack(args)
        with rounded_to_16bit(to16), trace():
            return decl.fn(x, *ps, **static, **auxd)

    def rule(primals, tangents):
        with rounded_to_16bit(to16), trace():
            return _rule(primals, tangents)

    def _rule(primals, tangents):
        x, ps, auxd = unpack(primals)
        y = f(*primals)
        out = None
        tangent = decl.tangent
        if guard:
            # A where-based rule drops a NaN input's NaN; multiply by the diagonal derivative
            # with NaN put back where the output is NaN.  (A where on the tangent itself would
            # make the transpose compute 0 * NaN.)  The NaN branch is built so that its own
            # derivative is NaN where y is NaN and exactly 0 elsewhere: differentiating y itself
            # would give 0 * inf = NaN second derivatives wherever f' overflows.
            # ``checked``: every parameter was a concrete value, checked to lie in its domain
            # (never NaN), so y is NaN exactly where x is, and the test reads x, which the rule
            # reads anyway: reading y made XLA's backward loop stream one more array (hard_tanh's
            # and leaky_relu's forward+backward 5.6-5.7 ms against jax.nn's 4.3-4.4 at 2^22
            # float32 on the CPU; 5.0 reading x).  A traced parameter may be NaN: y then.
            def tangent(t, x, y, *ps, **kw):
                d = decl.tangent(jnp.ones_like(y), x, y, *ps, **kw)
                v = x if checked else y
                nan = jax.lax.stop_gradient(jnp.where(jnp.isnan(v), v, 0))
                return t * jnp.where(jnp.isnan(v), nan * (1 + x - jax.lax.stop_gradient(x)), d)
        terms = [(tangent, tangents[0])] + list(zip(p_rules, tangents[1:1 + n_p], strict=True))
        given = [n for n, pr in zip(decl.aux, present, strict=True) if pr]
        terms += [(decl.aux_tangents.get(n), t)
                  for n, t in zip(given, tangents[1 + n_p:], strict=True)]
        for r, t in terms:
            if r is None or is_zero(t):
                continue
            term = r(t, x, y, *ps, **static, **auxd)
            out = term if out is None else jax.tree.map(jnp.add, out, term)
        if out is None:
            out = jax.tree.map(jnp.zeros_like, y)
        return y, out

    f.defjvp(rule, symbolic_zeros=True)
    return f


def _internal(decl: Activation) -> bool:
    """Whether every rule of ``decl`` is defined in jaxacts' own modules (a built-in entry)."""
    rules = [decl.fn, decl.tangent, *(decl.param_tangents or ()), *decl.aux_tangents.values()]
    return all(r is None or getattr(r, "__module__", "").startswith("jaxacts._src.")
               for r in rules)


def _dynamic(seq: Any, consts: tuple) -> list:
    """The entries of a per-parameter sequence for the parameters not passed as constants."""
    fixed = {i for i, _ in consts}
    return [v for i, v in enumerate(seq) if i not in fixed]


def _finite(v: Any) -> bool:
    """A concrete parameter value with no infinity (nor NaN); False for a tracer."""
    return not isinstance(v, jax.core.Tracer) and bool(np.all(np.isfinite(np.asarray(v))))


def _is_fast(p: Param, v: Any) -> bool:
    return (bool(p.fast_values) and isinstance(v, int | float) and not isinstance(v, bool)
            and float(v) in p.fast_values)


def build(decl: Activation) -> Callable[..., jax.Array]:
    """Turn a declaration into its public, jit-compiled function."""
    sig = _signature(decl)
    make = functools.lru_cache(maxsize=None)(functools.partial(_make_custom_jvp, decl))
    static_names = tuple(s.name for s in decl.static)

    @functools.partial(jax.jit, static_argnames=("static_items", "present", "consts", "checked"))
    def core(x, params, aux, static_items, present, consts, checked):
        dt = x.dtype
        cdt = compute_dtype(dt) if decl.upcast else dt
        if x.dtype != cdt:
            x = x.astype(cdt)
        params = tuple(p if p.dtype == cdt else p.astype(cdt) for p in params)
        if decl.kind == "elementwise" and params:
            shape = jnp.broadcast_shapes(
                x.shape, *(p.shape for p, s in zip(params, _dynamic(decl.params, consts),
                                                    strict=True) if s.broadcast))
            if x.shape != shape:
                x = jnp.broadcast_to(x, shape)
        y = make(static_items, present, consts, cdt != dt, checked)(x, *params, *aux)
        return jax.tree.map(lambda v: v.astype(dt) if v.dtype == cdt and cdt != dt else v, y)

    def public(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{decl.name}{sig}: {e}") from None
        bound.apply_defaults()
        a = bound.arguments
        x = as_float_array(a[decl.arg_name], decl.name, decl.arg_name)
        params = [_check_param(decl, p, a[p.name]) for p in decl.params]
        statics = {n: _check_static(decl, n, a[n]) for n in static_names}
        auxd = {n: a[n] for n in decl.aux}
        if decl.validate is not None:
            # The hook may normalize statics (e.g. axis) by returning a dict of replacements.
            upd = decl.validate(x, *params, **statics, **auxd)
            if upd:
                statics.update({k: v for k, v in upd.items() if k in statics})
                auxd.update({k: v for k, v in upd.items() if k in auxd})
        # A Python number equal to one of a parameter's fast_values (silu's beta = 1) is passed
        # to the rules as that float: they may take a cheaper, exact path for it.
        consts = tuple((i, float(v)) for i, (p, v) in enumerate(zip(decl.params, params,
                                                                    strict=True))
                       if _is_fast(p, v))
        # Every parameter concrete (checked against its domain above, which never holds NaN)
        # and finite: y is NaN only where x is, and the NaN guard may read x.  (Only where
        # there is a guard: elsewhere the flag would split the jit cache for nothing.)
        checked = decl.guards_nan and all(_finite(p) for p in params)
        params = [jnp.asarray(p) for p in _dynamic(params, consts)]
        params = [p if jnp.issubdtype(p.dtype, jnp.floating) else p.astype(x.dtype)
                  for p in params]
        present = tuple(v is not None for v in auxd.values())
        aux = tuple(jnp.asarray(v) if not _is_key(v) else v for v in auxd.values()
                    if v is not None)
        return core(x, tuple(params), aux, tuple(statics.items()), present, consts, checked)

    public.__name__ = decl.name
    public.__qualname__ = decl.name
    public.__module__ = "jaxacts"
    public.__signature__ = sig  # type: ignore[attr-defined]
    public.__doc__ = docstring(decl)
    public.declaration = decl  # type: ignore[attr-defined]
    return public


def _is_key(v: Any) -> bool:
    return isinstance(v, jax.Array) and jnp.issubdtype(v.dtype, jax.dtypes.prng_key)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:g}"
    return repr(v)


def docstring(decl: Activation) -> str:
    """Generate the docstring of an activation from its declaration."""
    indent = "  "
    lines = [decl.summary, ""]
    lines += [".. math::", "", indent + decl.formula, ""]
    lines += ["Derivative:", "", ".. math::", "", indent + decl.derivative, ""]
    if decl.kinks:
        lines.append("Kinks (points where the function is not differentiable) and the "
                     "derivative jaxacts gives there:")
        lines.append("")
        for k in decl.kinks:
            at = "a parameter-dependent point" if callable(k.at) else f"x = {_fmt(float(k.at))}"
            g = "see note" if callable(k.grad) else _fmt(float(k.grad))
            cond = (" (" + ", ".join(f"{n}={v!r}" for n, v in k.static.items()) + ")"
                    if k.static else "")
            note = f" {k.note}" if k.note else ""
            lines.append(f"* at {at}{cond}: derivative {g}.{note}")
        lines.append("")
    lo, hi = decl.output_range
    lines.append(f"Output range (default parameters): ({_fmt(lo)}, {_fmt(hi)}). "
                 f"{'Monotonic' if decl.monotonic else 'Not monotonic'}; "
                 + ("smooth (C-infinity)." if decl.smoothness == math.inf else
                    "discontinuous." if decl.smoothness < 0 else
                    f"C^{int(decl.smoothness)}."))
    lines.append("")
    if decl.notes:
        lines += [decl.notes.strip(), ""]
    lines.append("Args:")
    lines.append(f"{indent}{decl.arg_name}: input array (floating; integer and bool inputs "
                 "are promoted to the default float dtype).")
    docs = {p.name: f"{p.doc} Array-like, differentiable; domain {p.domain_text()}; "
            f"default {_fmt(p.default)}." for p in decl.params}
    docs.update({s.name: f"{s.doc} Static; default {s.default!r}." for s in decl.static})
    docs.update({n: decl.aux_doc.get(n, "optional array.") for n in decl.aux})
    for n in (decl.order or tuple(docs)):
        lines.append(f"{indent}{n}: {docs[n].strip()}")
    lines.append("")
    lines.append("Returns:")
    lines.append(f"{indent}{decl.returns}")
    lines.append("")
    if decl.example:
        lines += ["Example:", ""]
        lines += [indent + ln for ln in decl.example.strip().splitlines()]
        lines.append("")
    if decl.reference:
        lines += ["References:", f"{indent}{decl.reference}", ""]
    see = [f"``{lib}``: ``{n}``" for lib, n in decl.anchors.items() if n]
    if see:
        lines += ["See also:", indent + "; ".join(see), ""]
    return "\n".join(lines).rstrip() + "\n"
