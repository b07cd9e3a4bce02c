"""`BasePooling`: what max and average pooling share."""

import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.utils.argument_validation import (
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from kerascore.utils.conv_utils import (
    TF_FORMATS,
    assemble_shape,
    conv_output_length,
    rank_signature,
    spatial_and_channels,
    to_channels_first,
    to_channels_last,
)


class BasePooling(Layer):
    """Max or average over windows of `pool_size` moved by `strides` over the spatial axes.

    Subclasses set `rank`, the number of spatial axes, and `pool_mode`.
    """

    rank = None
    pool_mode = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__signature__ = rank_signature(cls, ("pool_size",))

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        rank = self.rank
        self.pool_size = standardize_tuple(pool_size, rank, "pool_size")
        self.strides = standardize_tuple(pool_size if strides is None else strides, rank, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first":
            inputs = to_channels_last(inputs)
        pool = tf.nn.max_pool if self.pool_mode == "max" else tf.nn.avg_pool
        outputs = pool(
            inputs,
            ksize=self.pool_size,
            strides=self.strides,
            padding=self.padding.upper(),
            data_format=TF_FORMATS[self.rank],
        )
        if self.data_format == "channels_first":
            outputs = to_channels_first(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        spatial, channels = spatial_and_channels(input_shape, self.data_format)
        output_spatial = tuple(
            conv_output_length(length, p, s, self.padding)
            for length, p, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(dim is not None and dim <= 0 for dim in output_spatial):
            raise ValueError(
                f"Layer '{self.name}': the computed output size would be zero or negative "
                f"({output_spatial}) for input shape {tuple(input_shape)}, "
                f"pool_size={self.pool_size}, strides={self.strides}, "
                f"padding={self.padding!r}. Use a larger input, a smaller pool_size or "
                "padding='same'."
            )
        return assemble_shape(input_shape[0], output_spatial, channels, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


SPATIAL_NAMES = {1: "steps", 2: "rows, cols", 3: "d1, d2, d3"}


_POOLING_DOC = """{rank}D {mode} pooling: the {mode} of each window of `pool_size`.

    Args:
        pool_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints, the step of the window; `pool_size` when None.
        padding: `"valid"` (windows inside the input) or `"same"` (output size
            `ceil(input / strides)`{same_note}).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, {spatial}, channels)` (`channels_last`) or `(batch, channels, {spatial})`.

    Output shape:
        `(batch, {pooled}, channels)` (`channels_last`) or `(batch, channels, {pooled})`.

    Example:
        layer = keras.layers.{name}({example_pool})
        layer(np.ones((2, {example}, 3))).shape  # (2, {example_out}, 3)
    """


def pooling_doc(rank, mode, name):
    spatial = SPATIAL_NAMES[rank]
    pooled = {
        1: "pooled_steps",
        2: "pooled_rows, pooled_cols",
        3: "pooled_d1, pooled_d2, pooled_d3",
    }[rank]
    return _POOLING_DOC.format(
        rank=rank,
        mode=mode,
        name=name,
        spatial=spatial,
        pooled=pooled,
        same_note="; padded values are not counted in the average" if mode == "average" else "",
        example_pool=2,
        example=", ".join(["4"] * rank),
        example_out=", ".join(["2"] * rank),
    )
