"""Loss functions and `Loss` classes, with the maths and reductions of Keras 3.

A loss function maps `(y_true, y_pred)` to per-sample values; a `Loss` object also weights
them (`sample_weight`, masks) and reduces them to a scalar.
"""

import re
import warnings

import tensorflow as tf

from kerascore import activations, backend
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    resolve_identifier,
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


def _scope_name(name):
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
        with tf.name_scope(_scope_name(self.name)):
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
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_keras_object(config["fn"], module_objects=ALL_OBJECTS_DICT)
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


# ---------------------------------------------------------------------------- functions


def _float_pair(y_true, y_pred, squeeze=True):
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = backend.convert_to_tensor(y_true, dtype=y_pred.dtype)
    if squeeze:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


@register_builtin
def mean_squared_error(y_true, y_pred):
    """Mean of `square(y_true - y_pred)` over the last axis."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


@register_builtin
def mean_absolute_error(y_true, y_pred):
    """Mean of `abs(y_true - y_pred)` over the last axis."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


@register_builtin
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)))` over the last axis."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    epsilon = tf.constant(backend.epsilon(), dtype=y_pred.dtype)
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), epsilon))
    return 100.0 * tf.reduce_mean(diff, axis=-1)


@register_builtin
def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of `square(log(y_pred + 1) - log(y_true + 1))` over the last axis."""
    y_true, y_pred = _float_pair(y_true, y_pred)
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
    y_true, y_pred = _float_pair(y_true, y_pred)
    return -tf.reduce_sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


@register_builtin
def huber(y_true, y_pred, delta=1.0):
    """Huber loss: quadratic for errors up to `delta`, linear beyond; mean over the last axis."""
    y_true, y_pred = _float_pair(y_true, y_pred)
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
    y_true, y_pred = _float_pair(y_true, y_pred)
    log2 = tf.cast(tf.math.log(2.0), y_pred.dtype)
    x = y_pred - y_true
    return tf.reduce_mean(x + tf.math.softplus(x * -2.0) - log2, axis=-1)


def _binary_labels_to_hinge(y_true):
    is_binary = tf.reduce_all(tf.logical_or(tf.equal(y_true, 0), tf.equal(y_true, 1)))
    return tf.cond(is_binary, lambda: 2.0 * y_true - 1.0, lambda: y_true)


@register_builtin
def hinge(y_true, y_pred):
    """Mean of `max(1 - y_true * y_pred, 0)`; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _float_pair(y_true, y_pred, squeeze=False)
    y_true = _binary_labels_to_hinge(y_true)
    return tf.reduce_mean(tf.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@register_builtin
def squared_hinge(y_true, y_pred):
    """Mean of `square(max(1 - y_true * y_pred, 0))`; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _float_pair(y_true, y_pred, squeeze=False)
    y_true = _binary_labels_to_hinge(y_true)
    return tf.reduce_mean(tf.square(tf.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


@register_builtin
def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred)`, `neg = max((1 - y_true) *
    y_pred)`."""
    y_true, y_pred = _float_pair(y_true, y_pred, squeeze=False)
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return tf.maximum(neg - pos + 1.0, tf.cast(0.0, y_pred.dtype))


@register_builtin
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))`, inputs clipped."""
    y_true, y_pred = _float_pair(y_true, y_pred, squeeze=False)
    y_true = tf.clip_by_value(y_true, backend.epsilon(), 1)
    y_pred = tf.clip_by_value(y_pred, backend.epsilon(), 1)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


@register_builtin
def poisson(y_true, y_pred):
    """Mean of `y_pred - y_true * log(y_pred + epsilon)` over the last axis."""
    y_true, y_pred = _float_pair(y_true, y_pred, squeeze=False)
    epsilon = tf.constant(backend.epsilon(), dtype=y_pred.dtype)
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + epsilon), axis=-1)


def _get_logits(output, from_logits, op_type, fn_name):
    """Returns `(logits, True)` when `output` came from a sigmoid/softmax, else as given."""
    has_keras_logits = hasattr(output, "_keras_logits")
    if has_keras_logits:
        result = output._keras_logits, True
        from_op = False
    else:
        op = None if isinstance(output, tf.Variable) else getattr(output, "op", None)
        from_op = op is not None and op.type == op_type and len(op.inputs) == 1
        result = (op.inputs[0], True) if from_op else (output, from_logits)
    if from_logits and (has_keras_logits or from_op):
        warnings.warn(
            f"`{fn_name}` received `from_logits=True`, but the `y_pred` argument was produced "
            f"by a {op_type} activation and thus does not represent logits. Was this intended?",
            stacklevel=3,
        )
    return result


