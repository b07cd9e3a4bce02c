"""`Masking`: masks timesteps equal to a value."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`.

    A timestep is kept (mask True) when any of its features differs from `mask_value`; masked
    timesteps are set to zero, and layers that support masking (recurrent layers, pooling,
    attention) skip them.

    Args:
        mask_value: the padding value, `0.0` by default.

    Input shape:
        `(batch, timesteps, features)` (any rank of at least 2).

    Output shape:
        Same as the input; the mask is `(batch, timesteps)`.

    Example:
        inputs = np.random.random((2, 5, 3)).astype("float32")
        inputs[0, 3:] = 0.0
        model = keras.Sequential([keras.layers.Masking(0.0), keras.layers.LSTM(4)])
        model(inputs).shape  # (2, 4), sample 0 stops after its third step
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise ValueError(
                f"Expected a number for argument `mask_value` of Masking. Received: "
                f"mask_value={mask_value!r}"
            )
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return tf.reduce_any(tf.not_equal(inputs, self._value_like(inputs)), axis=-1)

    def call(self, inputs):
        keep = tf.reduce_any(tf.not_equal(inputs, self._value_like(inputs)), axis=-1, keepdims=True)
        return tf.where(keep, inputs, tf.zeros_like(inputs))

    def _value_like(self, inputs):
        return tf.cast(self.mask_value, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
