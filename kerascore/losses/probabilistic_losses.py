"""Probabilistic losses: crossentropies (plain and focal), KL divergence, Poisson;
functions and classes.
"""

import warnings

import tensorflow as tf

from kerascore import activations, backend
from kerascore.losses.loss import NamedLossWrapper, float_pair
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))`, inputs clipped."""
    y_true, y_pred = float_pair(y_true, y_pred, squeeze=False)
    y_true = tf.clip_by_value(y_true, backend.epsilon(), 1)
    y_pred = tf.clip_by_value(y_pred, backend.epsilon(), 1)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


@register_builtin
def poisson(y_true, y_pred):
    """Mean of `y_pred - y_true * log(y_pred + epsilon)` over the last axis."""
    y_true, y_pred = float_pair(y_true, y_pred, squeeze=False)
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


@register_builtin
class KLDivergence(NamedLossWrapper):
    """Kullback-Leibler divergence between labels and predictions."""

    _fn = kl_divergence

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class Poisson(NamedLossWrapper):
    """Poisson loss: `y_pred - y_true * log(y_pred)`."""

    _fn = poisson

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_builtin
class BinaryCrossentropy(NamedLossWrapper):
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
class BinaryFocalCrossentropy(NamedLossWrapper):
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
class CategoricalCrossentropy(NamedLossWrapper):
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
class CategoricalFocalCrossentropy(NamedLossWrapper):
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
class SparseCategoricalCrossentropy(NamedLossWrapper):
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


kld = KLD = kl_divergence


bce = BCE = binary_crossentropy


@register_builtin
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy `(1 - p**q) / q`, `p` the probability of the true class.

    Robust to noisy labels (Zhang & Sabuncu, 2018): as `q` nears 0 it behaves like
    crossentropy, as `q` nears 1 like mean absolute error.

    Args:
        y_true: Integer class indices, `(batch_size,)`.
        y_pred: Class probabilities, `(batch_size, num_classes)`.
        q: The noise parameter, in `(0, 1)`.

    Returns:
        Per-sample losses, `(batch_size,)`.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    one_hot = tf.one_hot(tf.cast(y_true, "int32"), tf.shape(y_pred)[-1], dtype=y_pred.dtype)
    p = tf.reduce_sum(y_pred * one_hot, axis=-1)
    return (1 - tf.pow(p, tf.cast(q, p.dtype))) / q


@register_builtin
class CategoricalGeneralizedCrossEntropy(NamedLossWrapper):
    """Generalized cross entropy between integer labels and class probabilities.

    Args:
        q: The noise parameter, in `(0, 1)`.
        reduction: See `Loss`.
        name: Name of the loss.
        dtype: See `Loss`.

    Raises:
        ValueError: if `q` is not strictly between 0 and 1.
    """

    _fn = categorical_generalized_cross_entropy
    _config_keys = ("q",)

    def __init__(
        self,
        q=0.5,
        reduction="sum_over_batch_size",
        name="categorical_generalized_cross_entropy",
        dtype=None,
    ):
        if not 0 < q < 1:
            raise ValueError(f"Expected `q` in the open interval (0, 1). Received: q={q}")
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)
