"""Metrics: stateful accumulators of a value over batches, as in Keras 3.

A `Metric` owns non-trainable `tf.Variable`s created eagerly in `__init__`, so that
`update_state` can run inside a `tf.function`. `result()` reads the accumulated value and
`reset_state()` zeroes it. The variables are `ON_READ`/`SUM` variables, so under a
`tf.distribute` strategy each replica accumulates locally and reads sum over replicas.
"""

from enum import Enum

import numpy as np
import tensorflow as tf

from kerascore import activations, backend, initializers, losses
from kerascore.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    squeeze_or_expand_to_same_rank,
)
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    resolve_identifier,
    serialize_keras_object,
)
from kerascore.utils.naming import to_snake_case

__all__ = [
    "AUC",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "MeanIoU",
    "R2Score",
    "TrueNegatives",
    "TruePositives",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "Poisson",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]

_AGGREGATIONS = {
    "sum": tf.VariableAggregation.SUM,
    "mean": tf.VariableAggregation.MEAN,
    "only_first_replica": tf.VariableAggregation.ONLY_FIRST_REPLICA,
    "none": tf.VariableAggregation.NONE,
    None: tf.VariableAggregation.NONE,
}


@register_builtin
class Metric:
    """Base class of metrics: `update_state(...)` accumulates, `result()` reads.

    Subclasses create their state with `add_variable` in `__init__` and implement
    `update_state` and `result`.

    Args:
        name: Name of the metric; defaults to the snake-case class name.
        dtype: Dtype of the metric's state and result; defaults to `backend.floatx()`.
    """

    _direction = None

    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = backend.standardize_dtype(dtype)
        self._variables = []

    @property
    def dtype(self):
        """The dtype of the metric's state and result."""
        return self._dtype

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state variable of the metric.

        Args:
            shape: Shape of the variable.
            initializer: Initializer name or object.
            dtype: Dtype; defaults to the metric's dtype.
            aggregation: How replicas combine on read (`"sum"`, `"mean"`, ...).
            name: Name of the variable.

        Returns:
            The `tf.Variable`.
        """
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}.__init__() must call super().__init__() before "
                "add_variable()."
            )
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Expected `aggregation` in {list(_AGGREGATIONS)}. "
                f"Received: aggregation={aggregation!r}"
            )
        initializer = initializers.get(initializer)
        dtype = backend.standardize_dtype(dtype or self.dtype)
        shape = tuple(int(d) for d in shape)
        with tf.init_scope():
            variable = tf.Variable(
                initial_value=lambda: initializer(shape, dtype=dtype),
                dtype=dtype,
                trainable=False,
                name=name or "variable",
                synchronization=tf.VariableSynchronization.ON_READ,
                aggregation=_AGGREGATIONS[aggregation],
            )
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` with a zeros default."""
        return self.add_variable(
            shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name
        )

    @property
    def variables(self):
        """The state variables, in creation order (those of sub-metrics follow)."""
        found = list(self._variables)
        for value in self.__dict__.values():
            if isinstance(value, Metric) and value is not self:
                found.extend(value.variables)
        return found

    def update_state(self, *args, **kwargs):
        """Accumulates statistics from one batch."""
        raise NotImplementedError

    def result(self):
        """Returns the metric value from the accumulated state."""
        raise NotImplementedError

    def reset_state(self):
        """Resets every state variable to zeros."""
        for v in self.variables:
            v.assign(tf.zeros(v.shape, dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Builds a metric from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weights `values` by `sample_weight` and reduces them to one value per sample."""
    dtype = dtype or backend.floatx()
    mask = getattr(values, "_keras_mask", None)
    values = tf.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = backend.convert_to_tensor(sample_weight, dtype=dtype)
        if mask is not None:
            sample_weight = losses.apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = len(sample_weight.shape)
        values_ndim = len(values.shape)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=list(range(weight_ndim, values_ndim)))
        sample_weight = tf.broadcast_to(sample_weight, tf.shape(values))
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, weight_ndim)))
    values_ndim = len(values.shape)
    if values_ndim > 1:
        values = reduce_fn(values, axis=list(range(1, values_ndim)))
    return values, sample_weight


@register_builtin
class Sum(Metric):
    """Sum of the (weighted) values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values, sample_weight=None):
        """Adds the (weighted) sum of `values`."""
        values, _ = reduce_to_samplewise_values(
            values, sample_weight, reduce_fn=tf.reduce_sum, dtype=self.dtype
        )
        self.total.assign_add(tf.reduce_sum(values))

    def result(self):
        return tf.cast(self.total, self.dtype)


@register_builtin
class Mean(Metric):
    """Weighted mean of the values seen."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values, sample_weight=None):
        """Accumulates `values` (one per sample after reduction) and their weights."""
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, reduce_fn=tf.reduce_mean, dtype=self.dtype
        )
        self.total.assign_add(tf.reduce_sum(values))
        if sample_weight is not None:
            num_samples = tf.reduce_sum(sample_weight)
        elif len(values.shape) >= 1:
            num_samples = tf.shape(values)[0]
        else:
            num_samples = 1
        self.count.assign_add(tf.cast(num_samples, self.dtype))

    def result(self):
        return tf.math.divide_no_nan(self.total, tf.cast(self.count, self.dtype))


def _is_loss(fn):
    loss_objects = set(losses.ALL_OBJECTS_DICT.values())
    return fn in loss_objects or type(fn) in loss_objects


@register_builtin
class MeanMetricWrapper(Mean):
    """Mean of `fn(y_true, y_pred, **kwargs)` over the samples seen.

    Args:
        fn: A function `(y_true, y_pred, **kwargs) -> per-sample values`.
        name: Name of the metric.
        dtype: Dtype of the metric.
        **kwargs: Extra keyword arguments passed to `fn`.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if _is_loss(fn):
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates `fn(y_true, y_pred)` for one batch."""
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = losses.apply_mask(sample_weight, mask, dtype=self.dtype, reduction="sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {**super().get_config(), "fn": serialize_keras_object(self._fn)}
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_keras_object(config["fn"])
        return cls(**config)


class _FixedMeanMetric(MeanMetricWrapper):
    """A `MeanMetricWrapper` of a fixed function; config holds its own arguments only."""

    _metric_fn = None
    _config_keys = ()

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(type(self)._metric_fn, name=name, dtype=dtype, **kwargs)
        for key in self._config_keys:
            setattr(self, key, kwargs[key])

    def get_config(self):
        config = Metric.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config


# ------------------------------------------------------------------------ accuracy


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
class Accuracy(_FixedMeanMetric):
    """How often predictions equal labels exactly."""

    _metric_fn = accuracy
    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin
class BinaryAccuracy(_FixedMeanMetric):
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
class CategoricalAccuracy(_FixedMeanMetric):
    """How often the predicted class matches the one-hot label."""

    _metric_fn = categorical_accuracy
    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin
class SparseCategoricalAccuracy(_FixedMeanMetric):
    """How often the predicted class matches the integer label."""

    _metric_fn = sparse_categorical_accuracy
    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin
class TopKCategoricalAccuracy(_FixedMeanMetric):
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
class SparseTopKCategoricalAccuracy(_FixedMeanMetric):
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


# ------------------------------------------------------------- regression and losses


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity between `y_true` and `y_pred` along `axis` (1 for same direction)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


@register_builtin(name="metrics.MeanSquaredError")
class MeanSquaredError(_FixedMeanMetric):
    """Mean squared error between labels and predictions."""

    _metric_fn = mean_squared_error

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.MeanAbsoluteError")
class MeanAbsoluteError(_FixedMeanMetric):
    """Mean absolute error between labels and predictions."""

    _metric_fn = mean_absolute_error

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.MeanAbsolutePercentageError")
class MeanAbsolutePercentageError(_FixedMeanMetric):
    """Mean absolute percentage error between labels and predictions."""

    _metric_fn = mean_absolute_percentage_error

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.MeanSquaredLogarithmicError")
class MeanSquaredLogarithmicError(_FixedMeanMetric):
    """Mean squared logarithmic error between labels and predictions."""

    _metric_fn = mean_squared_logarithmic_error

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.CosineSimilarity")
class CosineSimilarity(_FixedMeanMetric):
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
class LogCoshError(_FixedMeanMetric):
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


@register_builtin(name="metrics.Hinge")
class Hinge(_FixedMeanMetric):
    """Mean hinge loss."""

    _metric_fn = hinge

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.SquaredHinge")
class SquaredHinge(_FixedMeanMetric):
    """Mean squared hinge loss."""

    _metric_fn = squared_hinge

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.CategoricalHinge")
class CategoricalHinge(_FixedMeanMetric):
    """Mean categorical hinge loss."""

    _metric_fn = categorical_hinge

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.KLDivergence")
class KLDivergence(_FixedMeanMetric):
    """Mean Kullback-Leibler divergence."""

    _metric_fn = kl_divergence

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.Poisson")
class Poisson(_FixedMeanMetric):
    """Mean Poisson loss."""

    _metric_fn = poisson

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.BinaryCrossentropy")
class BinaryCrossentropy(_FixedMeanMetric):
    """Mean binary crossentropy.

    Args:
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`.
    """

    _metric_fn = binary_crossentropy
    _config_keys = ("from_logits", "label_smoothing")

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )


@register_builtin(name="metrics.CategoricalCrossentropy")
class CategoricalCrossentropy(_FixedMeanMetric):
    """Mean categorical crossentropy.

    Args:
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`.
        axis: The class axis.
    """

    _metric_fn = categorical_crossentropy
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@register_builtin(name="metrics.SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(_FixedMeanMetric):
    """Mean sparse categorical crossentropy.

    Args:
        from_logits: Whether predictions are logits.
        ignore_class: Optional class index left out of the metric.
        axis: The class axis.
    """

    _metric_fn = sparse_categorical_crossentropy
    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )


# ---------------------------------------------------------------- confusion matrices

NEG_INF = -1e10


class ConfusionMatrix(Enum):
    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


def _parse_thresholds(thresholds, default_threshold):
    if thresholds is None:
        return [default_threshold]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: thresholds={invalid}")
    return values


def _is_evenly_distributed(thresholds):
    num = len(thresholds)
    if num < 3:
        return False
    even = np.arange(num, dtype=np.float32) / (num - 1)
    return bool(np.allclose(thresholds, even, atol=backend.epsilon()))


def _filter_top_k(x, k):
    _, top_k_idx = tf.math.top_k(x, k)
    mask = tf.reduce_sum(tf.one_hot(top_k_idx, tf.shape(x)[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def update_confusion_matrix_variables(
    variables_to_update,
    y_true,
    y_pred,
    thresholds,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """Adds the (weighted) true/false positive/negative counts at each threshold.

    Args:
        variables_to_update: Dict from `ConfusionMatrix` to a variable of shape
            `(num_thresholds,)` (or `(num_thresholds, num_labels)` when `multi_label`).
        y_true: Binary labels.
        y_pred: Scores in `[0, 1]`.
        thresholds: List of thresholds; a prediction counts as positive above one.
        top_k: Only the `top_k` scores of each sample may count as positive.
        class_id: Restricts the counts to one class column.
        sample_weight: Optional per-sample weights.
        multi_label: Whether to keep one count per label.
        label_weights: Optional per-label weights (not with `multi_label`).
    """
    dtype = next(iter(variables_to_update.values())).dtype
    y_true = tf.cast(y_true, dtype)
    y_pred = tf.cast(y_pred, dtype)
    thresholds_t = tf.constant(np.asarray(thresholds), dtype=dtype)
    num_thresholds = len(thresholds)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = tf.expand_dims(tf.cast(sample_weight, dtype), axis=-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if len(y_pred.shape) == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes). Received: y_pred.shape={y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    if multi_label:
        preds = tf.expand_dims(y_pred, 0)
        labels = tf.expand_dims(tf.cast(y_true, "bool"), 0)
        thresh = tf.reshape(thresholds_t, [num_thresholds, 1, 1])
    else:
        preds = tf.reshape(y_pred, [1, -1])
        labels = tf.reshape(tf.cast(y_true, "bool"), [1, -1])
        thresh = tf.reshape(thresholds_t, [num_thresholds, 1])
    pred_is_pos = tf.greater(preds, thresh)
    label_is_pos = tf.broadcast_to(labels, tf.shape(pred_is_pos))

    weights = None
    if sample_weight is not None:
        weights = tf.broadcast_to(sample_weight, tf.shape(y_pred))
    if label_weights is not None and not multi_label:
        lw = tf.broadcast_to(tf.expand_dims(tf.cast(label_weights, dtype), 0), tf.shape(y_pred))
        weights = lw if weights is None else weights * lw
    if weights is not None:
        weights = tf.expand_dims(weights, 0) if multi_label else tf.reshape(weights, [1, -1])

    def add(label, pred, variable):
        hit = tf.logical_and(label, pred)
        if weights is None:
            counts = tf.cast(hit, dtype)
        else:
            counts = tf.where(hit, tf.broadcast_to(weights, tf.shape(hit)), tf.zeros_like(weights))
        variable.assign_add(tf.reduce_sum(counts, axis=1))

    pred_is_neg = tf.logical_not(pred_is_pos)
    label_is_neg = tf.logical_not(label_is_pos)
    pairs = {
        ConfusionMatrix.TRUE_POSITIVES: (label_is_pos, pred_is_pos),
        ConfusionMatrix.FALSE_POSITIVES: (label_is_neg, pred_is_pos),
        ConfusionMatrix.TRUE_NEGATIVES: (label_is_neg, pred_is_neg),
        ConfusionMatrix.FALSE_NEGATIVES: (label_is_pos, pred_is_neg),
    }
    for key, variable in variables_to_update.items():
        add(*pairs[key], variable)


class _ThresholdedRate(Metric):
    """Shared body of `Precision` and `Recall`."""

    _direction = "up"
    _other = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default_threshold=default)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), name="true_positives")
        self._other_counts = self.add_variable(shape=(n,), name=self._other.name.lower())

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion counts of one batch."""
        update_confusion_matrix_variables(
            {
                ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
                self._other: self._other_counts,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self):
        result = tf.math.divide_no_nan(
            self.true_positives, self.true_positives + self._other_counts
        )
        return result[0] if len(self.thresholds) == 1 else result

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


@register_builtin
class Precision(_ThresholdedRate):
    """Precision: true positives / predicted positives.

    Args:
        thresholds: Threshold or list of thresholds in `[0, 1]` (default 0.5); with a list
            the result has one value per threshold.
        top_k: Only the `top_k` scores of each sample count as positive.
        class_id: Computes the precision of one class.
        name: Name of the metric.
        dtype: Dtype of the metric.
    """

    _other = ConfusionMatrix.FALSE_POSITIVES

    @property
    def false_positives(self):
        """Accumulated false positives, one per threshold."""
        return self._other_counts


@register_builtin
class Recall(_ThresholdedRate):
    """Recall: true positives / actual positives.

    Args:
        thresholds: Threshold or list of thresholds in `[0, 1]` (default 0.5); with a list
            the result has one value per threshold.
        top_k: Only the `top_k` scores of each sample count as positive.
        class_id: Computes the recall of one class.
        name: Name of the metric.
        dtype: Dtype of the metric.
    """

    _other = ConfusionMatrix.FALSE_NEGATIVES

    @property
    def false_negatives(self):
        """Accumulated false negatives, one per threshold."""
        return self._other_counts


@register_builtin
class AUC(Metric):
    """Area under the ROC or precision-recall curve, from thresholded confusion counts.

    Args:
        num_thresholds: Number of evenly spaced thresholds (> 1).
        curve: `"ROC"`, `"PR"` or `"PRGAIN"`.
        summation_method: `"interpolation"`, `"minoring"` or `"majoring"`.
        name: Name of the metric.
        dtype: Dtype of the metric.
        thresholds: Optional explicit thresholds (overrides `num_thresholds`).
        multi_label: Whether to compute one AUC per label and average them.
        num_labels: Number of labels, to create the state eagerly when `multi_label`.
        label_weights: Optional per-label weights.
        from_logits: Whether predictions are logits (a sigmoid is applied).

    Raises:
        ValueError: for an invalid `num_thresholds`, `curve` or `summation_method`.
    """

    _direction = "up"
    _CURVES = ("ROC", "PR", "PRGAIN")
    _SUMMATIONS = ("interpolation", "minoring", "majoring")

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        if str(curve).upper() not in self._CURVES:
            raise ValueError(f"Expected `curve` in {self._CURVES}. Received: curve={curve!r}")
        if str(summation_method).lower() not in self._SUMMATIONS:
            raise ValueError(
                f"Expected `summation_method` in {self._SUMMATIONS}. "
                f"Received: summation_method={summation_method!r}"
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._thresholds = np.array(
            [0.0 - backend.epsilon()] + list(thresholds) + [1.0 + backend.epsilon()]
        )
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else tf.constant(label_weights, dtype=self.dtype)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, including the two end points."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. "
                    f"Received: y_pred.shape={shape}"
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(variable_shape, name="true_positives")
        self.false_positives = self.add_variable(variable_shape, name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion counts of one batch at every threshold."""
        y_pred = tf.convert_to_tensor(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = activations.sigmoid(y_pred)
        update_confusion_matrix_variables(
            {
                ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
                ConfusionMatrix.TRUE_NEGATIVES: self.true_negatives,
                ConfusionMatrix.FALSE_POSITIVES: self.false_positives,
                ConfusionMatrix.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            tf.clip_by_value(y_pred, 0.0, 1.0),
            self._thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _aggregate(self, per_threshold):
        if not self.multi_label:
            return tf.reduce_sum(per_threshold)
        by_label = tf.reduce_sum(per_threshold, axis=0)
        if self.label_weights is None:
            return tf.reduce_mean(by_label)
        return tf.math.divide_no_nan(
            tf.reduce_sum(by_label * self.label_weights), tf.reduce_sum(self.label_weights)
        )

    def _interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = tf.math.divide_no_nan(dtp, tf.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = tf.where(
            tf.logical_and(p[: n - 1] > 0, p[1:] > 0),
            tf.math.divide_no_nan(p[: n - 1], tf.maximum(p[1:], 0)),
            tf.ones_like(p[1:]),
        )
        increment = tf.math.divide_no_nan(
            prec_slope * (dtp + intercept * tf.math.log(safe_p_ratio)),
            tf.maximum(tp[1:] + fn[1:], 0),
        )
        return self._aggregate(increment)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = tf.math.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = tf.math.divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, tf.math.divide_no_nan(tp, tp + fp)
        else:
            scaling = tf.math.divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * tf.math.divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * tf.math.divide_no_nan(fp, tp)
            zero = tf.equal(tp, 0.0)
            x = tf.maximum(tf.where(zero, tf.zeros_like(recall_gain), recall_gain), 0.0)
            y = tf.where(zero, tf.ones_like(precision_gain), precision_gain)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = tf.minimum(y[: n - 1], y[1:])
        else:
            heights = tf.maximum(y[: n - 1], y[1:])
        return self._aggregate((x[: n - 1] - x[1:]) * heights)

    def get_config(self):
        label_weights = self.label_weights
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if label_weights is None else label_weights.numpy().tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return config


class _ConfusionMatrixConditionCount(Metric):
    """Shared body of `TruePositives`, `FalsePositives`, `TrueNegatives`, `FalseNegatives`."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, default_threshold=0.5)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the (weighted) count of one batch at each threshold."""
        update_confusion_matrix_variables(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            sample_weight=sample_weight,
        )

    def result(self):
        return tf.convert_to_tensor(
            self.accumulator[0] if len(self.thresholds) == 1 else self.accumulator
        )

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


_COUNT_ARGS = """

    Args:
        thresholds: Threshold or list of thresholds in `[0, 1]` (default 0.5); a prediction
            above a threshold is positive. With a list the result has one count per threshold.
        name: Name of the metric.
        dtype: Dtype of the metric.
    """


@register_builtin
class TruePositives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) true positives." + _COUNT_ARGS
    _condition = ConfusionMatrix.TRUE_POSITIVES


@register_builtin
class FalsePositives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) false positives." + _COUNT_ARGS
    _condition = ConfusionMatrix.FALSE_POSITIVES


@register_builtin
class TrueNegatives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) true negatives." + _COUNT_ARGS
    _condition = ConfusionMatrix.TRUE_NEGATIVES


@register_builtin
class FalseNegatives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) false negatives." + _COUNT_ARGS
    _condition = ConfusionMatrix.FALSE_NEGATIVES


