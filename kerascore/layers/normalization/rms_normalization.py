"""`RMSNormalization`: divides by the root mean square."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.layers.normalization.base_normalization import (
    axes_and_broadcast,
    check_axes_in_range,
    check_axis,
    check_epsilon,
    sorted_axes,
    to_float32,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RMSNormalization(Layer):
    """Root-mean-square normalization: `x * rsqrt(mean(x**2) + epsilon) * scale`.

    Args:
        axis: int or list of ints, the axes to normalize over.
        epsilon: a small positive float added to the mean square.

    Input shape:
        Any; output has the same shape.

    Example:
        layer = keras.layers.RMSNormalization()
        layer(np.random.rand(2, 5)).shape  # (2, 5)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_axis("RMSNormalization", axis)
        self.epsilon = check_epsilon("RMSNormalization", epsilon)

    def _axes(self):
        return sorted_axes(self.axis)

    def build(self, input_shape):
        check_axes_in_range(self, input_shape, self._axes())
        shape = tuple(input_shape[a] for a in self._axes())
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, inputs):
        compute_dtype = inputs.dtype
        inputs = to_float32(inputs)
        axes, broadcast = axes_and_broadcast(inputs, self._axes())
        mean_square = tf.reduce_mean(tf.square(inputs), axis=axes, keepdims=True)
        outputs = inputs * tf.math.rsqrt(mean_square + self.epsilon)
        outputs = outputs * tf.reshape(tf.cast(self.scale, inputs.dtype), broadcast)
        return tf.cast(outputs, compute_dtype)

    def compute_output_shape(self, input_shape):
        check_axes_in_range(self, input_shape, self._axes())
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
