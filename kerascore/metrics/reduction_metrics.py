"""`Sum`, `Mean`, and `MeanMetricWrapper`: a function's values averaged over batches."""

import tensorflow as tf

from kerascore import backend, losses
from kerascore.losses import (
    squeeze_or_expand_to_same_rank,
)
from kerascore.metrics.metric import Metric
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


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


def is_loss(fn):
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
        if is_loss(fn):
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


class FixedMeanMetric(MeanMetricWrapper):
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
