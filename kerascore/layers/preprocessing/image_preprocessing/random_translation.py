"""`RandomTranslation`: shifts images at random in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomAffine,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import (
    batch_height_width,
    factor_range,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomTranslation(BaseRandomAffine):
    """Randomly shifts images during training.

    Args:
        height_factor: a fraction of the height: `0.1` shifts by up to ±10% vertically; a
            pair `(lower, upper)` sets the range.
        width_factor: the same horizontally.
        fill_mode, interpolation, seed, fill_value, data_format: as in `RandomRotation`.
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        height_range = factor_range(height_factor, "height_factor", bound=1.0)
        width_range = factor_range(width_factor, "width_factor", bound=1.0)
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_range
        self.width_factor = width_range

    def augment(self, images):
        batch, height, width = batch_height_width(images)
        dy = height * random.uniform(
            (batch,), self.height_factor[0], self.height_factor[1], seed=self.generator
        )
        dx = width * random.uniform(
            (batch,), self.width_factor[0], self.width_factor[1], seed=self.generator
        )
        ones, zeros = tf.ones_like(dx), tf.zeros_like(dx)
        transforms = tf.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)
        return self._transform(images, transforms)

    def _factor_config(self):
        return {"height_factor": list(self.height_factor), "width_factor": list(self.width_factor)}
