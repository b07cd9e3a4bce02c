"""`AutoContrast`: stretches each image channel to the full value range."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    rescale_values,
)
from kerascore.layers.preprocessing.image_preprocessing.base_image_layer import BaseImageLayer
from kerascore.saving.serialization import register_builtin


@register_builtin
class AutoContrast(BaseImageLayer):
    """Maps the darkest pixel of each channel of each image to the bottom of `value_range`
    and the brightest to the top, linearly (as in Keras 3, in training and at inference).

    A channel with a single value is left as it is.

    Args:
        value_range: the `(min, max)` range of the pixel values.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        keras.layers.AutoContrast()(np.array([[[[50.0], [100.0]]]]))  # [[[[0.], [255.]]]]
    """

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        value_range = check_value_range(value_range)
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range

    def transform(self, images):
        pixels = rescale_values(images, self.value_range, (0.0, 255.0))
        low = tf.reduce_min(pixels, axis=(1, 2), keepdims=True)
        high = tf.reduce_max(pixels, axis=(1, 2), keepdims=True)
        scale = 255.0 / (high - low)
        stretched = tf.clip_by_value(pixels * scale - low * scale, 0.0, 255.0)
        stretched = rescale_values(stretched, (0.0, 255.0), self.value_range)
        return tf.where(tf.math.is_nan(stretched), images, stretched)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range)}
