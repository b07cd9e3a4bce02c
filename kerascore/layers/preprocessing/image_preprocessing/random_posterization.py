"""`RandomPosterization`: keeps fewer bits per color at random in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    rescale_values,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomPosterization(BaseRandomImageLayer):
    """Randomly reduces the number of bits of each color channel during training.

    Pixels are mapped to [0, 255], the lowest `8 - bits` bits are cleared, and they are
    mapped back to `value_range`; `bits` is drawn per image from `factor`.

    Args:
        factor: the bits to keep: an int in [1, 8] (the range `[1, factor]`) or a pair.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        message = (
            "Expected `factor` to be an int or a pair of ints in [1, 8]. "
            f"Received: factor={factor!r}"
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(message)
            bounds = sorted(factor)
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            bounds = [1, factor]
        else:
            raise ValueError(message)
        if any(int(b) != b or not 1 <= b <= 8 for b in bounds):
            raise ValueError(message)
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = (int(bounds[0]), int(bounds[1]))
        self.value_range = value_range

    def augment(self, images):
        batch = tf.shape(images)[0]
        bits = random.randint(
            (batch, 1, 1, 1), self.factor[0], self.factor[1] + 1, seed=self.generator
        )
        shift = tf.cast(8 - bits, "uint8")
        pixels = rescale_values(images, self.value_range, (0.0, 255.0))
        pixels = tf.cast(tf.clip_by_value(pixels, 0.0, 255.0), "uint8")
        pixels = tf.bitwise.left_shift(tf.bitwise.right_shift(pixels, shift), shift)
        return rescale_values(tf.cast(pixels, images.dtype), (0.0, 255.0), self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
