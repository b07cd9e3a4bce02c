"""`BatchNormalization`: normalizes with batch statistics in training, moving ones after."""

import tensorflow as tf

from kerascore import backend, initializers
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.layers.normalization.base_normalization import (
    ScaleOffsetMixin,
    check_axes_in_range,
    check_axis,
    check_epsilon,
    gamma_beta_config,
    to_float32,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class BatchNormalization(ScaleOffsetMixin, Layer):
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
        axis = check_axis("BatchNormalization", axis)
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
        self.epsilon = check_epsilon("BatchNormalization", epsilon)
        self._init_scale_offset(locals())
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.synchronized = bool(synchronized)
        self.supports_masking = True

    def build(self, input_shape):
        check_axes_in_range(self, input_shape, [self.axis])
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
        inputs = to_float32(inputs)
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
        check_axes_in_range(self, input_shape, [self.axis])
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **gamma_beta_config(self),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
