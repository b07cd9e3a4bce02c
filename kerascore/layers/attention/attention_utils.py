"""Masked softmax and causal masks shared by the attention layers."""

import tensorflow as tf

MASKED_SCORE = -1e9


def shape_tuple(value):
    return tuple(tf.TensorShape(value.shape).as_list())


def masked_softmax(scores, mask, axes, zero_masked):
    """Softmax of `scores` over `axes`, ignoring positions where `mask` is False.

    With `zero_masked`, fully masked rows come out as zeros (Keras's `Softmax` layer); without,
    they are uniform (Keras's fused `dot_product_attention`).
    """
    if mask is not None:
        scores = tf.where(mask, scores, tf.cast(MASKED_SCORE, scores.dtype))
    if len(axes) == 1:
        weights = tf.nn.softmax(scores, axis=axes[0])
    else:
        weights = tf.exp(scores - tf.reduce_logsumexp(scores, axis=axes, keepdims=True))
    if mask is not None and zero_masked:
        weights = tf.where(mask, weights, tf.zeros_like(weights))
    return weights


def causal_mask(query_length, value_length):
    """`(1, T, S)` bool, True where query position >= value position."""
    rows = tf.range(query_length)[:, None]
    cols = tf.range(value_length)[None, :]
    return tf.greater_equal(rows, cols)[None]