def _check_2d(metric_name, y_true_shape, y_pred_shape):
    if len(y_pred_shape) != 2 or len(y_true_shape) != 2 or y_pred_shape[-1] is None:
        raise ValueError(
            f"{metric_name} expects 2D inputs with shape (batch_size, output_dim), with "
            f"output_dim fully defined. Received input shapes: y_pred.shape={y_pred_shape} "
            f"and y_true.shape={y_true_shape}."
        )


@register_builtin
class FBetaScore(Metric):
    """F-beta score: `(1 + beta**2) * precision * recall / (beta**2 * precision + recall)`.

    The state is created at the first `update_state`, from the number of classes.

    Args:
        average: `None` (one score per class), `"micro"` (global counts), `"macro"` (mean
            of the per-class scores) or `"weighted"` (mean weighted by class support).
        beta: Weight of recall relative to precision, a float > 0.
        threshold: Predictions above it count as positive; `None` marks the argmax of each
            sample as the positive.
        name: Name of the metric.
        dtype: Dtype of the metric.

    Raises:
        ValueError: for an invalid `average`, `beta` or `threshold`, or non-2D inputs.
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average!r}"
            )
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be a Python float > 0. "
                f"Received: beta={beta!r}"
            )
        if threshold is not None and (
            not isinstance(threshold, float) or not 0.0 < threshold <= 1.0
        ):
            raise ValueError(
                "Invalid `threshold` argument value. It should be a Python float with "
                f"0 < threshold <= 1. Received: threshold={threshold!r}"
            )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        _check_2d(type(self).__name__, y_true_shape, y_pred_shape)
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates per-class true positives, false positives and false negatives."""
        y_true = tf.cast(tf.convert_to_tensor(y_true), self.dtype)
        y_pred = tf.cast(tf.convert_to_tensor(y_pred), self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            threshold = tf.reduce_max(y_pred, axis=-1, keepdims=True)
            y_pred = tf.logical_and(y_pred >= threshold, tf.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = tf.cast(y_pred, self.dtype)
        if sample_weight is not None:
            sample_weight = tf.expand_dims(tf.cast(sample_weight, self.dtype), 1)

        def weighted_sum(values):
            if sample_weight is not None:
                values = values * sample_weight
            return tf.reduce_sum(values, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return tf.constant(0.0, self.dtype)
        epsilon = backend.epsilon()
        precision = self.true_positives / (self.true_positives + self.false_positives + epsilon)
        recall = self.true_positives / (self.true_positives + self.false_negatives + epsilon)
        beta_squared = self.beta**2
        score = (precision * recall) / (beta_squared * precision + recall + epsilon)
        score = score * (1 + beta_squared)
        if self.average == "weighted":
            weights = self.intermediate_weights / (
                tf.reduce_sum(self.intermediate_weights) + epsilon
            )
            return tf.reduce_sum(score * weights)
        if self.average is not None:
            return tf.reduce_mean(score)
        return score

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


@register_builtin
class F1Score(FBetaScore):
    """F1 score: the harmonic mean of precision and recall (`FBetaScore` with `beta=1`).

    Args:
        average: `None`, `"micro"`, `"macro"` or `"weighted"` (see `FBetaScore`).
        threshold: Predictions above it count as positive; `None` takes the argmax.
        name: Name of the metric.
        dtype: Dtype of the metric.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


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
        _check_2d(type(self).__name__, y_true_shape, y_pred_shape)
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


@register_builtin
class MeanIoU(Metric):
    """Mean intersection-over-union over classes, from an accumulated confusion matrix.

    Classes absent from both labels and predictions are left out of the mean.

    Args:
        num_classes: Number of classes (the confusion matrix is `num_classes` square).
        name: Name of the metric.
        dtype: Dtype of the confusion matrix; defaults to int64 (the result is float32).
        ignore_class: A label value whose samples are not counted.
        sparse_y_true: Whether labels are class ids (else one-hot, reduced by argmax).
        sparse_y_pred: Whether predictions are class ids (else scores, reduced by argmax).
        axis: Class axis for the argmax of non-sparse inputs.

    Raises:
        ValueError: if `num_classes` is not an integer >= 1.
    """

    _direction = "up"

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                "Expected `num_classes` to be an integer >= 1. "
                f"Received: num_classes={num_classes!r}"
            )
        super().__init__(name=name, dtype=dtype or "int64")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.target_class_ids = list(range(num_classes))
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the (weighted) confusion matrix of one batch; out-of-range ids are dropped."""
        if not self.sparse_y_true:
            y_true = tf.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = tf.argmax(y_pred, axis=self.axis)
        y_true = tf.reshape(tf.cast(y_true, self.dtype), [-1])
        y_pred = tf.reshape(tf.cast(y_pred, self.dtype), [-1])
        sample_weight = tf.cast(1 if sample_weight is None else sample_weight, self.dtype)
        sample_weight = tf.broadcast_to(tf.reshape(sample_weight, [-1]), tf.shape(y_true))
        num_classes = tf.cast(self.num_classes, self.dtype)
        in_bounds = (y_true >= 0) & (y_true < num_classes) & (y_pred >= 0) & (y_pred < num_classes)
        if self.ignore_class is not None:
            in_bounds &= tf.not_equal(y_true, tf.cast(self.ignore_class, self.dtype))
        zeros = tf.zeros_like(y_true)
        y_true = tf.where(in_bounds, y_true, zeros)
        y_pred = tf.where(in_bounds, y_pred, zeros)
        sample_weight = tf.where(in_bounds, sample_weight, tf.zeros_like(sample_weight))
        self.total_cm.assign_add(
            tf.math.confusion_matrix(
                y_true, y_pred, self.num_classes, weights=sample_weight, dtype=self.dtype
            )
        )

    def result(self):
        sum_over_row = tf.cast(tf.reduce_sum(self.total_cm, axis=0), "float32")
        sum_over_col = tf.cast(tf.reduce_sum(self.total_cm, axis=1), "float32")
        true_positives = tf.cast(tf.linalg.diag_part(self.total_cm), "float32")
        denominator = sum_over_row + sum_over_col - true_positives
        valid = denominator > 1e-9
        iou = tf.where(valid, true_positives / (denominator + backend.epsilon()), 0.0)
        num_valid = tf.reduce_sum(tf.cast(valid, "float32"))
        return tf.reduce_sum(iou, axis=self.axis) / (num_valid + backend.epsilon())

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


# ------------------------------------------------------------------------- registry

for _fn in (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
):
    register_builtin(_fn)
register_builtin(cosine_similarity, name="metrics.cosine_similarity")

_CLASSES = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    FBetaScore,
    F1Score,
    R2Score,
    MeanIoU,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)


def serialize(metric):
    """Returns the JSON-able config of a metric."""
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from `serialize`'s output or a name."""
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns a metric from a name, a config, a `Metric` or a function.

    Names resolve to a new instance of the metric class (`"mse"` gives `MeanSquaredError()`,
    `"accuracy"` gives `Accuracy()`); functions and `Metric` objects are returned as is.

    Raises:
        ValueError: if `identifier` cannot be interpreted; the message lists valid names.
    """
    return resolve_identifier(
        identifier,
        "metric",
        ALL_OBJECTS_DICT,
        expected="a name, a config, a Metric or a function",
        hint=" Custom metrics can be passed as functions or Metric objects, or registered "
        "with @kerascore.saving.register_keras_serializable().",
    )
