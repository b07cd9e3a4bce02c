"""What the normalization layers share: axis and epsilon checks,
broadcasting, the gamma/beta weights.
"""

import numpy as np
import tensorflow as tf

from kerascore import constraints, initializers, regularizers
from kerascore.saving.serialization import serialize_keras_object


def check_axis(layer_name, axis):
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


def check_epsilon(layer_name, epsilon):
    if not isinstance(epsilon, (int, float)) or isinstance(epsilon, bool) or epsilon <= 0:
        raise ValueError(
            f"Expected a positive float for the argument `epsilon` of {layer_name}. "
            f"Received: epsilon={epsilon!r}"
        )
    return float(epsilon)


def check_axes_in_range(layer, input_shape, axes):
    rank = len(input_shape)
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(
                f"Axis {axis} is out of bounds for input shape {tuple(input_shape)} of layer "
                f"'{layer.name}'. Received: axis={layer.axis}"
            )


def to_float32(inputs):
    return tf.cast(inputs, tf.float32) if inputs.dtype in (tf.float16, tf.bfloat16) else inputs


def sorted_axes(axis):
    """`axis` (an int or a list of ints) as a sorted list."""
    return sorted(axis) if isinstance(axis, list) else [axis]


def axes_and_broadcast(inputs, axes):
    """The non-negative sorted `axes` of `inputs`, and the shape that broadcasts a weight
    spanning them against `inputs`."""
    rank = inputs.shape.rank
    axes = sorted(a % rank for a in axes)
    broadcast = [1] * rank
    for a in axes:
        broadcast[a] = inputs.shape[a]
    return axes, broadcast


def broadcast_weight(weight, dtype, shape):
    """`weight` cast to `dtype` and reshaped to `shape` (None stays None)."""
    return None if weight is None else tf.reshape(tf.cast(weight, dtype), shape)


def gamma_beta_config(layer):
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": serialize_keras_object(layer.beta_regularizer),
        "gamma_regularizer": serialize_keras_object(layer.gamma_regularizer),
        "beta_constraint": serialize_keras_object(layer.beta_constraint),
        "gamma_constraint": serialize_keras_object(layer.gamma_constraint),
    }


class ScaleOffsetMixin:
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


def normalize_moments(inputs, mean, variance, epsilon, gamma, beta):
    """`(x - mean) * rsqrt(variance + epsilon) * gamma + beta`, in Keras's operation order."""
    inv = tf.math.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    offset = -mean * inv
    if beta is not None:
        offset = offset + beta
    return inputs * inv + offset
