"""`LeakyReLU`: leaky rectified linear unit."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import check_non_negative


@register_builtin
class LeakyReLU(Layer):
    """Leaky ReLU: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Args:
        negative_slope: non-negative float, the slope for negative inputs (`alpha` is
            accepted as its old name).

    Example:
        layers.LeakyReLU(0.1)(np.array([-2.0, 3.0]))  # [-0.2, 3.0]
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = check_non_negative("LeakyReLU", "negative_slope", negative_slope)
        self.supports_masking = True

    def call(self, inputs):
        return tf.nn.leaky_relu(inputs, alpha=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
