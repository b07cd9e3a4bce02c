"""`LayerNormalization`: normalizes each sample over its feature axes."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.layers.normalization.base_normalization import (
    ScaleOffsetMixin,
    axes_and_broadcast,
    broadcast_weight,
    check_axes_in_range,
    check_axis,
    check_epsilon,
    gamma_beta_config,
    normalize_moments,
    sorted_axes,
    to_float32,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class LayerNormalization(ScaleOffsetMixin, Layer):
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
        self.axis = check_axis("LayerNormalization", axis)
        self.epsilon = check_epsilon("LayerNormalization", epsilon)
        self.rms_scaling = rms_scaling
        self._init_scale_offset(locals())
        self.supports_masking = True

    def _axes(self):
        return sorted_axes(self.axis)

    def build(self, input_shape):
        axes = self._axes()
        check_axes_in_range(self, input_shape, axes)
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
        inputs = to_float32(inputs)
        axes, broadcast = axes_and_broadcast(inputs, self._axes())
        gamma = broadcast_weight(self.gamma, inputs.dtype, broadcast)
        beta = broadcast_weight(self.beta, inputs.dtype, broadcast)
        if self.rms_scaling:
            _, variance = tf.nn.moments(inputs, axes=axes, keepdims=True)
            outputs = inputs * tf.math.rsqrt(variance + self.epsilon)
            if gamma is not None:
                outputs = outputs * gamma
        else:
            mean, variance = tf.nn.moments(inputs, axes=axes, keepdims=True)
            outputs = normalize_moments(inputs, mean, variance, self.epsilon, gamma, beta)
        return tf.cast(outputs, compute_dtype)

    def compute_output_shape(self, input_shape):
        check_axes_in_range(self, input_shape, self._axes())
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **gamma_beta_config(self),
        }
