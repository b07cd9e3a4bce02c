"""Correlation metrics: Pearson and concordance correlation; functions and classes."""

import tensorflow as tf

from kerascore import backend
from kerascore.losses import squeeze_or_expand_to_same_rank
from kerascore.metrics.reduction_metrics import FixedMeanMetric
from kerascore.saving.serialization import register_builtin


def _float_pair(y_true, y_pred):
    y_pred = tf.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = tf.cast(y_pred, backend.floatx())
    y_true = tf.cast(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _var(x, axis):
    return tf.math.reduce_variance(x, axis=axis, keepdims=True)


@register_builtin
def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient of labels and predictions along `axis`.

    Args:
        y_true: Labels, `(batch_size, d0, ..., dN)`.
        y_pred: Predictions, same shape.
        axis: The axis the correlation is computed along.

    Returns:
        Correlations in `[-1, 1]`, with `axis` reduced away.
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true_norm = y_true - tf.reduce_mean(y_true, axis=axis, keepdims=True)
    y_pred_norm = y_pred - tf.reduce_mean(y_pred, axis=axis, keepdims=True)
    y_true_norm = y_true_norm / tf.math.reduce_std(y_true_norm, axis=axis, keepdims=True)
    y_pred_norm = y_pred_norm / tf.math.reduce_std(y_pred_norm, axis=axis, keepdims=True)
    return tf.reduce_mean(y_true_norm * y_pred_norm, axis=axis)


@register_builtin
def concordance_correlation(y_true, y_pred, axis=-1):
    """Concordance correlation coefficient of labels and predictions along `axis`.

    Computed as Keras 3 does, with the covariance term centred on the mean of `y_pred`.

    Args:
        y_true: Labels, `(batch_size, d0, ..., dN)`.
        y_pred: Predictions, same shape.
        axis: The axis the correlation is computed along.

    Returns:
        Correlations, with `axis` reduced away.
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true_mean = tf.reduce_mean(y_true, axis=axis, keepdims=True)
    y_pred_mean = tf.reduce_mean(y_pred, axis=axis, keepdims=True)
    y_true_var = _var(y_true - y_true_mean, axis)
    y_pred_var = _var(y_pred - y_pred_mean, axis)
    covariance = (y_true - y_pred_mean) * (y_pred - y_pred_mean)
    norm = y_true_var + y_pred_var + tf.square(y_true_mean - y_pred_mean)
    return tf.reduce_mean(2 * covariance / (norm + backend.epsilon()), axis=axis)


@register_builtin
class PearsonCorrelation(FixedMeanMetric):
    """Mean Pearson correlation of labels and predictions over the samples seen.

    Args:
        name: Name of the metric.
        dtype: Dtype of the metric.
        axis: The axis the correlation is computed along.
    """

    _metric_fn = pearson_correlation
    _direction = "up"
    _config_keys = ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


@register_builtin
class ConcordanceCorrelation(FixedMeanMetric):
    """Mean concordance correlation of labels and predictions over the samples seen.

    Args:
        name: Name of the metric.
        dtype: Dtype of the metric.
        axis: The axis the correlation is computed along.
    """

    _metric_fn = concordance_correlation
    _direction = "up"
    _config_keys = ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)
