"""`Reshape`: each sample to a new shape."""

import math

import numpy as np
import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Reshape(Layer):
    """Reshapes each sample to `target_shape` (batch dimension kept; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for dim in target_shape if dim == -1) > 1 or any(
            not isinstance(dim, (int, np.integer)) or (dim < 1 and dim != -1)
            for dim in target_shape
        ):
            raise ValueError(
                "Expected target_shape of positive ints with at most one -1. Received: "
                f"target_shape={target_shape}"
            )
        self.target_shape = target_shape

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        target = list(self.target_shape)
        if any(dim is None for dim in rest):
            return (input_shape[0], *[None if d == -1 else d for d in target])
        total = math.prod(rest)
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if total % known:
                raise ValueError(self._mismatch(input_shape))
            target[target.index(-1)] = total // known
        elif known != total:
            raise ValueError(self._mismatch(input_shape))
        return (input_shape[0], *target)

    def _mismatch(self, input_shape):
        return (
            f"Layer '{self.name}': cannot reshape input of shape {tuple(input_shape)} "
            f"({math.prod(input_shape[1:])} values per sample) to target_shape "
            f"{self.target_shape}."
        )

    def call(self, inputs):
        return tf.reshape(inputs, (tf.shape(inputs)[0], *self.target_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
