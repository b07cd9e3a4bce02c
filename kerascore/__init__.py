"""kerascore: the Keras API implemented on TensorFlow's own primitives.

import kerascore as keras
"""

from kerascore._bootstrap import import_tensorflow_without_keras

import_tensorflow_without_keras()

from kerascore import (  # noqa: E402
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
)
from kerascore.layers.core.input_layer import Input, InputLayer  # noqa: E402
from kerascore.layers.input_spec import InputSpec  # noqa: E402
from kerascore.layers.layer import Layer, clear_session  # noqa: E402
from kerascore.models import Model, Sequential  # noqa: E402

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
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "saving",
    "utils",
]
