"""Layers: `from kerascore import layers` / `keras.layers.Dense(...)`.

Every layer module lists its public layers in `__all__`; they are re-exported here.
"""

import importlib

from kerascore.models.input import Input, InputLayer
from kerascore.models.layer import InputSpec, Layer

_LAYER_MODULES = (
    "core",
    "activations",
    "conv",
    "pooling",
    "normalization",
    "merging",
    "reshaping",
    "regularization",
    "masking",
    "recurrent",
    "attention",
    "preprocessing",
)

__all__ = ["Input", "InputLayer", "InputSpec", "Layer"]

for _name in _LAYER_MODULES:
    _module = importlib.import_module(f"kerascore.layers.{_name}")
    for _public in _module.__all__:
        globals()[_public] = getattr(_module, _public)
        __all__.append(_public)
