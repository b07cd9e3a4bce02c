"""`BaseUpSampling`: what the upsampling layers share."""

import tensorflow as tf

from kerascore.layers.reshaping.base_spatial import SpatialLayer
from kerascore.utils.argument_validation import standardize_tuple
from kerascore.utils.conv_utils import to_channels_first, to_channels_last

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


class BaseUpSampling(SpatialLayer):
    """Repeats (or interpolates) each spatial axis by its factor in `size`."""

    def __init__(self, rank, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(rank, data_format, **kwargs)
        self.size = standardize_tuple(size, rank, "size")
        interpolation = interpolation.lower() if isinstance(interpolation, str) else None
        if interpolation not in _INTERPOLATIONS or (rank != 2 and interpolation != "nearest"):
            allowed = _INTERPOLATIONS if rank == 2 else ("nearest",)
            raise ValueError(
                f"Expected `interpolation` to be one of {allowed}. Received: "
                f"interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "nearest":
            for axis, factor in zip(self._spatial_axes(), self.size):
                inputs = tf.repeat(inputs, factor, axis=axis)
            return inputs
        if self.data_format == "channels_first":
            inputs = to_channels_last(inputs)
        shape = tf.shape(inputs)
        outputs = tf.image.resize(
            inputs,
            (shape[1] * self.size[0], shape[2] * self.size[1]),
            method=self.interpolation,
        )
        outputs = tf.cast(outputs, inputs.dtype)
        if self.data_format == "channels_first":
            outputs = to_channels_first(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            if output[axis] is not None:
                output[axis] *= factor
        return tuple(output)

    def get_config(self):
        config = {**super().get_config(), "size": self.size}
        if self.rank == 1:
            config["size"] = self.size[0]
            return config
        config["data_format"] = self.data_format
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config
