"""`Identity`: returns its input unchanged."""

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Identity(Layer):
    """Returns its input unchanged."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
