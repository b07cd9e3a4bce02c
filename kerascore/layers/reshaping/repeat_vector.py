"""`RepeatVector`: repeats a vector n times."""

import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import positive_int


@register_builtin
class RepeatVector(Layer):
    """Repeats a `(batch, features)` input `n` times: output `(batch, n, features)`.

    Args:
        n: positive int, the number of repetitions.

    Example:
        layers.RepeatVector(3)(np.ones((2, 4))).shape  # (2, 3, 4)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int("n", n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return tf.repeat(tf.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
