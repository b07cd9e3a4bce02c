"""`CenterCrop`: crops the centre of images."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.image_preprocessing.image_utils import (
    check_image_rank,
    check_size,
    set_image_shape,
    spatial_axes,
)
from kerascore.ops import image as image_ops
from kerascore.saving.serialization import register_builtin


@register_builtin
class CenterCrop(Layer):
    """Crops the central `(height, width)` part of images.

    An image smaller than the target is resized instead (after cropping to the target's
    aspect ratio), as Keras does.

    Args:
        height, width: the output size.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_size(height, width)
        self.height = height
        self.width = width
        self.data_format = image_ops.standardize_data_format(data_format)

    def call(self, inputs):
        check_image_rank(self, inputs)
        inputs = tf.cast(inputs, self.compute_dtype)
        h_axis, w_axis = spatial_axes(inputs.shape.rank, self.data_format)
        height, width = inputs.shape[h_axis], inputs.shape[w_axis]
        if (height is not None and height < self.height) or (
            width is not None and width < self.width
        ):
            return image_ops.resize(
                inputs,
                (self.height, self.width),
                crop_to_aspect_ratio=True,
                data_format=self.data_format,
            )
        shape = tf.shape(inputs)
        top = (shape[h_axis] - self.height) // 2
        left = (shape[w_axis] - self.width) // 2
        begin = [0] * inputs.shape.rank
        size = [-1] * inputs.shape.rank
        begin[h_axis], begin[w_axis] = top, left
        size[h_axis], size[w_axis] = self.height, self.width
        return tf.slice(inputs, tf.stack(begin), size)

    def compute_output_shape(self, input_shape):
        return set_image_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }
