"""`GroupNormalization`: normalizes groups of channels."""

import numpy as np
import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.layers.normalization.base_normalization import (
    ScaleOffsetMixin,
    broadcast_weight,
    check_axes_in_range,
    check_axis,
    check_epsilon,
    gamma_beta_config,
    normalize_moments,
    to_float32,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class GroupNormalization(ScaleOffsetMixin, Layer):
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
        axis = check_axis("GroupNormalization", axis)
        if not isinstance(axis, int):
            raise ValueError(f"GroupNormalization takes a single axis. Received: axis={axis}")
        self.groups = int(groups)
        self.axis = axis
        self.epsilon = check_epsilon("GroupNormalization", epsilon)
        self._init_scale_offset(locals())
        self.supports_masking = True

    def build(self, input_shape):
        check_axes_in_range(self, input_shape, [self.axis])
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
        inputs = to_float32(inputs)
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
        gamma = broadcast_weight(self.gamma, inputs.dtype, broadcast)
        beta = broadcast_weight(self.beta, inputs.dtype, broadcast)
        outputs = normalize_moments(grouped, mean, variance, self.epsilon, gamma, beta)
        return tf.cast(tf.reshape(outputs, dynamic), compute_dtype)

    def compute_output_shape(self, input_shape):
        check_axes_in_range(self, input_shape, [self.axis])
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **gamma_beta_config(self),
        }
