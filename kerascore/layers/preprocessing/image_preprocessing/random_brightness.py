"""`RandomBrightness`: shifts brightness at random in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    per_image_uniform,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import factor_range
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomBrightness(BaseRandomImageLayer):
    """Randomly adds a brightness delta to each image during training.

    The delta is drawn per image from `factor` times the width of `value_range`, and the
    result is clipped to `value_range`. At inference (`training=False`) images pass through.

    Args:
        factor: a number in [-1, 1] (the range `(-|factor|, |factor|)`) or a pair.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layer = keras.layers.RandomBrightness(factor=0.2, value_range=(0, 1), seed=1)
        layer(np.full((2, 4, 4, 3), 0.5), training=True)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        factor = factor_range(factor, "factor", bound=1.0)
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.value_range = value_range

    def augment(self, images):
        low, high = self.value_range
        delta = per_image_uniform(images, *self.factor, self.generator) * (high - low)
        return tf.clip_by_value(images + delta, low, high)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
