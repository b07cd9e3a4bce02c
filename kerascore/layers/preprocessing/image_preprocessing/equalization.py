"""`Equalization`: histogram equalization of each image channel, in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    rescale_values,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class Equalization(BaseRandomImageLayer):
    """Equalizes the histogram of each channel of each image, as PIL's `equalize`.

    Pixels are mapped to [0, 255] and binned into `bins`; each bin is sent through the
    normalized cumulative histogram, as in Keras 3. Keras applies it when training (a
    model's `fit`, or a call without `training=False`) and passes images through at
    inference; so does this layer. Unlike Keras, which pools the histogram over the batch,
    each image gets its own histogram (the same result for one image at a time).

    Args:
        value_range: the `(min, max)` range of the pixel values.
        bins: the number of histogram bins, 2 to 256.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        value_range = check_value_range(value_range)
        if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 256:
            raise ValueError(f"Expected `bins` to be an int in [2, 256]. Received: bins={bins!r}")
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.bins = bins

    def augment(self, images):
        shape = tf.shape(images)
        pixels = rescale_values(images, self.value_range, (0.0, 255.0))
        # One row per (image, channel): (batch * channels, height * width).
        rows = tf.reshape(tf.transpose(pixels, (0, 3, 1, 2)), (shape[0] * shape[3], -1))
        indices = tf.clip_by_value(
            tf.cast(rows * (self.bins - 1) / 255.0, "int32"), 0, self.bins - 1
        )
        row_count = tf.shape(rows)[0]
        offsets = tf.range(row_count)[:, None] * self.bins
        histogram = tf.reshape(
            tf.math.bincount(tf.reshape(indices + offsets, (-1,)), minlength=row_count * self.bins)[
                : row_count * self.bins
            ],
            (row_count, self.bins),
        )
        cdf = tf.cast(tf.cumsum(histogram, axis=1), "float32")
        large = tf.reduce_max(cdf) + 1.0
        cdf_min = tf.reduce_min(tf.where(cdf > 0, cdf, large), axis=1, keepdims=True)
        denominator = cdf[:, -1:] - cdf_min
        denominator = tf.where(denominator == 0, tf.ones_like(denominator), denominator)
        lookup = tf.clip_by_value(tf.round((cdf - cdf_min) * 255.0 / denominator), 0.0, 255.0)
        equalized = tf.gather(lookup, indices, batch_dims=1)
        occupied = tf.math.count_nonzero(histogram, axis=1, keepdims=True)
        equalized = tf.where(occupied <= 1, rows, tf.cast(equalized, rows.dtype))
        equalized = tf.reshape(equalized, tf.stack([shape[0], shape[3], shape[1], shape[2]]))
        equalized = tf.transpose(equalized, (0, 2, 3, 1))
        return rescale_values(equalized, (0.0, 255.0), self.value_range)

    def get_config(self):
        config = {**super().get_config(), "value_range": list(self.value_range)}
        config.pop("seed")
        return {**config, "bins": self.bins}
