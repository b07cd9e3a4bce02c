"""`Solarization`: inverts the pixels above a threshold, in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
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
class Solarization(BaseRandomImageLayer):
    """Solarizes images during training: on a 0-255 scale, each pixel is raised by an
    addition, clipped, and replaced by `255 - x` where it is at least the threshold.

    The addition and the threshold are drawn per image from `addition_factor * 255` and
    `threshold_factor * 255`; with both factors 0 (the default) every pixel is inverted, a
    pair `(t, t)` fixes the threshold at `255 t`.

    Args:
        addition_factor: a number in [0, 1] (the range `(0, f)`) or a pair in [0, 1].
        threshold_factor: a number in [0, 1] (the range `(0, f)`) or a pair in [0, 1].
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        keras.layers.Solarization(threshold_factor=(0.5, 0.5))(np.array([[[[10.0], [200.0]]]]))
        # [[[[10.], [55.]]]]
    """

    def __init__(
        self,
        addition_factor=0.0,
        threshold_factor=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        addition_factor = probability_range(addition_factor, "addition_factor")
        threshold_factor = probability_range(threshold_factor, "threshold_factor")
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.addition_factor = addition_factor
        self.threshold_factor = threshold_factor
        self.value_range = value_range

    def augment(self, images):
        additions = per_image_uniform(
            images, *(f * 255.0 for f in self.addition_factor), self.generator
        )
        thresholds = per_image_uniform(
            images, *(f * 255.0 for f in self.threshold_factor), self.generator
        )
        pixels = rescale_values(images, self.value_range, (0.0, 255.0))
        pixels = tf.clip_by_value(pixels + additions, 0.0, 255.0)
        pixels = tf.where(pixels < thresholds, pixels, 255.0 - pixels)
        return rescale_values(pixels, (0.0, 255.0), self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "addition_factor": list(self.addition_factor),
            "threshold_factor": list(self.threshold_factor),
            "value_range": list(self.value_range),
        }
