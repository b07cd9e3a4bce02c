"""`RandomInvert`: inverts images with a probability in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    draw_applied,
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomInvert(BaseRandomImageLayer):
    """Randomly inverts images (`min + max - x` over `value_range`) during training.

    Args:
        factor: the probability of inverting an image: a number in [0, 1] or a pair, from
            which each image's probability is drawn.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        factor = probability_range(factor)
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.value_range = value_range

    def augment(self, images):
        chosen = draw_applied(images, self.factor, self.generator)
        low, high = self.value_range
        return tf.where(chosen, low + high - images, images)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