def _check_same_shape(target, output, fn_name):
    if len(target.shape) != len(output.shape):
        raise ValueError(
            f"In {fn_name}, `y_true` and `y_pred` must have the same rank. "
            f"Received: y_true.shape={target.shape}, y_pred.shape={output.shape}"
        )
    for e1, e2 in zip(target.shape, output.shape, strict=True):
        if e1 is not None and e2 is not None and e1 != e2:
            raise ValueError(
                f"In {fn_name}, `y_true` and `y_pred` must have the same shape. "
                f"Received: y_true.shape={target.shape}, y_pred.shape={output.shape}"
            )


def _backend_binary_crossentropy(target, output, from_logits=False):
    target = tf.convert_to_tensor(target)
    output = tf.convert_to_tensor(output)
    _check_same_shape(target, output, "binary_crossentropy")
    output, from_logits = _get_logits(output, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output = tf.clip_by_value(output, backend.epsilon(), 1.0 - backend.epsilon())
    bce = target * tf.math.log(output)
    bce += (1 - target) * tf.math.log(1 - output)
    return -bce


@register_builtin
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over `axis`.

    Args:
        y_true: Labels in `[0, 1]`, same shape as `y_pred`.
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: In `[0, 1]`; labels move towards 0.5 by this amount.
        axis: Axis the mean is taken over.

    Returns:
        Per-sample loss values.

    Raises:
        ValueError: if the shapes of `y_true` and `y_pred` differ.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return tf.reduce_mean(_backend_binary_crossentropy(y_true, y_pred, from_logits), axis=axis)


@register_builtin
def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary crossentropy scaled by `(1 - p_t) ** gamma`, focusing on hard examples."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = activations.sigmoid(y_pred)
    bce = _backend_binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = tf.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return tf.reduce_mean(focal_bce, axis=axis)


def _check_categorical_shapes(target, output):
    if len(target.shape) < 1:
        raise ValueError(
            "In categorical_crossentropy, `y_true` and `y_pred` must be at least rank 1. "
            f"Received: y_true.shape={target.shape}, y_pred.shape={output.shape}"
        )
    looks_sparse = (
        len(target.shape) == len(output.shape)
        and target.shape[-1] == 1
        and output.shape[-1] not in (None, 1)
    ) or len(target.shape) == len(output.shape) - 1
    try:
        _check_same_shape(target, output, "categorical_crossentropy")
    except ValueError as error:
        if looks_sparse:
            raise ValueError(
                f"{error}. `y_true` looks like integer class indices while "
                "categorical_crossentropy expects one-hot labels of the same shape as "
                "`y_pred`: use loss='sparse_categorical_crossentropy' (or one-hot encode the "
                "labels with kerascore.utils.to_categorical)."
            ) from None
        raise


def _backend_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = tf.convert_to_tensor(target)
    output = tf.convert_to_tensor(output)
    _check_categorical_shapes(target, output)
    output, from_logits = _get_logits(output, from_logits, "Softmax", "categorical_crossentropy")
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / tf.reduce_sum(output, axis, keepdims=True)
    output = tf.clip_by_value(output, backend.epsilon(), 1.0 - backend.epsilon())
    return -tf.reduce_sum(target * tf.math.log(output), axis)


@register_builtin
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy between one-hot labels and predicted class probabilities.

    Args:
        y_true: One-hot labels, same shape as `y_pred`.
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: In `[0, 1]`; labels move towards uniform by this amount.
        axis: The class axis.

    Returns:
        Per-sample loss values.

    Raises:
        ValueError: if the shapes differ (with a hint to use the sparse loss for integer
            labels).
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis}")
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if y_pred.shape.rank and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            "(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if you only "
            "have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        num_classes = tf.cast(tf.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return _backend_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


@register_builtin
def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical crossentropy scaled by `alpha * (1 - p) ** gamma`."""
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis}")
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if label_smoothing:
        num_classes = tf.cast(tf.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        y_pred = tf.nn.softmax(y_pred, axis=axis)
    output = y_pred / tf.reduce_sum(y_pred, axis=axis, keepdims=True)
    output = tf.clip_by_value(output, backend.epsilon(), 1.0 - backend.epsilon())
    cce = -y_true * tf.math.log(output)
    focal_cce = tf.pow(1.0 - output, gamma) * alpha * cce
    return tf.reduce_sum(focal_cce, axis=axis)


def _check_sparse_shapes(target, output):
    mismatch = len(target.shape) != len(output.shape) - 1 or any(
        e1 is not None and e2 is not None and e1 != e2
        for e1, e2 in zip(target.shape, output.shape[:-1], strict=False)
    )
    if mismatch:
        hint = (
            " `y_true` looks one-hot encoded: use loss='categorical_crossentropy' for one-hot "
            "labels, or pass integer class indices."
            if len(target.shape) == len(output.shape)
            else ""
        )
        raise ValueError(
            "In sparse_categorical_crossentropy, `y_true` must hold one integer class index per "
            "sample, with shape `y_pred.shape[:-1]` (or that shape plus a trailing 1). "
            f"Received: y_true.shape={target.shape}, y_pred.shape={output.shape}.{hint}"
        )


def _backend_sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if axis != -1 and axis != len(output.shape) - 1:
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    output, from_logits = _get_logits(
        output, from_logits, "Softmax", "sparse_categorical_crossentropy"
    )
    target = tf.cast(tf.convert_to_tensor(target), "int64")
    output = tf.convert_to_tensor(output)
    if len(target.shape) == len(output.shape) and target.shape[-1] == 1:
        target = tf.squeeze(target, axis=-1)
    if len(output.shape) < 1:
        raise ValueError(
            "In sparse_categorical_crossentropy, `y_pred` must be at least rank 1. "
            f"Received: y_pred.shape={output.shape}"
        )
    if not from_logits:
        output = tf.math.log(tf.clip_by_value(output, backend.epsilon(), 1 - backend.epsilon()))
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


@register_builtin
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical crossentropy with integer class indices as labels.

    Args:
        y_true: Integer class indices, shape `y_pred.shape[:-1]` (a trailing 1 is allowed).
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits.
        ignore_class: Optional class index whose samples are masked out of the loss.
        axis: The class axis (only the last one is supported).

    Returns:
        Per-sample loss values.

    Raises:
        ValueError: if the shapes do not fit (with a hint to use the categorical loss for
            one-hot labels).
    """
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = tf.squeeze(y_true, axis=axis)
    _check_sparse_shapes(y_true, y_pred)
    if ignore_class is not None:
        class_axis = axis % len(y_pred.shape)
        y_pred_shape = tf.shape(y_pred)
        res_shape = [y_pred_shape[i] for i in range(len(y_pred.shape)) if i != class_axis]
        valid_mask = tf.not_equal(y_true, tf.cast(ignore_class, y_true.dtype))
        y_true = tf.where(valid_mask, y_true, tf.zeros_like(y_true))
        y_pred = tf.where(tf.expand_dims(valid_mask, axis), y_pred, tf.zeros_like(y_pred))
    res = _backend_sparse_categorical_crossentropy(y_true, y_pred, from_logits, axis)
    if ignore_class is not None:
        valid_mask = tf.reshape(valid_mask, res_shape)
        res = tf.where(valid_mask, res, tf.zeros_like(res))
        res._keras_mask = valid_mask
    return res


# ------------------------------------------------------------------------------ classes


class _NamedWrapper(LossFunctionWrapper):
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


@register_builtin
class MeanSquaredError(_NamedWrapper):
    """Mean of squares of errors between labels and predictions."""

    _fn = mean_squared_error

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class MeanAbsoluteError(_NamedWrapper):
    """Mean of absolute errors between labels and predictions."""

    _fn = mean_absolute_error

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class MeanAbsolutePercentageError(_NamedWrapper):
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
class MeanSquaredLogarithmicError(_NamedWrapper):
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
class CosineSimilarity(_NamedWrapper):
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
class Huber(_NamedWrapper):
    """Huber loss: quadratic for small errors, linear for large ones.

    Args:
        delta: The error size where the loss changes from quadratic to linear.
    """

    _fn = huber
    _config_keys = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


@register_builtin
class LogCosh(_NamedWrapper):
    """Logarithm of the hyperbolic cosine of the prediction error."""

    _fn = log_cosh

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class Hinge(_NamedWrapper):
    """Hinge loss; labels are -1/1 (0/1 labels are converted)."""

    _fn = hinge

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class SquaredHinge(_NamedWrapper):
    """Squared hinge loss; labels are -1/1 (0/1 labels are converted)."""

    _fn = squared_hinge

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class CategoricalHinge(_NamedWrapper):
    """Categorical hinge loss between one-hot labels and predictions."""

    _fn = categorical_hinge

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class KLDivergence(_NamedWrapper):
    """Kullback-Leibler divergence between labels and predictions."""

    _fn = kl_divergence

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class Poisson(_NamedWrapper):
    """Poisson loss: `y_pred - y_true * log(y_pred)`."""

    _fn = poisson

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class BinaryCrossentropy(_NamedWrapper):
    """Binary crossentropy between labels in `[0, 1]` and predicted probabilities or logits.

    Args:
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`; labels move towards 0.5 by this amount.
        axis: The axis the mean is taken over.
    """

    _fn = binary_crossentropy
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@register_builtin
class BinaryFocalCrossentropy(_NamedWrapper):
    """Binary focal crossentropy: down-weights well-classified examples.

    Args:
        apply_class_balancing: Whether to weight classes by `alpha`.
        alpha: Weight of the positive class when balancing.
        gamma: Focusing parameter.
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`.
        axis: The axis the mean is taken over.
    """

    _fn = binary_focal_crossentropy
    _config_keys = (
        "from_logits",
        "label_smoothing",
        "axis",
        "apply_class_balancing",
        "alpha",
        "gamma",
    )

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@register_builtin
class CategoricalCrossentropy(_NamedWrapper):
    """Categorical crossentropy between one-hot labels and predicted probabilities or logits.

    Args:
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`; labels move towards uniform by this amount.
        axis: The class axis.
    """

    _fn = categorical_crossentropy
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@register_builtin
class CategoricalFocalCrossentropy(_NamedWrapper):
    """Categorical focal crossentropy: down-weights well-classified examples.

    Args:
        alpha: Weighting factor.
        gamma: Focusing parameter.
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`.
        axis: The class axis.
    """

    _fn = categorical_focal_crossentropy
    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@register_builtin
class SparseCategoricalCrossentropy(_NamedWrapper):
    """Categorical crossentropy with integer class indices as labels.

    Args:
        from_logits: Whether predictions are logits.
        ignore_class: Optional class index whose samples are left out of the loss.
        axis: The class axis.
    """

    _fn = sparse_categorical_crossentropy
    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )


# Short names, as in Keras.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh

_ALL = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
)
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in _ALL}
ALL_OBJECTS_DICT.update(
    {
        "bce": bce,
        "BCE": BCE,
        "kld": kld,
        "KLD": KLD,
        "mae": mae,
        "MAE": MAE,
        "mse": mse,
        "MSE": MSE,
        "mape": mape,
        "MAPE": MAPE,
        "msle": msle,
        "MSLE": MSLE,
    }
)


def serialize(loss):
    """Returns the JSON-able form of a loss function (its name) or `Loss` object (a config)."""
    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """Rebuilds a loss function or `Loss` object from `serialize`'s output."""
    return deserialize_keras_object(
        name, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns a loss from a name, a config, a `Loss` or a callable.

    Snake-case names (`"mse"`, `"categorical_crossentropy"`) give the function; class names
    (`"MeanSquaredError"`) give a new instance with default arguments.

    Args:
        identifier: `None`, a name, a serialized config, a `Loss` class or instance, or a
            callable `fn(y_true, y_pred)`.

    Returns:
        A loss function or `Loss` instance, or `None`.

    Raises:
        ValueError: if `identifier` cannot be interpreted; the message lists valid names.
    """
    return resolve_identifier(
        identifier,
        "loss",
        ALL_OBJECTS_DICT,
        expected="a name, a config, a Loss or a callable",
        hint=" Custom losses can be passed as functions or Loss objects, or registered with "
        "@kerascore.saving.register_keras_serializable().",
    )
