"""`SpatialDropout1D/2D/3D`: drop whole channels in training."""

import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.regularization.training_noise import TrainingNoise, check_rate
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import standardize_data_format


class _SpatialDropout(TrainingNoise):
    """Drops whole feature maps (channels) instead of single entries.

    Subclasses set `rank`, the number of spatial axes.
    """

    rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate(type(self).__name__, rate)
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
