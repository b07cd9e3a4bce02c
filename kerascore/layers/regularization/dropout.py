"""`Dropout`: drops a fraction of inputs in training."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Dropout(Layer):
    """Sets a fraction `rate` of inputs to zero during training and scales the rest up.

    Args:
        rate: float in [0, 1), the fraction of inputs to drop.
        noise_shape: the shape of the binary mask, to drop whole features; None for inputs'.
        seed: an int for reproducible masks.

    Call arguments:
        training: drop only when True (fit passes it; inference does not drop).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(
                f"Invalid value received for argument `rate` of Dropout: expected a float in "
                f"[0, 1). Received: rate={rate!r}"
            )
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        noise_shape = None
        if self.noise_shape is not None:
            dynamic = tf.shape(inputs)
            noise_shape = [
                dynamic[i] if dim is None else dim for i, dim in enumerate(self.noise_shape)
            ]
        return tf.nn.dropout(inputs, rate=self.rate, noise_shape=noise_shape, seed=self.seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }
