"""Hinge losses: hinge, squared hinge, categorical hinge; functions and classes."""

import tensorflow as tf

from kerascore.losses.loss import NamedLossWrapper, float_pair
from kerascore.saving.serialization import (
    register_builtin,
)


def _binary_labels_to_hinge(y_true):
    is_binary = tf.reduce_all(tf.logical_or(tf.equal(y_true, 0), tf.equal(y_true, 1)))
    return tf.cond(is_binary, lambda: 2.0 * y_true - 1.0, lambda: y_true)


@register_builtin
def hinge(y_true, y_pred):
    """Mean of `max(1 - y_true * y_pred, 0)`; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = float_pair(y_true, y_pred, squeeze=False)
    y_true = _binary_labels_to_hinge(y_true)
    return tf.reduce_mean(tf.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@register_builtin
def squared_hinge(y_true, y_pred):
    """Mean of `square(max(1 - y_true * y_pred, 0))`; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = float_pair(y_true, y_pred, squeeze=False)
    y_true = _binary_labels_to_hinge(y_true)
    return tf.reduce_mean(tf.square(tf.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


@register_builtin
def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred)`, `neg = max((1 - y_true) *
    y_pred)`."""
    y_true, y_pred = float_pair(y_true, y_pred, squeeze=False)
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return tf.maximum(neg - pos + 1.0, tf.cast(0.0, y_pred.dtype))


@register_builtin
class Hinge(NamedLossWrapper):
    """Hinge loss; labels are -1/1 (0/1 labels are converted)."""

    _fn = hinge

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class SquaredHinge(NamedLossWrapper):
    """Squared hinge loss; labels are -1/1 (0/1 labels are converted)."""

    _fn = squared_hinge

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class CategoricalHinge(NamedLossWrapper):
    """Categorical hinge loss between one-hot labels and predictions."""

    _fn = categorical_hinge

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
