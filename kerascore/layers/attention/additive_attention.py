"""`AdditiveAttention`: additive (Bahdanau-style) attention."""

import tensorflow as tf

from kerascore.layers.attention.attention import Attention
from kerascore.layers.layer import cast_to_compute
from kerascore.saving.serialization import register_builtin


@register_builtin
class AdditiveAttention(Attention):
    """Additive attention (Bahdanau-style): scores `sum(scale * tanh(query + key))`.

    Args:
        use_scale: learn a per-feature scale of shape `(dim,)`.
        dropout: dropout rate on the attention weights (training only).

    Call arguments:
        as `Attention`.

    Example:
        q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
        keras.layers.AdditiveAttention()([q, v]).shape  # (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(
                name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform"
            )
        self.built = True

    def _calculate_scores(self, query, key):
        q = tf.expand_dims(query, axis=-2)
        k = tf.expand_dims(key, axis=-3)
        scale = 1.0 if self.scale is None else cast_to_compute(self.scale, self.compute_dtype)
        return tf.reduce_sum(scale * tf.tanh(q + k), axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
