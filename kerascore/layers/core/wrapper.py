"""`Wrapper`: the base of layers that wrap another layer."""

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


@register_builtin
class Wrapper(Layer):
    """A layer that holds another layer and adds behaviour around it (the base of
    `SpectralNormalization`); subclass it and implement `call`.

    Args:
        layer: the wrapped layer.

    Example:
        class Doubled(keras.layers.Wrapper):
            def call(self, inputs):
                return 2 * self.layer(inputs)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Wrapper expects a layer to wrap. Received: layer={layer!r} of type "
                f"{type(layer).__name__}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build(input_shape)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects)
        return cls(layer, **config)
