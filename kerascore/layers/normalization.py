"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization and RMSNormalization.

Statistics are computed in float32 even under mixed precision (float16 overflows), and the
output is cast back to the layer's compute dtype.
"""

__all__ = [
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "RMSNormalization",
    "UnitNormalization",
]

import numpy as np
import tensorflow as tf

from kerascore import backend, constraints, initializers, regularizers
from kerascore.models.layer import InputSpec, Layer
from kerascore.saving.serialization import register_builtin, serialize_keras_object


def _check_axis(layer_name, axis):
    """Returns `axis` as an int or a list of ints; raises ValueError naming it otherwise."""

    def is_int(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    if is_int(axis):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(is_int(a) for a in axis):
        return [int(a) for a in axis]
    raise ValueError(
        f"Expected an int or a list/tuple of ints for the argument `axis` of {layer_name}. "
        f"Received: axis={axis!r}"
    )


def _check_epsilon(layer_name, epsilon):
    if not isinstance(epsilon, (int, float)) or isinstance(epsilon, bool) or epsilon <= 0:
        raise ValueError(
            f"Expected a positive float for the argument `epsilon` of {layer_name}. "
            f"Received: epsilon={epsilon!r}"
        )
    return float(epsilon)


def _check_axes_in_range(layer, input_shape, axes):
    rank = len(input_shape)
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(
                f"Axis {axis} is out of bounds for input shape {tuple(input_shape)} of layer "
                f"'{layer.name}'. Received: axis={layer.axis}"
            )


def _to_float32(inputs):
    return tf.cast(inputs, tf.float32) if inputs.dtype in (tf.float16, tf.bfloat16) else inputs


def _sorted_axes(axis):
    """`axis` (an int or a list of ints) as a sorted list."""
    return sorted(axis) if isinstance(axis, list) else [axis]


def _axes_and_broadcast(inputs, axes):
    """The non-negative sorted `axes` of `inputs`, and the shape that broadcasts a weight
    spanning them against `inputs`."""
    rank = inputs.shape.rank
    axes = sorted(a % rank for a in axes)
    broadcast = [1] * rank
    for a in axes:
        broadcast[a] = inputs.shape[a]
    return axes, broadcast


def _broadcast_weight(weight, dtype, shape):
    """`weight` cast to `dtype` and reshaped to `shape` (None stays None)."""
    return None if weight is None else tf.reshape(tf.cast(weight, dtype), shape)


def _gamma_beta_config(layer):
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": serialize_keras_object(layer.beta_regularizer),
        "gamma_regularizer": serialize_keras_object(layer.gamma_regularizer),
        "beta_constraint": serialize_keras_object(layer.beta_constraint),
        "gamma_constraint": serialize_keras_object(layer.gamma_constraint),
    }


class _ScaleOffsetMixin:
    """Resolves and creates the `gamma` (scale) and `beta` (offset) weights."""

    def _init_scale_offset(self, arguments):
        """Stores `center`, `scale` and the `beta_*`/`gamma_*` options found in `arguments`
        (the calling `__init__`'s `locals()`)."""
        self.center = bool(arguments["center"])
        self.scale = bool(arguments["scale"])
        for option, resolve in (
            ("initializer", initializers.get),
            ("regularizer", regularizers.get),
            ("constraint", constraints.get),
        ):
            for weight in ("beta", "gamma"):
                name = f"{weight}_{option}"
                setattr(self, name, resolve(arguments[name]))

    def _add_scale_offset_weight(self, name, shape, enabled):
        """Sets `self.<name>` (`gamma` or `beta`) to a new weight, or None if not `enabled`."""
        weight = None
        if enabled:
            weight = self.add_weight(
                name=name,
                shape=shape,
                initializer=getattr(self, f"{name}_initializer"),
                regularizer=getattr(self, f"{name}_regularizer"),
                constraint=getattr(self, f"{name}_constraint"),
            )
        setattr(self, name, weight)


@register_builtin
class BatchNormalization(_ScaleOffsetMixin, Layer):
    """Normalizes each feature with batch statistics in training and moving averages of them
    at inference: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    In training (`training=True`, as in `fit`) the layer uses the mean and variance of the
    current batch and updates `moving_mean` and `moving_variance` as
    `moving = moving * momentum + batch_statistic * (1 - momentum)`. At inference it uses the
    moving statistics. As in Keras 3, a layer with `trainable=False` always runs in
    inference mode, also when called with `training=True` (the frozen behaviour fine-tuning
    relies on).

    Args:
        axis: the features axis (`-1` for `channels_last`, `1` for `channels_first`).
        momentum: the momentum of the moving averages, in [0, 1].
        epsilon: a small positive float added to the variance.
        center: whether to add the offset `beta`.
        scale: whether to multiply by `gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers of the weights.
        beta_regularizer, gamma_regularizer: penalties added to the loss.
        beta_constraint, gamma_constraint: projections applied after each update.
        synchronized: whether to compute the batch statistics over all replicas under a
            `tf.distribute` strategy.

    Call arguments:
        training: whether to normalize with batch statistics and update the moving ones.
        mask: optional boolean mask of the inputs' shape without the features axis; masked
            positions are left out of the batch statistics.

    Input shape:
        Any; output has the same shape.

    Example:
        layer = keras.layers.BatchNormalization()
        layer(np.ones((4, 3)), training=True).shape  # (4, 3)
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        axis = _check_axis("BatchNormalization", axis)
        if not isinstance(axis, int):
            raise ValueError(
                f"BatchNormalization normalizes along a single axis. Received: axis={axis}"
            )
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(
                "Expected a float in [0, 1] for the argument `momentum` of "
                f"BatchNormalization. Received: momentum={momentum!r}"
            )
        if renorm:
            raise ValueError(
                "kerascore's BatchNormalization does not implement batch renormalization. "
                "Received: renorm=True; use renorm=False."
            )
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon("BatchNormalization", epsilon)
        self._init_scale_offset(locals())
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.synchronized = bool(synchronized)
        self.supports_masking = True

    def build(self, input_shape):
        _check_axes_in_range(self, input_shape, [self.axis])
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Layer '{self.name}' needs a defined size along axis {self.axis}. Received "
                f"input shape {tuple(input_shape)}."
            )
        shape = (dim,)
        self._add_scale_offset_weight("gamma", shape, self.scale)
        self._add_scale_offset_weight("beta", shape, self.center)
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            name="moving_variance",
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        rank = len(input_shape)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        self._reduction_axes = [a for a in range(rank) if a != self.axis % rank]
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if mask is not None and len(mask.shape) != inputs.shape.rank - 1:
            raise ValueError(
                "The mask provided should be one dimension less than the inputs. Received: "
                f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        compute_dtype = inputs.dtype
        inputs = _to_float32(inputs)
        if training and self.trainable:
            mean, variance = self._moments(inputs, mask)
            momentum = self.momentum
            self.moving_mean.assign(
                self.moving_mean * momentum
                + tf.cast(mean, self.moving_mean.dtype) * (1.0 - momentum)
            )
            self.moving_variance.assign(
                self.moving_variance * momentum
                + tf.cast(variance, self.moving_variance.dtype) * (1.0 - momentum)
            )
        else:
            mean = tf.cast(self.moving_mean, inputs.dtype)
            variance = tf.cast(self.moving_variance, inputs.dtype)
        gamma = None if self.gamma is None else tf.cast(self.gamma, inputs.dtype)
        beta = None if self.beta is None else tf.cast(self.beta, inputs.dtype)
        if self.axis % inputs.shape.rank != inputs.shape.rank - 1:
            broadcast = [1] * inputs.shape.rank
            broadcast[self.axis] = -1
            mean, variance = tf.reshape(mean, broadcast), tf.reshape(variance, broadcast)
            gamma = None if gamma is None else tf.reshape(gamma, broadcast)
            beta = None if beta is None else tf.reshape(beta, broadcast)
        outputs = tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, self.epsilon)
        return tf.cast(outputs, compute_dtype)

    def _moments(self, inputs, mask):
        if mask is None:
            replica = tf.distribute.get_replica_context()
            if self.synchronized and replica is not None and replica.num_replicas_in_sync > 1:
                return self._synchronized_moments(inputs, replica)
            return tf.nn.moments(inputs, axes=self._reduction_axes)
        mask = tf.cast(tf.expand_dims(tf.convert_to_tensor(mask), -1), tf.bool)
        mask = tf.broadcast_to(mask, tf.shape(inputs))
        weights = tf.cast(mask, inputs.dtype)
        count = tf.reduce_sum(weights, self._reduction_axes, keepdims=True)
        mean = tf.reduce_sum(tf.where(mask, inputs, 0.0), self._reduction_axes, keepdims=True) / (
            count + backend.epsilon()
        )
        squared = tf.square(tf.where(mask, inputs - mean, 0.0))
        variance = tf.reduce_sum(squared, self._reduction_axes, keepdims=True) / (
            count + backend.epsilon()
        )
        return tf.squeeze(mean), tf.squeeze(variance)

    def _synchronized_moments(self, inputs, replica):
        total = tf.reduce_sum(inputs, self._reduction_axes)
        squared_total = tf.reduce_sum(tf.square(inputs), self._reduction_axes)
        count = tf.cast(tf.size(inputs) // tf.shape(inputs)[self.axis], inputs.dtype)
        total, squared_total, count = replica.all_reduce(
            tf.distribute.ReduceOp.SUM, [total, squared_total, count]
        )
        mean = total / count
        return mean, tf.maximum(squared_total / count - tf.square(mean), 0.0)

    def compute_output_shape(self, input_shape):
        _check_axes_in_range(self, input_shape, [self.axis])
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **_gamma_beta_config(self),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


def _normalize_moments(inputs, mean, variance, epsilon, gamma, beta):
    """`(x - mean) * rsqrt(variance + epsilon) * gamma + beta`, in Keras's operation order."""
    inv = tf.math.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    offset = -mean * inv
    if beta is not None:
        offset = offset + beta
    return inputs * inv + offset


@register_builtin
class LayerNormalization(_ScaleOffsetMixin, Layer):
    """Normalizes each sample over `axis` (the features by default) to zero mean and unit
    variance, then scales by `gamma` and shifts by `beta`.

    Args:
        axis: int or list of ints, the axes to normalize over.
        epsilon: a small positive float added to the variance.
        center: whether to add the offset `beta`.
        scale: whether to multiply by `gamma`.
        beta_initializer, gamma_initializer: initializers of the weights.
        beta_regularizer, gamma_regularizer: penalties added to the loss.
        beta_constraint, gamma_constraint: projections applied after each update.

    Input shape:
        Any; output has the same shape.

    Example:
        layer = keras.layers.LayerNormalization()
        layer(np.random.rand(2, 5)).shape  # (2, 5)
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        super().__init__(**kwargs)
        self.axis = _check_axis("LayerNormalization", axis)
        self.epsilon = _check_epsilon("LayerNormalization", epsilon)
        self.rms_scaling = rms_scaling
        self._init_scale_offset(locals())
        self.supports_masking = True

    def _axes(self):
        return _sorted_axes(self.axis)

    def build(self, input_shape):
        axes = self._axes()
        _check_axes_in_range(self, input_shape, axes)
        shape = tuple(input_shape[a] for a in axes)
        if any(dim is None for dim in shape):
            raise ValueError(
                f"Layer '{self.name}' needs defined sizes along axis={self.axis}. Received "
                f"input shape {tuple(input_shape)}."
            )
        self._add_scale_offset_weight("gamma", shape, self.scale or self.rms_scaling)
        self._add_scale_offset_weight("beta", shape, self.center and not self.rms_scaling)
        self.built = True

    def call(self, inputs):
        compute_dtype = inputs.dtype
        inputs = _to_float32(inputs)
        axes, broadcast = _axes_and_broadcast(inputs, self._axes())
        gamma = _broadcast_weight(self.gamma, inputs.dtype, broadcast)
        beta = _broadcast_weight(self.beta, inputs.dtype, broadcast)
        if self.rms_scaling:
            _, variance = tf.nn.moments(inputs, axes=axes, keepdims=True)
            outputs = inputs * tf.math.rsqrt(variance + self.epsilon)
            if gamma is not None:
                outputs = outputs * gamma
        else:
            mean, variance = tf.nn.moments(inputs, axes=axes, keepdims=True)
            outputs = _normalize_moments(inputs, mean, variance, self.epsilon, gamma, beta)
        return tf.cast(outputs, compute_dtype)

    def compute_output_shape(self, input_shape):
        _check_axes_in_range(self, input_shape, self._axes())
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **_gamma_beta_config(self),
        }


@register_builtin
class GroupNormalization(_ScaleOffsetMixin, Layer):
    """Splits the channels into `groups` and normalizes each group of each sample over the
    group's channels and all spatial positions; then scales and shifts per channel.

    Args:
        groups: positive int dividing the number of channels, or -1 for one group per
            channel (instance normalization).
        axis: the channels axis.
        epsilon: a small positive float added to the variance.
        center: whether to add the offset `beta`.
        scale: whether to multiply by `gamma`.
        beta_initializer, gamma_initializer: initializers of the weights.
        beta_regularizer, gamma_regularizer: penalties added to the loss.
        beta_constraint, gamma_constraint: projections applied after each update.

    Input shape:
        Any with a defined size along `axis`; output has the same shape.

    Example:
        layer = keras.layers.GroupNormalization(groups=2)
        layer(np.random.rand(2, 5, 4)).shape  # (2, 5, 4)
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        if (
            not isinstance(groups, (int, np.integer))
            or isinstance(groups, bool)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a positive integer "
                f"(or `-1` for instance normalization). Received: groups={groups!r}"
            )
        super().__init__(**kwargs)
        axis = _check_axis("GroupNormalization", axis)
        if not isinstance(axis, int):
            raise ValueError(f"GroupNormalization takes a single axis. Received: axis={axis}")
        self.groups = int(groups)
        self.axis = axis
        self.epsilon = _check_epsilon("GroupNormalization", epsilon)
        self._init_scale_offset(locals())
        self.supports_masking = True

    def build(self, input_shape):
        _check_axes_in_range(self, input_shape, [self.axis])
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the "
                f"layer received an input with shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"Number of groups ({self.groups}) cannot be more than the number of channels "
                f"({dim}). Received: groups={self.groups}, input shape {tuple(input_shape)}."
            )
        if dim % self.groups:
            raise ValueError(
                f"The number of channels ({dim}) must be a multiple of the number of groups. "
                f"Received: groups={self.groups}, input shape {tuple(input_shape)}."
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self._add_scale_offset_weight("gamma", (dim,), self.scale)
        self._add_scale_offset_weight("beta", (dim,), self.center)
        self.built = True

    def call(self, inputs):
        compute_dtype = inputs.dtype
        inputs = _to_float32(inputs)
        rank = inputs.shape.rank
        axis = self.axis % rank
        static = inputs.shape.as_list()
        dynamic = tf.shape(inputs)
        shape = [dynamic[i] if dim is None else dim for i, dim in enumerate(static)]
        group_shape = shape[:axis] + [self.groups, static[axis] // self.groups] + shape[axis + 1 :]
        grouped = tf.reshape(inputs, tf.stack(group_shape))
        reduction = [a for a in range(1, rank + 1) if a != axis]
        mean, variance = tf.nn.moments(grouped, axes=reduction, keepdims=True)
        broadcast = [1] * (rank + 1)
        broadcast[axis], broadcast[axis + 1] = self.groups, static[axis] // self.groups
        gamma = _broadcast_weight(self.gamma, inputs.dtype, broadcast)
        beta = _broadcast_weight(self.beta, inputs.dtype, broadcast)
        outputs = _normalize_moments(grouped, mean, variance, self.epsilon, gamma, beta)
        return tf.cast(tf.reshape(outputs, dynamic), compute_dtype)

    def compute_output_shape(self, input_shape):
        _check_axes_in_range(self, input_shape, [self.axis])
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **_gamma_beta_config(self),
        }


@register_builtin
class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis`: `x / max(||x||, 1e-12)`.

    Args:
        axis: int or list of ints, the axes whose norm becomes 1.

    Input shape:
        Any; output has the same shape.

    Example:
        layer = keras.layers.UnitNormalization()
        layer(np.array([[3.0, 4.0]]))  # [[0.6, 0.8]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis("UnitNormalization", axis)
        self.supports_masking = True

    def call(self, inputs):
        square_sum = tf.reduce_sum(tf.square(inputs), axis=self.axis, keepdims=True)
        inverse_norm = tf.minimum(tf.math.rsqrt(square_sum), 1e12)
        return inputs * inverse_norm

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes_in_range(self, input_shape, axes)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@register_builtin
class RMSNormalization(Layer):
    """Root-mean-square normalization: `x * rsqrt(mean(x**2) + epsilon) * scale`.

    Args:
        axis: int or list of ints, the axes to normalize over.
        epsilon: a small positive float added to the mean square.

    Input shape:
        Any; output has the same shape.

    Example:
        layer = keras.layers.RMSNormalization()
        layer(np.random.rand(2, 5)).shape  # (2, 5)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis("RMSNormalization", axis)
        self.epsilon = _check_epsilon("RMSNormalization", epsilon)

    def _axes(self):
        return _sorted_axes(self.axis)

    def build(self, input_shape):
        _check_axes_in_range(self, input_shape, self._axes())
        shape = tuple(input_shape[a] for a in self._axes())
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, inputs):
        compute_dtype = inputs.dtype
        inputs = _to_float32(inputs)
        axes, broadcast = _axes_and_broadcast(inputs, self._axes())
        mean_square = tf.reduce_mean(tf.square(inputs), axis=axes, keepdims=True)
        outputs = inputs * tf.math.rsqrt(mean_square + self.epsilon)
        outputs = outputs * tf.reshape(tf.cast(self.scale, inputs.dtype), broadcast)
        return tf.cast(outputs, compute_dtype)

    def compute_output_shape(self, input_shape):
        _check_axes_in_range(self, input_shape, self._axes())
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
