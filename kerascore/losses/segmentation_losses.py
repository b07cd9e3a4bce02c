"""Overlap losses for segmentation: Dice and Tversky; functions and classes."""

import tensorflow as tf

from kerascore import backend
from kerascore.losses.loss import NamedLossWrapper
from kerascore.saving.serialization import register_builtin


def _axis_argument(axis):
    # Configs round-trip through JSON, which turns tuples into lists.
    return list(axis) if isinstance(axis, tuple) else axis


@register_builtin
def dice(y_true, y_pred, axis=None):
    """Dice loss `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))`.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: Axes the sums run over; `None` sums everything into one scalar.

    Returns:
        The loss, with `axis` reduced away.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    axis = _axis_argument(axis)
    intersection = tf.reduce_sum(y_true * y_pred, axis=axis)
    total = tf.reduce_sum(y_true, axis=axis) + tf.reduce_sum(y_pred, axis=axis)
    return 1 - 2.0 * intersection / (total + backend.epsilon())


@register_builtin
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: Dice with false positives weighted by `alpha`, false negatives by `beta`.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        alpha: Weight of false positives.
        beta: Weight of false negatives.
        axis: Axes the sums run over; `None` sums everything into one scalar.

    Returns:
        The loss, with `axis` reduced away.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    axis = _axis_argument(axis)
    intersection = tf.reduce_sum(y_true * y_pred, axis=axis)
    false_positives = tf.reduce_sum((1 - y_pred) * y_true, axis=axis)
    false_negatives = tf.reduce_sum(y_pred * (1 - y_true), axis=axis)
    denominator = intersection + false_positives * alpha + false_negatives * beta
    return 1 - intersection / (denominator + backend.epsilon())


@register_builtin
class Dice(NamedLossWrapper):
    """Dice loss between targets and predictions.

    Args:
        reduction: See `Loss`.
        name: Name of the loss.
        axis: Axes the loss is computed over; `None` gives one scalar for the batch.
        dtype: See `Loss`.
    """

    _fn = dice
    _config_keys = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


@register_builtin
class Tversky(NamedLossWrapper):
    """Tversky loss; with `alpha = beta = 0.5` it equals the Dice loss.

    Args:
        alpha: Weight of false positives.
        beta: Weight of false negatives.
        reduction: See `Loss`.
        name: Name of the loss.
        axis: Axes the loss is computed over; `None` gives one scalar for the batch.
        dtype: See `Loss`.
    """

    _fn = tversky
    _config_keys = ("alpha", "beta", "axis")

    def __init__(
        self,
        alpha=0.5,
        beta=0.5,
        reduction="sum_over_batch_size",
        name="tversky",
        axis=None,
        dtype=None,
    ):
        super().__init__(
            reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis
        )
