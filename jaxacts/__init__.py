"""jaxacts: activation functions for JAX and Flax with exact closed-form derivatives.

Every activation is one declaration in the registry (``jaxacts._src``); this module re-exports
the public function of each registered activation (and its aliases), so the export list can
never drift from the registry.
"""

from jaxacts._src import families as _families  # noqa: F401  (registers every activation)
from jaxacts._src.registry import Activation as Activation
from jaxacts._src.registry import Kink as Kink
from jaxacts._src.registry import Param as Param
from jaxacts._src.registry import Reference as Reference
from jaxacts._src.registry import Static as Static
from jaxacts._src.registry import aliases as aliases
from jaxacts._src.registry import declaration as declaration
from jaxacts._src.registry import get as get
from jaxacts._src.registry import info as info
from jaxacts._src.registry import names as names
from jaxacts._src.registry import register as register

__version__ = "0.1.0"

_API = ["Activation", "Kink", "Param", "Reference", "Static", "aliases", "declaration", "get",
        "info", "names", "register", "__version__"]


def _exports() -> dict:
    out = {n: get(n) for n in names()}
    out.update({a: get(a) for a in aliases()})
    return out


globals().update(_exports())
__all__ = sorted([*_API, *_exports(), "initializer_for", "gain"])


_SUBMODULES = ("linen", "nnx", "testing", "init", "diagnostics", "plot", "cli")
_FROM_INIT = ("initializer_for", "gain")


def __getattr__(name: str):
    # Submodules load lazily (flax and matplotlib stay out of ``import jaxacts``), so that
    # ``ja.linen.GELU`` and ``ja.nnx.GELU`` work after a plain ``import jaxacts as ja``.
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FROM_INIT:
        return getattr(importlib.import_module(f"{__name__}.init"), name)
    # Activations registered after import (users' own, via ``register``) are reachable too.
    try:
        return get(name)
    except (KeyError, TypeError):
        raise AttributeError(f"module 'jaxacts' has no attribute {name!r}") from None
