"""`GroupedQueryAttention` (`keras.layers.GroupQueryAttention`): attention in which groups of
query heads share one key/value head."""

import math

import tensorflow as tf

from kerascore import constraints, initializers, regularizers
from kerascore.layers.attention.attention_utils import causal_mask, masked_softmax, shape_tuple
from kerascore.layers.core.einsum_dense import EinsumDense
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin, serialize_keras_object


@register_builtin
class GroupedQueryAttention(Layer):
    """Grouped-query attention (Ainslie et al., 2023), weights laid out as in Keras 3.

    `num_query_heads` query heads attend with `num_key_value_heads` key and value heads,
    each shared by `num_query_heads / num_key_value_heads` query heads (multi-query attention
    when it is 1, multi-head attention when it equals `num_query_heads`).

    Args:
        head_dim: the size of each head.
        num_query_heads: the number of query heads.
        num_key_value_heads: the number of key and value heads; divides `num_query_heads`.
        dropout: the dropout rate on the attention weights (training only).
        use_bias: whether the projections have biases.
        sliding_window: if set, each position only attends within this distance.
        flash_attention: must be None or False (no flash kernel in kerascore).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        use_gate: multiply the attention output by a sigmoid gate computed from the query.
        seed: the int seed of the dropout.

    Call arguments:
        query: `(batch, T, dim)`; value: `(batch, S, dim)`; key: `(batch, S, dim)`, `value`
            when omitted.
        query_mask, value_mask, key_mask: bool masks, from the inputs' Keras masks when None.
        attention_mask: `(batch, T, S)` bool, True where attention is allowed.
        return_attention_scores: also return the `(batch, num_query_heads, T, S)` weights.
        training: whether dropout is active.
        use_causal_mask: forbid attending to later positions.

    Example:
        layer = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
                                                 num_key_value_heads=2)
        x = np.ones((2, 5, 8), "float32")
        layer(x, x).shape  # (2, 5, 8)
    """

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        for name, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}"
            )
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"Expected `dropout` in [0, 1). Received: dropout={dropout!r}")
        if flash_attention:
            raise ValueError(
                "Flash attention is not supported by kerascore's TensorFlow implementation. "
                f"Received: flash_attention={flash_attention!r}; pass None or False."
            )
        if sliding_window is not None and (
            isinstance(sliding_window, bool)
            or not isinstance(sliding_window, int)
            or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be None or a positive integer. Received: "
                f"sliding_window={sliding_window!r}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.sliding_window = sliding_window
        self.use_gate = use_gate
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None and isinstance(query, (list, tuple)):
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise ValueError(
                f"Layer '{self.name}' needs a `value` input: call it as layer(query, value)."
            )
        if not self.built:
            shapes = [shape_tuple(query), shape_tuple(value)]
            if key is not None:
                shapes.append(shape_tuple(key))
            self._maybe_build(shapes)
        return super().__call__(query, value, key, **kwargs)

    def _build_takes_list(self):
        return True

    def _projection(self, equation, output_shape, bias_axes, name, activation=None):
        return EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            activation=activation,
            name=name,
            kernel_initializer=type(self.kernel_initializer).from_config(
                self.kernel_initializer.get_config()
            ),
            bias_initializer=type(self.bias_initializer).from_config(
                self.bias_initializer.get_config()
            ),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy.name,
        )

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            query_shape, value_shape, key_shape = (list(query_shape) + [None])[:3]
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.feature_dim = query_shape[-1]
        query_heads = (None, self.num_query_heads, self.head_dim)
        key_value_heads = (None, self.num_key_value_heads, self.head_dim)
        self._query_dense = self._projection("bqm,muh->bquh", query_heads, "uh", "query")
        self._query_dense._maybe_build(query_shape)
        self._key_dense = self._projection("bkm,mvh->bkvh", key_value_heads, "vh", "key")
        self._key_dense._maybe_build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(
                "bqm,muh->bquh", query_heads, "uh", "gate", activation="sigmoid"
            )
            self._gate_dense._maybe_build(query_shape)
        self._value_dense = self._projection("bkm,mvh->bkvh", key_value_heads, "vh", "value")
        self._value_dense._maybe_build(value_shape)
        self._output_dense = self._projection(
            "bquh,uhm->bqm", (None, self.feature_dim), "m", "attention_output"
        )
        self._output_dense._maybe_build((None, None, self.num_query_heads, self.head_dim))
        self.built = True

    def _as_input(self, value):
        value = tf.convert_to_tensor(value) if not tf.is_tensor(value) else value
        if value.dtype.is_floating and value.dtype != self.compute_dtype:
            value = tf.cast(value, self.compute_dtype)
        return value

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        query_mask = getattr(query, "_keras_mask", None) if query_mask is None else query_mask
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is not None and key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        value = self._as_input(value)
        key = value if key is None else self._as_input(key)
        attention_mask = self._attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)
        key = tf.repeat(self._key_dense(key), self.num_repeats, axis=2)
        value = tf.repeat(self._value_dense(value), self.num_repeats, axis=2)
        # Keras zeroes fully masked rows only on its unfused path (dropout or scores
        # requested); its fused path leaves them uniform.
        zero_masked = self.dropout > 0 or return_attention_scores
        query = query * tf.cast(self._inverse_sqrt_head_dim, query.dtype)
        scores = tf.einsum("bquh,bkuh->buqk", query, key)
        mask = None if attention_mask is None else attention_mask[:, None]
        scores = masked_softmax(scores, mask, (3,), zero_masked)
        weights = scores
        if training and self.dropout > 0:
            weights = tf.nn.dropout(scores, rate=self.dropout, seed=self.seed)
        output = tf.einsum("buqk,bkuh->bquh", weights, value)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if self.activity_regularizer is not None:
            batch_size = tf.cast(tf.shape(output)[0], output.dtype)
            self.add_loss(self.activity_regularizer(output) / batch_size)
        if return_attention_scores:
            return output, scores
        return output

    def _attention_mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        """Merges the masks into one `(batch, T, S)` bool mask, None when nothing is masked."""
        auto_mask = None

        def merge(mask):
            return mask if auto_mask is None else tf.logical_and(auto_mask, mask)

        if query_mask is not None:
            auto_mask = tf.expand_dims(tf.cast(query_mask, tf.bool), -1)
        if value_mask is not None:
            auto_mask = merge(tf.expand_dims(tf.cast(value_mask, tf.bool), -2))
        if key_mask is not None:
            auto_mask = merge(tf.expand_dims(tf.cast(key_mask, tf.bool), -2))
        query_length, value_length = tf.shape(query)[1], tf.shape(value)[1]
        if use_causal_mask:
            auto_mask = merge(causal_mask(query_length, value_length))
        if self.sliding_window is not None:
            rows = tf.range(query_length)[None, :, None]
            cols = tf.range(value_length)[None, None, :]
            auto_mask = merge(tf.less(tf.abs(rows - cols), self.sliding_window))
        if attention_mask is not None:
            attention_mask = tf.cast(attention_mask, tf.bool)
            return (
                attention_mask if auto_mask is None else tf.logical_and(attention_mask, auto_mask)
            )
        return auto_mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and query_shape and isinstance(query_shape[0], (list, tuple)):
            query_shape = query_shape[0]
        return tuple(query_shape)

    def compute_mask(self, inputs, previous_mask):
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0]
        return previous_mask

    def get_config(self):
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "sliding_window": self.sliding_window,
            "use_gate": self.use_gate,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
            config[key] = regularizers.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_constraint", "bias_constraint"):
            config[key] = constraints.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_initializer", "bias_initializer"):
            if isinstance(config.get(key), dict):
                config[key] = initializers.deserialize(config[key])
        return cls(**config)


GroupQueryAttention = GroupedQueryAttention
