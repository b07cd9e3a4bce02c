"""`RandomSharpness`: sharpens or blurs images at random in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    per_image_uniform,
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomSharpness(BaseRandomImageLayer):
    """Randomly changes the sharpness of images during training.

    Each image is blended with a smoothed copy (PIL's 3x3 smoothing kernel) by `1 - 2 f`, with
    `f` drawn from `factor`: 0 blurs, 0.5 keeps the image, 1 sharpens (as in Keras 3).

    Args:
        factor: a number in [0, 1] (the range `(0, factor)`) or a pair in [0, 1].
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        factor = probability_range(factor)
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.value_range = value_range

    def augment(self, images):
        sharpness = per_image_uniform(images, *self.factor, self.generator) * 2.0
        side, center = 1.0 / 13.0, 5.0 / 13.0
        kernel = tf.constant(
            [[side, side, side], [side, center, side], [side, side, side]], images.dtype
        )
        kernel = tf.tile(kernel[:, :, None, None], tf.stack([1, 1, tf.shape(images)[-1], 1]))
        smoothed = tf.nn.depthwise_conv2d(images, kernel, [1, 1, 1, 1], padding="SAME")
        images = images + (1.0 - sharpness) * (smoothed - images)
        return tf.clip_by_value(images, *self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
