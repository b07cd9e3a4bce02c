"""`Activation`: applies an activation function."""

from kerascore import activations
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Activation(Layer):
    """Applies an activation function, e.g. `Activation("relu")`."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
