"""`Pipeline`: applies a list of (preprocessing) layers in turn."""

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


@register_builtin
class Pipeline(Layer):
    """Applies a sequence of layers to an input, one after the other.

    Unlike `Sequential`, a pipeline is a plain layer: it suits preprocessing in `tf.data`
    (`dataset.map(pipeline)`). Its layers run in training mode unless called with
    `training=False`, so augmentations apply when it maps a dataset, as in Keras 3.

    Args:
        layers: a list of layers.

    Example:
        pipeline = keras.layers.Pipeline(
            [keras.layers.RandomFlip(), keras.layers.RandomRotation(0.2)]
        )
        dataset = dataset.map(lambda x, y: (pipeline(x), y))
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(
            isinstance(layer, Layer) for layer in layers
        ):
            raise ValueError(f"`layers` must be a list of layers. Received: layers={layers!r}")
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def build(self, input_shape):
        """Builds each layer on the output shape of the one before, so that the weights
        exist before a model that holds the pipeline is traced or loaded."""
        for layer in self._pipeline_layers:
            if not layer.built:
                layer._maybe_build(input_shape)
            input_shape = layer.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for index, layer in enumerate(self._pipeline_layers):
            kwargs = {"training": training}
            if index == 0 and mask is not None:
                kwargs["mask"] = mask
            outputs = layer(outputs, **kwargs)
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "layers": serialize_keras_object(self._pipeline_layers),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layers = config.pop("layers", None)
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "A Pipeline config needs a `layers` list of serialized layers. Received: "
                f"layers={layers!r}"
            )
        return cls([deserialize_keras_object(layer) for layer in layers], **config)
