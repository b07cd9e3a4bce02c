"""`Loss`, `LossFunctionWrapper` and the reductions of Keras 3.

A loss function maps `(y_true, y_pred)` to per-sample values; a `Loss` object also weights
them (`sample_weight`, masks) and reduces them to a scalar.
"""

import re

import tensorflow as tf

from kerascore import backend
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)
from kerascore.utils.naming import to_snake_case

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    """Returns `reduction` if valid.

    Raises:
        ValueError: if `reduction` is not one of `REDUCTIONS`.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {list(REDUCTIONS)}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def scope_name(name):
    # tf.name_scope rejects names such as "my loss" inside a tf.function.
    return re.sub(r"[^A-Za-z0-9_.\-/]", "_", str(name)).lstrip("_/-") or "loss"


@register_builtin
class Loss:
    """Base class of losses: `loss(y_true, y_pred, sample_weight=None)` returns the reduced loss.

    Subclasses implement `call(y_true, y_pred)`, returning per-sample values.

    Args:
        name: Name of the loss; defaults to the snake-case class name.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or `None`.
        dtype: Dtype the inputs are cast to; defaults to `backend.floatx()`.

    Raises:
        ValueError: for an unknown `reduction`.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = backend.standardize_dtype(dtype)

    @property
    def dtype(self):
        """The dtype inputs are cast to and the loss is computed in."""
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        with tf.name_scope(scope_name(self.name)):
            y_pred = tf.nest.map_structure(
                lambda x: backend.convert_to_tensor(x, dtype=self.dtype), y_pred
            )
            y_true = tf.nest.map_structure(
                lambda x: backend.convert_to_tensor(x, dtype=self.dtype), y_true
            )
            losses = self.call(y_true, y_pred)
            out_mask = getattr(losses, "_keras_mask", None)
            if in_mask is not None and out_mask is not None:
                mask = tf.logical_and(tf.cast(in_mask, "bool"), tf.cast(out_mask, "bool"))
            else:
                mask = in_mask if in_mask is not None else out_mask
            return reduce_weighted_values(
                losses,
                sample_weight=sample_weight,
                mask=mask,
                reduction=self.reduction,
                dtype=self.dtype,
            )

    def call(self, y_true, y_pred):
        """Returns the per-sample loss values."""
        raise NotImplementedError

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        """Builds a loss from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeezes or expands the last axis of one tensor when ranks differ by exactly one."""
    x1_rank, x2_rank = len(x1.shape), len(x2.shape)
    if x1_rank == x2_rank:
        return x1, x2
    if x1_rank == x2_rank + 1 and x1.shape[-1] == 1:
        if x2_rank == 1 and expand_rank_1:
            x2 = tf.expand_dims(x2, axis=-1)
        else:
            x1 = tf.squeeze(x1, axis=-1)
    if x2_rank == x1_rank + 1 and x2.shape[-1] == 1:
        if x1_rank == 1 and expand_rank_1:
            x1 = tf.expand_dims(x1, axis=-1)
        else:
            x2 = tf.squeeze(x2, axis=-1)
    return x1, x2


def scale_loss_for_distribution(value):
    """Divides `value` by the number of replicas of the current `tf.distribute` strategy."""
    num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if num_replicas > 1:
        value = value * tf.cast(1.0 / num_replicas, value.dtype)
    return value


def unscale_loss_for_distribution(value):
    """Undoes `scale_loss_for_distribution` (for reporting the loss as a metric)."""
    num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if num_replicas > 1:
        value = value * tf.cast(num_replicas, value.dtype)
    return value


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduces (already weighted) loss values to a scalar as `reduction` says."""
    if reduction is None or reduction == "none" or tuple(values.shape) in ((), (0,)):
        return values
    loss = tf.reduce_sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = tf.cast(tf.reduce_sum(sample_weight), loss.dtype)
        else:
            divisor = tf.cast(tf.reduce_prod(tf.shape(values)), loss.dtype)
        loss = scale_loss_for_distribution(tf.math.divide_no_nan(loss, divisor))
    return loss


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a boolean `mask` into `sample_weight`, renormalising for mean reductions."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        # Masked-out entries get weight 0 and the others total/valid, so that the mean over
        # all entries equals the mean over valid ones.
        total = tf.cast(tf.reduce_prod(tf.shape(mask)), dtype)
        valid = tf.reduce_sum(tf.cast(mask, dtype))
        float_mask = tf.where(
            tf.cast(mask, "bool"), tf.math.divide_no_nan(total, valid), tf.cast(0, dtype)
        )
    else:
        float_mask = tf.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = tf.cast(sample_weight, dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_weighted_values(
    values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None
):
    """Weights per-sample `values` by `sample_weight` and `mask`, then reduces them.

    Args:
        values: Per-sample loss values.
        sample_weight: Optional weights, broadcastable to `values` after squeezing or
            expanding a trailing axis of size 1.
        mask: Optional boolean mask of valid entries.
        reduction: One of `REDUCTIONS`.
        dtype: Dtype of the computation.

    Returns:
        The reduced loss (or `values` weighted, for `"none"`).
    """
    reduction = standardize_reduction(reduction)
    values = backend.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = backend.convert_to_tensor(sample_weight, dtype=dtype)
    if mask is not None:
        mask = backend.convert_to_tensor(mask, dtype=dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype=values.dtype, reduction=reduction)
    if sample_weight is not None:
        sample_weight = tf.cast(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


@register_builtin
class LossFunctionWrapper(Loss):
    """Wraps a loss function `fn(y_true, y_pred, **kwargs)` into a `Loss`.

    Args:
        fn: The loss function.
        reduction: See `Loss`.
        name: Name of the loss.
        dtype: See `Loss`.
        **kwargs: Extra keyword arguments passed to `fn`.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        flat_true, flat_pred = tf.nest.flatten(y_true), tf.nest.flatten(y_pred)
        if len(flat_true) == len(flat_pred):
            pairs = [
                squeeze_or_expand_to_same_rank(t, p)
                for t, p in zip(flat_true, flat_pred, strict=True)
            ]
            y_true = tf.nest.pack_sequence_as(y_true, [pair[0] for pair in pairs])
            y_pred = tf.nest.pack_sequence_as(y_pred, [pair[1] for pair in pairs])
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        # The table of built-in losses is assembled by the package, which imports this module.
        from kerascore.losses import ALL_OBJECTS_DICT

        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_keras_object(config["fn"], module_objects=ALL_OBJECTS_DICT)
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


def float_pair(y_true, y_pred, squeeze=True):
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = backend.convert_to_tensor(y_true, dtype=y_pred.dtype)
    if squeeze:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


class NamedLossWrapper(LossFunctionWrapper):
    """A `LossFunctionWrapper` whose config holds only its own constructor arguments."""

    _fn = None
    _config_keys = ()

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(
            type(self)._fn,
            reduction=reduction,
            name=name or type(self)._fn.__name__,
            dtype=dtype,
            **kwargs,
        )
        for key in self._config_keys:
            setattr(self, key, kwargs[key])

    def get_config(self):
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config

    def __repr__(self):
        return Loss.__repr__(self)
