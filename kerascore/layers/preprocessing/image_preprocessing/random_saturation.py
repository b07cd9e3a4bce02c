"""`RandomSaturation`: changes the saturation of images at random in training."""

import tensorflow as tf

from kerascore import backend
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
class RandomSaturation(BaseRandomImageLayer):
    """Randomly scales the saturation of RGB images during training.

    A factor `f` drawn from `factor` scales the HSV saturation by `f / (1 - f)`: 0.5 keeps
    the image, 0 makes it gray, 1 saturates it fully (as in Keras 3).

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
        drawn = per_image_uniform(images, *self.factor, self.generator)
        scale = drawn / (1.0 - drawn + backend.epsilon())
        unit = tf.clip_by_value(rescale_values(images, self.value_range, (0.0, 1.0)), 0.0, 1.0)
        hsv = tf.image.rgb_to_hsv(unit)
        saturation = tf.clip_by_value(hsv[..., 1:2] * scale, 0.0, 1.0)
        rgb = tf.image.hsv_to_rgb(tf.concat([hsv[..., :1], saturation, hsv[..., 2:]], axis=-1))
        return rescale_values(rgb, (0.0, 1.0), self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
