"""kerascore: the Keras API implemented on TensorFlow's own primitives.

import kerascore as keras
"""

import importlib
import importlib.util

from kerascore._bootstrap import import_tensorflow_without_keras

import_tensorflow_without_keras()

from kerascore import (  # noqa: E402
    activations,
    backend,
    callbacks,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from kerascore.models import Model, Sequential  # noqa: E402
from kerascore.models.input import Input, InputLayer  # noqa: E402
from kerascore.models.layer import InputSpec, Layer, clear_session  # noqa: E402

_OPTIONAL_MODULES = ("ops", "random")
for _name in _OPTIONAL_MODULES:
    if importlib.util.find_spec(f"kerascore.{_name}") is not None:
        globals()[_name] = importlib.import_module(f"kerascore.{_name}")

__version__ = "0.1.0"
version = __version__

__all__ = [
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "clear_session",
    "constraints",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "optimizers",
    "regularizers",
    "saving",
    "utils",
]
