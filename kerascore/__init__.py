"""kerascore: the Keras API implemented on TensorFlow's own primitives.

    import kerascore as keras
"""

from kerascore import (
    activations,
    backend,
    callbacks,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from kerascore.models import Model, Sequential
from kerascore.models.input import Input, InputLayer
from kerascore.models.layer import InputSpec, Layer, clear_session

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
    "models",
    "optimizers",
    "regularizers",
    "saving",
    "utils",
]
