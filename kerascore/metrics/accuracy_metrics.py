"""Accuracy metrics and their functions: exact, binary, categorical, sparse, top-k."""

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.losses import (
    squeeze_or_expand_to_same_rank,
)
from kerascore.metrics.reduction_metrics import FixedMeanMetric
from kerascore.saving.serialization import (
    register_builtin,
)


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred`, else 0.0."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = backend.convert_to_tensor(y_true, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return tf.cast(tf.equal(y_true, y_pred), backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `y_true` equals `y_pred > threshold`, else 0.0 (per element)."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = tf.cast(y_pred > tf.cast(threshold, y_pred.dtype), y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), backend.floatx())


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of one-hot `y_true` equals the arg-max of `y_pred`."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(tf.argmax(y_true, axis=-1), y_pred.dtype)
    reshape_matches = False
    y_true_org_shape = tf.shape(y_true)
    if len(y_true.shape) == len(y_pred.shape):
        y_true = tf.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = tf.cast(tf.argmax(y_pred, axis=-1), y_true.dtype)
    matches = tf.cast(tf.equal(y_true, y_pred), backend.floatx())
    if reshape_matches:
        matches = tf.reshape(matches, y_true_org_shape)
    return matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label `y_true` equals the arg-max of `y_pred`."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = backend.convert_to_tensor(y_true, dtype=y_pred.dtype)
    reshape_matches = False
    y_true_org_shape = tf.shape(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = tf.cast(tf.argmax(y_pred, axis=-1), y_true.dtype)
    matches = tf.cast(tf.equal(y_true, y_pred), backend.floatx())
    if reshape_matches:
        matches = tf.reshape(matches, y_true_org_shape)
    if len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = tf.squeeze(matches, -1)
    return matches


def _in_top_k(targets, predictions, k):
    # tf.math.in_top_k rejects non-finite predictions; Keras treats them as never in the top k.
    predictions = tf.where(
        tf.math.is_finite(predictions), predictions, tf.cast(-np.inf, predictions.dtype)
    )
    return tf.math.in_top_k(targets=targets, predictions=predictions, k=k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the arg-max of one-hot `y_true` is among the `k` largest of `y_pred`."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.argmax(backend.convert_to_tensor(y_true, dtype=y_pred.dtype), axis=-1)
    reshape_matches = False
    y_true_org_shape = tf.shape(y_true)
    if len(y_pred.shape) > 2:
        y_pred = tf.reshape(y_pred, [-1, y_pred.shape[-1]])
    if len(y_true.shape) > 1:
        reshape_matches = True
        y_true = tf.reshape(y_true, [-1])
    matches = tf.cast(_in_top_k(tf.cast(y_true, "int32"), y_pred, k), backend.floatx())
    if reshape_matches:
        matches = tf.reshape(matches, y_true_org_shape)
    return matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label `y_true` is among the `k` largest of `y_pred`.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score instead.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = backend.convert_to_tensor(y_true, dtype=y_pred.dtype if from_sorted_ids else "int32")
    reshape_matches = False
    y_true_org_shape = tf.shape(y_true)
    if len(y_pred.shape) > 2:
        y_pred = tf.reshape(y_pred, [-1, y_pred.shape[-1]])
    if len(y_true.shape) > 1:
        reshape_matches = True
        y_true = tf.reshape(y_true, [-1])
    if from_sorted_ids:
        matches = tf.reduce_any(tf.equal(tf.expand_dims(y_true, axis=1), y_pred[:, :k]), axis=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = tf.cast(matches, backend.floatx())
    if reshape_matches:
        matches = tf.reshape(matches, y_true_org_shape)
    return matches


@register_builtin
class Accuracy(FixedMeanMetric):
    """How often predictions equal labels exactly."""

    _metric_fn = accuracy
    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin
class BinaryAccuracy(FixedMeanMetric):
    """How often thresholded predictions match binary labels.

    Args:
        threshold: Predictions above it count as 1.
    """

    _metric_fn = binary_accuracy
    _direction = "up"
    _config_keys = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name=name, dtype=dtype, threshold=threshold)


@register_builtin
class CategoricalAccuracy(FixedMeanMetric):
    """How often the predicted class matches the one-hot label."""

    _metric_fn = categorical_accuracy
    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin
class SparseCategoricalAccuracy(FixedMeanMetric):
    """How often the predicted class matches the integer label."""

    _metric_fn = sparse_categorical_accuracy
    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin
class TopKCategoricalAccuracy(FixedMeanMetric):
    """How often the one-hot label is among the `k` top predictions.

    Args:
        k: Number of top predictions considered.
    """

    _metric_fn = top_k_categorical_accuracy
    _direction = "up"
    _config_keys = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)


@register_builtin
class SparseTopKCategoricalAccuracy(FixedMeanMetric):
    """How often the integer label is among the `k` top predictions.

    Args:
        k: Number of top predictions considered.
        from_sorted_ids: Whether `y_pred` holds class ids sorted by score.
    """

    _metric_fn = sparse_top_k_categorical_accuracy
    _direction = "up"
    _config_keys = ("k", "from_sorted_ids")

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        super().__init__(name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids)
