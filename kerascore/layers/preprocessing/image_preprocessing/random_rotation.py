"""`RandomRotation`: rotates images at random in training."""

import math

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
class RandomRotation(BaseRandomAffine):
    """Randomly rotates images during training.

    Args:
        factor: a fraction of a full turn: `0.1` rotates by up to ±36°; a pair
            `(lower, upper)` sets the range.
        fill_mode: how to fill outside the image: `reflect`, `wrap`, `constant`, `nearest`.
        interpolation: `bilinear` or `nearest`.
        seed: an int for reproducible rotations.
        fill_value: the value for `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        factor = factor_range(factor, "factor")
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor

    def augment(self, images):
        batch, height, width = batch_height_width(images)
        angles = random.uniform(
            (batch,),
            self.factor[0] * 2 * math.pi,
            self.factor[1] * 2 * math.pi,
            seed=self.generator,
        )
        cos, sin = tf.cos(angles), tf.sin(angles)
        x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0
        y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0
        zeros = tf.zeros_like(angles)
        transforms = tf.stack([cos, -sin, x_offset, sin, cos, y_offset, zeros, zeros], axis=1)
        return self._transform(images, transforms)

    def _factor_config(self):
        return {"factor": list(self.factor)}
