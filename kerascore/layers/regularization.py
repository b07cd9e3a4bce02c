"""Regularization layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
AlphaDropout and ActivityRegularization. (Dropout lives in `core`.)

The random layers change their inputs only in training (`fit` passes `training=True`) and
return them unchanged otherwise.
"""

__all__ = [
    "ActivityRegularization",
    "AlphaDropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]

import math

import tensorflow as tf

from kerascore import regularizers
from kerascore.layers.conv import add_activity_loss, standardize_data_format
from kerascore.models.layer import InputSpec, Layer
from kerascore.saving.serialization import register_builtin


def _check_rate(layer_name, rate):
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
        raise ValueError(
            f"Invalid value received for argument `rate` of {layer_name}: expected a float in "
            f"[0, 1). Received: rate={rate!r}"
        )
    return float(rate)


class _TrainingNoise(Layer):
    """A layer that changes its inputs only in training; shape and mask pass through."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _SpatialDropout(_TrainingNoise):
    """Drops whole feature maps (channels) instead of single entries.

    Subclasses set `rank`, the number of spatial axes.
    """

    rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(type(self).__name__, rate)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = tf.shape(inputs)
        if self.data_format == "channels_last":
            noise_shape = [shape[0], *([1] * self.rank), shape[-1]]
        else:
            noise_shape = [shape[0], shape[1], *([1] * self.rank)]
        return tf.nn.dropout(
            inputs, rate=self.rate, noise_shape=tf.stack(noise_shape), seed=self.seed
        )

    def get_config(self):
        config = {**super().get_config(), "rate": self.rate, "seed": self.seed}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


_SPATIAL_DOC = """Spatial {rank}D dropout: in training, zeroes whole channels of each sample
    with probability `rate` and scales the rest by `1 / (1 - rate)`.

    Neighbouring {what} are strongly correlated, so dropping single entries barely
    regularizes; dropping whole feature maps does.

    Args:
        rate: float in [0, 1), the fraction of channels to drop.{data_format}
        seed: an int for reproducible masks.

    Call arguments:
        training: drop only when True.

    Example:
        layer = keras.layers.SpatialDropout{rank}D(0.5)
        layer(np.ones((2, {example}, 3)), training=True).shape  # (2, {example}, 3)
    """


def _spatial_doc(rank, what, example):
    data_format = (
        ""
        if rank == 1
        else '\n        data_format: `"channels_last"` (default) or `"channels_first"`.'
    )
    return _SPATIAL_DOC.format(rank=rank, what=what, data_format=data_format, example=example)


@register_builtin
class SpatialDropout1D(_SpatialDropout):
    __doc__ = _spatial_doc(1, "time steps", "4")
    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


@register_builtin
class SpatialDropout2D(_SpatialDropout):
    __doc__ = _spatial_doc(2, "pixels", "4, 4")
    rank = 2


@register_builtin
class SpatialDropout3D(_SpatialDropout):
    __doc__ = _spatial_doc(3, "voxels", "4, 4, 4")
    rank = 3


@register_builtin
class GaussianNoise(_TrainingNoise):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` in training.

    Args:
        stddev: non-negative float, the standard deviation of the noise.
        seed: an int for reproducible noise.

    Call arguments:
        training: add noise only when True.

    Example:
        layer = keras.layers.GaussianNoise(0.1)
        layer(np.ones((2, 3)), training=True).shape  # (2, 3)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(stddev, (int, float)) or isinstance(stddev, bool) or stddev < 0:
            raise ValueError(
                "Invalid value received for argument `stddev` of GaussianNoise: expected a "
                f"non-negative float. Received: stddev={stddev!r}"
            )
        self.stddev = float(stddev)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = tf.random.normal(
            tf.shape(inputs), stddev=self.stddev, dtype=inputs.dtype, seed=self.seed
        )
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


@register_builtin
class GaussianDropout(_TrainingNoise):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` in training.

    Args:
        rate: float in [0, 1), the drop probability of the equivalent dropout.
        seed: an int for reproducible noise.

    Call arguments:
        training: apply noise only when True.

    Example:
        layer = keras.layers.GaussianDropout(0.2)
        layer(np.ones((2, 3)), training=True).shape  # (2, 3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("GaussianDropout", rate)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = tf.random.normal(
            tf.shape(inputs), mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed
        )
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@register_builtin
class AlphaDropout(_TrainingNoise):
    """Dropout for self-normalizing (SELU) networks: in training, dropped inputs are set to
    SELU's negative saturation value and an affine correction keeps the mean and variance.

    Args:
        rate: float in [0, 1), the fraction of inputs to drop.
        noise_shape: the shape of the binary mask (None entries take the input's size).
        seed: an int for reproducible masks.

    Call arguments:
        training: drop only when True.

    Example:
        layer = keras.layers.AlphaDropout(0.1)
        layer(np.ones((2, 3)), training=True).shape  # (2, 3)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else list(noise_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = tf.shape(inputs)
        noise_shape = shape
        if self.noise_shape is not None:
            noise_shape = tf.stack(
                [shape[i] if dim is None else dim for i, dim in enumerate(self.noise_shape)]
            )
        alpha = 1.6732632423543772848170429916717
        scale = 1.0507009873554804934193349852946
        alpha_p = -alpha * scale
        kept = tf.cast(tf.random.uniform(noise_shape, seed=self.seed) >= self.rate, inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


@register_builtin
class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x**2)`, divided by the
    batch size, to the model's loss.

    Args:
        l1: non-negative float, the L1 factor.
        l2: non-negative float, the L2 factor.

    Example:
        layer = keras.layers.ActivityRegularization(l1=0.01)
        layer(np.ones((2, 3))); layer.losses  # [0.03]
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(
                    f"Expected a non-negative float for `{name}` of ActivityRegularization. "
                    f"Received: {name}={value!r}"
                )
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)
        self.supports_masking = True

    def call(self, inputs):
        add_activity_loss(self, inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
