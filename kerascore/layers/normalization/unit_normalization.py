"""`UnitNormalization`: scales each sample to unit L2 norm."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.layers.normalization.base_normalization import check_axes_in_range, check_axis
from kerascore.saving.serialization import register_builtin


@register_builtin
class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis`: `x / max(||x||, 1e-12)`.

    Args:
        axis: int or list of ints, the axes whose norm becomes 1.

    Input shape:
        Any; output has the same shape.

    Example:
        layer = keras.layers.UnitNormalization()
        layer(np.array([[3.0, 4.0]]))  # [[0.6, 0.8]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_axis("UnitNormalization", axis)
        self.supports_masking = True

    def call(self, inputs):
        square_sum = tf.reduce_sum(tf.square(inputs), axis=self.axis, keepdims=True)
        inverse_norm = tf.minimum(tf.math.rsqrt(square_sum), 1e12)
        return inputs * inverse_norm

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        check_axes_in_range(self, input_shape, axes)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
