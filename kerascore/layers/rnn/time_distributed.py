"""`TimeDistributed`: applies a layer to every timestep."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


@register_builtin
class TimeDistributed(Layer):
    """Applies a layer to every timestep of its input independently.

    Args:
        layer: the layer to apply to each `(batch, ...)` slice of `(batch, timesteps, ...)`.

    Example:
        layer = keras.layers.TimeDistributed(keras.layers.Dense(4))
        layer(np.ones((2, 5, 3))).shape  # (2, 5, 4)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a layer instance. "
                f"Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` layer should be passed an `input_shape` with at least 3 "
                f"dimensions. Received: input_shape={input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._maybe_build(self._child_input_shape(tuple(input_shape)))
        self.built = True

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_input_shape(tuple(input_shape)))
        return (child[0], input_shape[1], *child[1:])

    def call(self, inputs, training=None, mask=None):
        # Folding time into the batch runs the layer once: the same maths as once per step.
        shape = tf.shape(inputs)
        batch, steps = shape[0], shape[1]
        folded = tf.reshape(inputs, tf.concat([[-1], shape[2:]], axis=0))
        folded.set_shape((None, *inputs.shape[2:]))
        kwargs = {}
        if self.layer._call_takes_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_takes_mask:
            kwargs["mask"] = tf.reshape(mask, tf.concat([[-1], tf.shape(mask)[2:]], axis=0))
        outputs = self.layer(folded, **kwargs)
        out_shape = tf.shape(outputs)
        unfolded = tf.reshape(outputs, tf.concat([[batch, steps], out_shape[1:]], axis=0))
        unfolded.set_shape((inputs.shape[0], inputs.shape[1], *outputs.shape[1:]))
        return unfolded

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects)
        return cls(layer, **config)
