"""Layers: `from kerascore import layers` / `keras.layers.Dense(...)`."""

from kerascore.layers.core import (
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    Lambda,
    Reshape,
)
from kerascore.models.input import Input, InputLayer
from kerascore.models.layer import InputSpec, Layer

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "Lambda",
    "Layer",
    "Reshape",
]
