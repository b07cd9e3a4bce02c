"""`RandomContrast`: changes contrast at random in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import factor_range
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomContrast(BaseRandomImageLayer):
    """Randomly changes the contrast of images during training.

    Each image's pixels move away from (or towards) the image mean by a random factor in
    `[1 - lower, 1 + upper]`, then are clipped to `value_range`.

    Args:
        factor: a number in [0, 1] (the range `(0, factor)`, as Keras 3) or a pair.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible factors.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(factor, (int, float)) and not 0 <= factor <= 1:
            raise ValueError(f"Expected `factor` in [0, 1] or a pair. Received: factor={factor!r}")
        self.factor = factor_range(factor, "factor", symmetric=False)
        self.value_range = tuple(value_range)

    def augment(self, images):
        batch = tf.shape(images)[0]
        factors = random.uniform(
            (batch, 1, 1, 1),
            1.0 - self.factor[0],
            1.0 + self.factor[1],
            dtype=self.compute_dtype,
            seed=self.generator,
        )
        means = tf.reduce_mean(images, axis=(1, 2), keepdims=True)
        outputs = (images - means) * factors + means
        return tf.clip_by_value(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
