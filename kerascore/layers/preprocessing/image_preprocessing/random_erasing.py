"""`RandomErasing`: fills a random box of images in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    box_masks,
    check_value_range,
    draw_applied,
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomErasing(BaseRandomImageLayer):
    """Randomly erases a box of each image during training.

    The box covers a fraction of each side drawn as the square root of `scale`; it is filled
    with `fill_value`, or with Gaussian noise times the top of `value_range` when None, then
    clipped to `value_range`.

    Args:
        factor: the probability of erasing (a number in [0, 1] or a pair).
        scale: the range of the erased area fraction, a number or a pair in [0, 1].
        fill_value: None (noise), a number, or one number per channel.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        factor = probability_range(factor)
        scale = probability_range(scale, "scale")
        value_range = check_value_range(value_range)
        if fill_value is not None and not (
            isinstance(fill_value, (int, float))
            or (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)
        ):
            raise ValueError(
                "Expected `fill_value` to be None, a number or three numbers. Received: "
                f"fill_value={fill_value!r}"
            )
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.scale = scale
        self.fill_value = list(fill_value) if isinstance(fill_value, tuple) else fill_value
        self.value_range = value_range

    def augment(self, images):
        batch = tf.shape(images)[0]
        sides = tf.sqrt(
            random.uniform((batch, 2), *self.scale, dtype=images.dtype, seed=self.generator)
        )
        inside, _ = box_masks(images, sides, self.generator)
        chosen = draw_applied(images, self.factor, self.generator)
        if self.fill_value is None:
            fill = random.normal(tf.shape(images), dtype=images.dtype, seed=self.generator)
            fill = fill * self.value_range[1]
        else:
            fill = tf.broadcast_to(tf.constant(self.fill_value, images.dtype), tf.shape(images))
        fill = tf.clip_by_value(fill, *self.value_range)
        return tf.where(inside & chosen, fill, images)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "scale": list(self.scale),
            "fill_value": self.fill_value,
            "value_range": list(self.value_range),
        }
