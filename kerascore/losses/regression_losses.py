"""Regression losses: squared, absolute, percentage and logarithmic errors, cosine
similarity, Huber, log-cosh; functions and classes.
"""

import tensorflow as tf

from kerascore import backend
from kerascore.losses.loss import NamedLossWrapper, float_pair
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin
def mean_squared_error(y_true, y_pred):
    """Mean of `square(y_true - y_pred)` over the last axis."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


@register_builtin
def mean_absolute_error(y_true, y_pred):
    """Mean of `abs(y_true - y_pred)` over the last axis."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


@register_builtin
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)))` over the last axis."""
    y_true, y_pred = float_pair(y_true, y_pred)
    epsilon = tf.constant(backend.epsilon(), dtype=y_pred.dtype)
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), epsilon))
    return 100.0 * tf.reduce_mean(diff, axis=-1)


@register_builtin
def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of `square(log(y_pred + 1) - log(y_true + 1))` over the last axis."""
    y_true, y_pred = float_pair(y_true, y_pred)
    epsilon = tf.constant(backend.epsilon(), dtype=y_pred.dtype)
    first_log = tf.math.log(tf.maximum(y_pred, epsilon) + 1.0)
    second_log = tf.math.log(tf.maximum(y_true, epsilon) + 1.0)
    return tf.reduce_mean(tf.square(first_log - second_log), axis=-1)


def _l2_normalize(x, axis):
    square_sum = tf.reduce_sum(tf.square(x), axis=axis, keepdims=True)
    inv_norm = tf.minimum(tf.math.rsqrt(square_sum), 1.0 / backend.epsilon())
    return x * inv_norm


@register_builtin
def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along `axis`: -1 for identical directions, 0 orthogonal."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return -tf.reduce_sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


@register_builtin
def huber(y_true, y_pred, delta=1.0):
    """Huber loss: quadratic for errors up to `delta`, linear beyond; mean over the last axis."""
    y_true, y_pred = float_pair(y_true, y_pred)
    delta = tf.cast(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = tf.abs(error)
    half = tf.constant(0.5, dtype=abs_error.dtype)
    return tf.reduce_mean(
        tf.where(
            abs_error <= delta, half * tf.square(error), delta * abs_error - half * tf.square(delta)
        ),
        axis=-1,
    )


@register_builtin
def log_cosh(y_true, y_pred):
    """Mean of `log(cosh(y_pred - y_true))` over the last axis, computed stably."""
    y_true, y_pred = float_pair(y_true, y_pred)
    log2 = tf.cast(tf.math.log(2.0), y_pred.dtype)
    x = y_pred - y_true
    return tf.reduce_mean(x + tf.math.softplus(x * -2.0) - log2, axis=-1)


@register_builtin
class MeanSquaredError(NamedLossWrapper):
    """Mean of squares of errors between labels and predictions."""

    _fn = mean_squared_error

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class MeanAbsoluteError(NamedLossWrapper):
    """Mean of absolute errors between labels and predictions."""

    _fn = mean_absolute_error

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class MeanAbsolutePercentageError(NamedLossWrapper):
    """Mean absolute percentage error between labels and predictions."""

    _fn = mean_absolute_percentage_error

    def __init__(
        self,
        reduction="sum_over_batch_size",
        name="mean_absolute_percentage_error",
        dtype=None,
    ):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class MeanSquaredLogarithmicError(NamedLossWrapper):
    """Mean squared logarithmic error between labels and predictions."""

    _fn = mean_squared_logarithmic_error

    def __init__(
        self,
        reduction="sum_over_batch_size",
        name="mean_squared_logarithmic_error",
        dtype=None,
    ):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class CosineSimilarity(NamedLossWrapper):
    """Negative cosine similarity between labels and predictions.

    Args:
        axis: The axis along which the similarity is computed.
    """

    _fn = cosine_similarity
    _config_keys = ("axis",)

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


@register_builtin
class Huber(NamedLossWrapper):
    """Huber loss: quadratic for small errors, linear for large ones.

    Args:
        delta: The error size where the loss changes from quadratic to linear.
    """

    _fn = huber
    _config_keys = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


@register_builtin
class LogCosh(NamedLossWrapper):
    """Logarithm of the hyperbolic cosine of the prediction error."""

    _fn = log_cosh

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


# Short names, as in Keras.
mse = MSE = mean_squared_error


mae = MAE = mean_absolute_error


mape = MAPE = mean_absolute_percentage_error


msle = MSLE = mean_squared_logarithmic_error


logcosh = log_cosh
