"""`Flatten`: each sample to one dimension."""

import math

import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Flatten(Layer):
    """Flattens each sample to one dimension: `(batch, d1, d2, ...)` → `(batch, d1*d2*...)`."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        shape = inputs.shape
        if self.data_format == "channels_first" and shape.rank > 2:
            inputs = tf.transpose(inputs, [0, *range(2, shape.rank), 1])
        flat = self.compute_output_shape(tuple(shape.as_list()))[1]
        if flat is not None:
            return tf.reshape(inputs, (-1, flat))
        return tf.reshape(inputs, (tf.shape(inputs)[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if not rest:
            return (input_shape[0], 1)
        if any(dim is None for dim in rest):
            return (input_shape[0], None)
        return (input_shape[0], int(math.prod(rest)))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
