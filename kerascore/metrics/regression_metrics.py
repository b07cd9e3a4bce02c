"""Regression metrics: squared, absolute, logarithmic errors, cosine similarity, R2."""

import tensorflow as tf

from kerascore import backend, losses
from kerascore.losses import (
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    squeeze_or_expand_to_same_rank,
)
from kerascore.metrics.metric import Metric, check_2d
from kerascore.metrics.reduction_metrics import FixedMeanMetric, Mean
from kerascore.saving.serialization import (
    register_builtin,
)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity between `y_true` and `y_pred` along `axis` (1 for same direction)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


@register_builtin(name="metrics.MeanSquaredError")
class MeanSquaredError(FixedMeanMetric):
    """Mean squared error between labels and predictions."""

    _metric_fn = mean_squared_error

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.MeanAbsoluteError")
class MeanAbsoluteError(FixedMeanMetric):
    """Mean absolute error between labels and predictions."""

    _metric_fn = mean_absolute_error

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.MeanAbsolutePercentageError")
class MeanAbsolutePercentageError(FixedMeanMetric):
    """Mean absolute percentage error between labels and predictions."""

    _metric_fn = mean_absolute_percentage_error

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.MeanSquaredLogarithmicError")
class MeanSquaredLogarithmicError(FixedMeanMetric):
    """Mean squared logarithmic error between labels and predictions."""

    _metric_fn = mean_squared_logarithmic_error

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.CosineSimilarity")
class CosineSimilarity(FixedMeanMetric):
    """Mean cosine similarity between labels and predictions.

    Args:
        axis: The axis along which the similarity is computed.
    """

    _metric_fn = cosine_similarity
    _direction = "up"
    _config_keys = ("axis",)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


@register_builtin
class LogCoshError(FixedMeanMetric):
    """Mean logarithm of the hyperbolic cosine of the prediction error."""

    _metric_fn = log_cosh

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin
class RootMeanSquaredError(Mean):
    """Square root of the mean squared error."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the squared errors of one batch."""
        y_true = backend.convert_to_tensor(y_true, self.dtype)
        y_pred = backend.convert_to_tensor(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(tf.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return tf.sqrt(super().result())


@register_builtin
class R2Score(Metric):
    """Coefficient of determination, `1 - residual sum of squares / total sum of squares`.

    Args:
        class_aggregation: `"uniform_average"` (mean over outputs),
            `"variance_weighted_average"` (weighted by each output's variance) or `None`
            (one score per output).
        num_regressors: Number of independent regressors, for the adjusted R2 score (0 for
            the plain score; the plain score is also returned when there are too few
            samples for the adjustment).
        name: Name of the metric.
        dtype: Dtype of the metric.

    Raises:
        ValueError: for an invalid `class_aggregation` or a negative `num_regressors`.
    """

    _direction = "up"

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        check_2d(type(self).__name__, y_true_shape, y_pred_shape)
        num_outputs = y_pred_shape[-1]
        self.squared_sum = self.add_variable((num_outputs,), name="squared_sum")
        self.sum = self.add_variable((num_outputs,), name="sum")
        self.total_mse = self.add_variable((num_outputs,), name="residual")
        self.count = self.add_variable((num_outputs,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates per-output sums of targets, squared targets and squared residuals."""
        y_true = tf.cast(tf.convert_to_tensor(y_true), self.dtype)
        y_pred = tf.cast(tf.convert_to_tensor(y_pred), self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        sample_weight = tf.cast(1 if sample_weight is None else sample_weight, self.dtype)
        if len(sample_weight.shape) == 1:
            sample_weight = tf.expand_dims(sample_weight, axis=1)
        sample_weight = tf.broadcast_to(sample_weight, tf.shape(y_true))
        weighted_y_true = y_true * sample_weight
        self.sum.assign_add(tf.reduce_sum(weighted_y_true, axis=0))
        self.squared_sum.assign_add(tf.reduce_sum(y_true * weighted_y_true, axis=0))
        self.total_mse.assign_add(tf.reduce_sum((y_true - y_pred) ** 2 * sample_weight, axis=0))
        self.count.assign_add(tf.reduce_sum(sample_weight, axis=0))
        self.num_samples.assign_add(tf.cast(tf.size(y_true), self.dtype))

    def result(self):
        if not self._built:
            return tf.constant(0.0, self.dtype)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw_scores = 1 - (self.total_mse / total)
        raw_scores = tf.where(tf.math.is_inf(raw_scores), tf.zeros_like(raw_scores), raw_scores)
        if self.class_aggregation == "uniform_average":
            r2_score = tf.reduce_mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            r2_score = tf.reduce_sum(total * raw_scores) / tf.reduce_sum(total)
        else:
            r2_score = raw_scores
        if self.num_regressors == 0:
            return r2_score
        n = self.num_samples
        p = tf.cast(self.num_regressors, self.dtype)
        adjusted = 1.0 - (1.0 - r2_score) * (n - 1.0) / (n - p - 1.0)
        # With p >= n - 1 the adjustment is undefined; Keras falls back to the plain score.
        return tf.where(p < n - 1.0, adjusted, r2_score)

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
