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
from kerascore.initializers import Initializer  # noqa: E402
from kerascore.layers.core.input_layer import Input, InputLayer  # noqa: E402
from kerascore.layers.input_spec import InputSpec  # noqa: E402
from kerascore.layers.layer import Layer, RematScope  # noqa: E402
from kerascore.losses import Loss  # noqa: E402
from kerascore.metrics import Metric  # noqa: E402
from kerascore.mixed_precision import DTypePolicy  # noqa: E402
from kerascore.models import Model, Sequential  # noqa: E402
from kerascore.models.functional import KerasTensor  # noqa: E402
from kerascore.optimizers import Optimizer  # noqa: E402
from kerascore.regularizers import Regularizer  # noqa: E402
from kerascore.utils.dtype_policies import FloatDTypePolicy  # noqa: E402
from kerascore.utils.operation import Function, Operation  # noqa: E402
from kerascore.utils.quantizers import Quantizer  # noqa: E402
from kerascore.utils.scopes import device, name_scope, remat  # noqa: E402
from kerascore.utils.session_utils import clear_session  # noqa: E402
from kerascore.utils.variables import Variable  # noqa: E402

__version__ = "0.1.0"
version = __version__

__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Function",
    "Initializer",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Operation",
    "Optimizer",
    "Quantizer",
    "Regularizer",
    "RematScope",
    "Sequential",
    "Variable",
    "activations",
    "backend",
    "callbacks",
    "clear_session",
    "constraints",
    "datasets",
    "device",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "name_scope",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "remat",
    "saving",
    "utils",
]
