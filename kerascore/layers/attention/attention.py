"""`Attention`: dot-product (Luong-style) attention."""

import tensorflow as tf

from kerascore.layers.attention.attention_utils import causal_mask
from kerascore.layers.layer import Layer, cast_to_compute
from kerascore.saving.serialization import register_builtin


@register_builtin
class Attention(Layer):
    """Dot-product attention (Luong-style): `softmax(query @ key^T) @ value`.

    Args:
        use_scale: learn a scalar that multiplies the scores.
        score_mode: `"dot"` (query-key dot product) or `"concat"` (`tanh(query + key)`
            summed over features).
        dropout: dropout rate on the attention weights (training only).
        seed: int seed of the dropout.

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`: `(batch, Tq, dim)`,
            `(batch, Tv, dim)`, `(batch, Tv, dim)`.
        mask: `[query_mask, value_mask]`, `(batch, Tq)` and `(batch, Tv)` bool.
        return_attention_scores: also return the `(batch, Tq, Tv)` weights.
        training: whether dropout is active.
        use_causal_mask: forbid attending to later positions.

    Output shape:
        `(batch, Tq, dim)`.

    Example:
        q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
        keras.layers.Attention()([q, v]).shape  # (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode!r}"
            )
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(
                f"Expected `dropout` to be a float in [0, 1). Received: dropout={dropout!r}"
            )
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.supports_masking = True

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs!r}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(
                f"{name} layer mask must be a list of length 2 or 3, namely "
                f"[query_mask, value_mask]. Received: mask={mask!r}."
            )

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )
        self.built = True

    def _calculate_scores(self, query, key):
        scale = None if self.scale is None else cast_to_compute(self.scale, self.compute_dtype)
        if self.score_mode == "dot":
            scores = tf.matmul(query, key, transpose_b=True)
            return scores if scale is None else scores * scale
        q = tf.expand_dims(query, axis=-2)
        k = tf.expand_dims(key, axis=-3)
        weight = cast_to_compute(self.concat_score_weight, self.compute_dtype)
        summed = q + k if scale is None else scale * (q + k)
        return weight * tf.reduce_sum(tf.tanh(summed), axis=-1)

    def call(
        self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False
    ):
        self._validate_inputs(inputs, mask)
        query = inputs[0]
        value = tf.cast(inputs[1], query.dtype) if inputs[1].dtype != query.dtype else inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = None
        if value_mask is not None:
            scores_mask = tf.expand_dims(tf.cast(value_mask, tf.bool), axis=-2)
        if use_causal_mask:
            shape = tf.shape(scores)
            causal = causal_mask(shape[-2], shape[-1])
            scores_mask = causal if scores_mask is None else tf.logical_and(scores_mask, causal)
        if scores_mask is not None:
            # Keras subtracts a large number rather than replacing the score.
            large = 65504.0 if scores.dtype == tf.float16 else 1.0e9
            scores = tf.where(scores_mask, scores, scores - large)
        weights = tf.nn.softmax(scores, axis=-1)
        applied = weights
        if training and self.dropout > 0:
            applied = tf.nn.dropout(weights, rate=self.dropout, seed=self.seed)
        output = tf.matmul(applied, value)
        if query_mask is not None:
            keep = tf.expand_dims(tf.cast(query_mask, tf.bool), -1)
            output = tf.where(keep, output, tf.zeros_like(output))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, previous_mask=None):
        if not previous_mask or not isinstance(previous_mask, (list, tuple)):
            return None
        return previous_mask[0]

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[0])[:-1], input_shape[1][-1])

    def get_config(self):
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }
