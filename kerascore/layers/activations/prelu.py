"""`PReLU`: parametric ReLU with a learned slope."""

import numpy as np
import tensorflow as tf

from kerascore import constraints, initializers, regularizers
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer, cast_to_compute
from kerascore.saving.serialization import register_builtin, serialize_keras_object


@register_builtin
class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with `alpha` learned.

    Args:
        alpha_initializer: initializer of the weights `alpha` (zeros by default).
        alpha_regularizer: penalty on `alpha` added to the loss.
        alpha_constraint: projection applied to `alpha` after each update.
        shared_axes: axes (1-based, not the batch axis) along which one `alpha` is shared,
            e.g. `[1, 2]` for one slope per channel of `(batch, h, w, channels)` images.

    Example:
        layers.PReLU(shared_axes=[1, 2])(np.ones((2, 4, 4, 3))).shape  # (2, 4, 4, 3)
    """

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, (int, np.integer)) and a >= 1 for a in axes):
                raise ValueError(
                    "Expected `shared_axes` of PReLU to be positive ints (axis 0 is the batch). "
                    f"Received: shared_axes={shared_axes!r}"
                )
            self.shared_axes = [int(a) for a in axes]
        self.supports_masking = True

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(
                    f"shared_axes={self.shared_axes} of layer '{self.name}' is out of range for "
                    f"inputs of shape {tuple(input_shape)}."
                )
            param_shape[axis - 1] = 1
        if any(dim is None for dim in param_shape):
            raise ValueError(
                f"Layer '{self.name}' needs defined sizes for all non-shared axes. Received "
                f"input shape {tuple(input_shape)}; share the undefined axes with shared_axes."
            )
        self.alpha = self.add_weight(
            name="alpha",
            shape=param_shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        axes = {}
        if self.shared_axes:
            axes = {
                i: input_shape[i] for i in range(1, len(input_shape)) if i not in self.shared_axes
            }
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        alpha = cast_to_compute(self.alpha, self.compute_dtype)
        return tf.nn.relu(inputs) - alpha * tf.nn.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": serialize_keras_object(self.alpha_regularizer),
            "alpha_constraint": serialize_keras_object(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
