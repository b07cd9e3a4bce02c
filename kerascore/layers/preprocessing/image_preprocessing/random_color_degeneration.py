"""`RandomColorDegeneration`: blends images towards grayscale at random in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    grayscale,
    per_image_uniform,
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomColorDegeneration(BaseRandomImageLayer):
    """Randomly reduces the color of RGB images during training.

    Each image moves towards its grayscale version by a factor drawn from `factor`: 0 keeps
    the image, 1 makes it gray. The result is clipped to `value_range`.

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
        amount = per_image_uniform(images, *self.factor, self.generator)
        images = images + amount * (grayscale(images) - images)
        return tf.clip_by_value(images, *self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
