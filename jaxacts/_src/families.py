"""Imports every family module, in catalogue order, so that each registers its activations."""

# isort: off
from jaxacts._src import (  # noqa: F401
    rectifiers,
    sigmoids,
    smooth,
    shrink,
    adaptive,
    periodic,
    rational,
    surrogate,
    gated,
    normalizers,
)
# isort: on
