"""`MultiHeadAttention`: scaled dot-product attention over several heads."""

import math

import numpy as np
import tensorflow as tf

from kerascore import constraints, initializers, regularizers
from kerascore.layers.attention.attention_utils import causal_mask, masked_softmax, shape_tuple
from kerascore.layers.attention.einsum_projection import (
    EinsumProjection,
    attention_equations,
    projection_equation,
)
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin, serialize_keras_object


@register_builtin
class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017), weights laid out as in Keras 3.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value, `key_dim` when None.
        dropout: dropout rate on the attention weights (training only).
        use_bias: whether the projections have biases.
        output_shape: size(s) of the output's trailing dimensions; the query's last
            dimension when None.
        attention_axes: axes over which attention runs (all between batch and features by
            default).
        sliding_window: if set, each position only attends within this distance.
        use_gate: multiply the attention output by a sigmoid gate computed from the query.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        seed: int seed of the dropout.

    Call arguments:
        query: `(batch, T, dim)`; value: `(batch, S, dim)`; key: `(batch, S, dim)`, `value`
            when omitted. (`[query, value]` or `[query, value, key]` as one list also works.)
        query_mask, value_mask, key_mask: `(batch, T)` / `(batch, S)` bool; taken from the
            inputs' Keras masks when omitted.
        attention_mask: `(batch, T, S)` bool, True where attention is allowed.
        return_attention_scores: also return the `(batch, num_heads, T, S)` weights.
        training: whether dropout is active.
        use_causal_mask: forbid attending to later positions (decoders).

    Output shape:
        `(batch, T, dim)` (or `output_shape`), plus the scores if requested.

    Example:
        layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        x = np.ones((2, 5, 8), "float32")
        layer(x, x).shape  # (2, 5, 8)
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
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
        for argument, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Received an invalid value for argument `{argument}` of "
                    f"MultiHeadAttention: expected a positive integer. Received: "
                    f"{argument}={value!r}"
                )
        if value_dim is not None and (
            not isinstance(value_dim, (int, np.integer)) or (value_dim <= 0)
        ):
            raise ValueError(
                "Received an invalid value for argument `value_dim`: expected a positive "
                f"integer or None. Received: value_dim={value_dim!r}"
            )
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(
                f"Expected `dropout` to be a float in [0, 1). Received: dropout={dropout!r}"
            )
        if flash_attention:
            raise ValueError(
                "Flash attention is not supported by kerascore's TensorFlow implementation. "
                f"Received: flash_attention={flash_attention!r}; pass None or False."
            )
        if sliding_window is not None and (
            not isinstance(sliding_window, int) or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be None or a positive integer. Received: "
                f"sliding_window={sliding_window!r}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(int(dim) for dim in output_shape)
            except (TypeError, ValueError):
                raise ValueError(
                    "`output_shape` should be an int, or a tuple or list of ints. Received: "
                    f"output_shape={output_shape!r}"
                ) from None
        self.output_shape_arg = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple. Received: "
                f"attention_axes={attention_axes!r}"
            )
        self.attention_axes = tuple(attention_axes) if attention_axes is not None else None
        self.sliding_window = sliding_window
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self.key_dim))

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None and isinstance(query, (list, tuple)):
            if len(query) not in (2, 3):
                raise ValueError(
                    "MultiHeadAttention called on a list expects [query, value] or "
                    f"[query, value, key]. Received a list of {len(query)} inputs."
                )
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

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            query_shape, value_shape, key_shape = (list(query_shape) + [None])[:3]
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        common = dict(
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy.name,
        )

        def projection(rank, last_dims, name, shape, activation=None):
            equation, bias_axes, output_rank = projection_equation(rank - 1, 1, 2)
            layer = EinsumProjection(
                equation,
                [None] * (output_rank - 1 - len(last_dims)) + list(last_dims),
                bias_axes if self.use_bias else None,
                name=name,
                activation=activation,
                **common,
            )
            layer._maybe_build(shape)
            return layer

        heads = self.num_heads
        self._query_dense = projection(
            len(query_shape), [heads, self.key_dim], "query", query_shape
        )
        self._key_dense = projection(len(key_shape), [heads, self.key_dim], "key", key_shape)
        if self.use_gate:
            self._gate_dense = projection(
                len(query_shape), [heads, self.value_dim], "gate", query_shape, tf.sigmoid
            )
        self._value_dense = projection(
            len(value_shape), [heads, self.value_dim], "value", value_shape
        )
        rank = len(query_shape) + 1
        if self.attention_axes is None:
            self.attention_axes = tuple(range(1, rank - 2))
        else:
            self.attention_axes = tuple(
                a if a >= 0 else (rank - 1) + a for a in self.attention_axes
            )
        self._dot_product_equation, self._combine_equation, scores_rank = attention_equations(
            rank, self.attention_axes
        )
        self._softmax_axes = tuple(range(scores_rank - len(self.attention_axes), scores_rank))
        output_shape = self.output_shape_arg or (query_shape[-1],)
        equation, bias_axes, output_rank = projection_equation(
            len(query_shape) - 1, 2, len(output_shape)
        )
        self._output_dense = EinsumProjection(
            equation,
            [None] * (output_rank - 1 - len(output_shape)) + list(output_shape),
            bias_axes if self.use_bias else None,
            name="attention_output",
            **common,
        )
        self._output_dense._maybe_build(
            (*self._query_dense.compute_output_shape(query_shape)[:-1], self.value_dim)
        )
        self.built = True

    @property
    def query_dense(self):
        return self._query_dense

    @property
    def key_dense(self):
        return self._key_dense

    @property
    def value_dense(self):
        return self._value_dense

    @property
    def output_dense(self):
        return self._output_dense

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
        attention_mask = self._compute_attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        output, scores = self._compute_attention(
            query, key, value, attention_mask, training, return_attention_scores
        )
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(output))
        if return_attention_scores:
            return output, scores
        return output

    def _compute_attention_mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        """Merges the query/value/key masks, the causal and window masks and `attention_mask`
        into one `(batch, T, S)` bool mask (None when nothing is masked)."""
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

    def _compute_attention(
        self, query, key, value, attention_mask=None, training=None, return_attention_scores=False
    ):
        """Scaled dot-product attention of projected `(B, T, N, key_dim)` tensors.

        Returns:
            `(attention_output, attention_scores)`.
        """
        # Keras zeroes fully masked rows only on its unfused path (dropout, scores requested,
        # or more than one attention axis); its fused path leaves them uniform.
        zero_masked = self.dropout > 0 or return_attention_scores or query.shape.rank != 4
        query = query * tf.cast(self._inverse_sqrt_key_dim, query.dtype)
        scores = tf.einsum(self._dot_product_equation, key, query)
        mask = attention_mask
        if mask is not None:
            for _ in range(scores.shape.rank - mask.shape.rank):
                mask = tf.expand_dims(mask, axis=-len(self.attention_axes) * 2 - 1)
        scores = masked_softmax(scores, mask, self._softmax_axes, zero_masked)
        weights = scores
        if training and self.dropout > 0:
            weights = tf.nn.dropout(scores, rate=self.dropout, seed=self.seed)
        output = tf.einsum(self._combine_equation, weights, value)
        return output, scores

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if (
            value_shape is None
            and isinstance(query_shape, list)
            and (query_shape and isinstance(query_shape[0], (list, tuple)))
        ):
            query_shape = query_shape[0]
        query_shape = tuple(query_shape)
        if self.output_shape_arg:
            return query_shape[:-1] + self.output_shape_arg
        return query_shape

    def compute_mask(self, inputs, previous_mask):
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0]
        return previous_mask

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": list(self.output_shape_arg) if self.output_shape_arg else None,
            "attention_axes": list(self.attention_axes) if self.attention_axes else None,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "seed": self.seed,
        }
