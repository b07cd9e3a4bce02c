"""What the global pooling layers share."""

import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.layers.pooling.base_pooling import SPATIAL_NAMES
from kerascore.utils.argument_validation import standardize_data_format
from kerascore.utils.conv_utils import assemble_shape, spatial_and_channels


class BaseGlobalPooling(Layer):
    """Reduces all spatial axes (max or mean), keeping them as size 1 with `keepdims`.

    Subclasses set `rank`, the number of spatial axes.
    """

    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        _, channels = spatial_and_channels(input_shape, self.data_format)
        if self.keepdims:
            return assemble_shape(input_shape[0], (1,) * self.rank, channels, self.data_format)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_GLOBAL_DOC = """Global {mode} pooling over the {rank} spatial axes of the input.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: whether to keep the reduced axes with size 1.{mask_note}

    Input shape:
        `(batch, {spatial}, channels)` (`channels_last`) or `(batch, channels, {spatial})`.

    Output shape:
        `(batch, channels)`, or with `keepdims` `(batch, {ones}, channels)` (`channels_last`).

    Example:
        layer = keras.layers.{name}()
        layer(np.ones((2, {example}, 3))).shape  # (2, 3)
    """


def global_pooling_doc(rank, mode, name, mask_note=""):
    return _GLOBAL_DOC.format(
        rank=rank,
        mode=mode,
        name=name,
        mask_note=mask_note,
        spatial=SPATIAL_NAMES[rank],
        ones=", ".join(["1"] * rank),
        example=", ".join(["4"] * rank),
    )


class BaseGlobalMaxPooling(BaseGlobalPooling):
    def call(self, inputs):
        return tf.reduce_max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class BaseGlobalAveragePooling(BaseGlobalPooling):
    def call(self, inputs):
        return tf.reduce_mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)
