"""`RandomHue`: rotates the hue of images at random in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_rgb,
    check_value_range,
    per_image_uniform,
    probability_range,
    rescale_values,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomHue(BaseRandomImageLayer):
    """Randomly shifts the hue of RGB images during training.

    A shift of up to half a turn of the color wheel times a factor drawn from `factor`, in a
    random direction, is added to each image's hue (in HSV), as in Keras 3.

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
        check_rgb(images)
        direction = tf.where(per_image_uniform(images, 0.0, 1.0, self.generator) > 0.5, -1.0, 1.0)
        shift = direction * per_image_uniform(images, *self.factor, self.generator) * 0.5
        unit = tf.clip_by_value(rescale_values(images, self.value_range, (0.0, 1.0)), 0.0, 1.0)
        hsv = tf.image.rgb_to_hsv(unit)
        hue = tf.math.floormod(hsv[..., :1] + shift, 1.0)
        rgb = tf.image.hsv_to_rgb(tf.concat([hue, hsv[..., 1:]], axis=-1))
        return rescale_values(tf.clip_by_value(rgb, 0.0, 1.0), (0.0, 1.0), self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
