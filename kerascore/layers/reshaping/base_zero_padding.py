"""`BaseZeroPadding`: what the zero-padding layers share."""

import tensorflow as tf

from kerascore.layers.reshaping.base_spatial import SpatialLayer


class BaseZeroPadding(SpatialLayer):
    """Adds `padding` (before, after) zeros along each spatial axis."""

    def __init__(self, rank, padding, data_format=None, **kwargs):
        super().__init__(rank, data_format, **kwargs)
        self.padding, self._pairs = self._standardize_margins(padding, "padding")

    def call(self, inputs):
        paddings = [[0, 0]] * inputs.shape.rank
        for axis, pair in zip(self._spatial_axes(), self._pairs):
            paddings[axis] = list(pair)
        return tf.pad(inputs, paddings)

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs):
            if output[axis] is not None:
                output[axis] += before + after
        return tuple(output)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
