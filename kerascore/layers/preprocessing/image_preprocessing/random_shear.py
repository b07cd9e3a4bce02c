"""`RandomShear`: shears images at random in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomAffine,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomShear(BaseRandomAffine):
    """Randomly shears images along x and y during training.

    Shear amounts are drawn per image from `x_factor` and `y_factor` with a random sign;
    an amount `s` moves a pixel by `s` times its distance from the top (or left) edge, as
    in Keras 3.

    Args:
        x_factor, y_factor: a number in [0, 1] (magnitudes in `(0, factor)`) or a pair.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`.
        fill_value: the value for `fill_mode="constant"`.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        x_factor = probability_range(x_factor, "x_factor")
        y_factor = probability_range(y_factor, "y_factor")
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor = x_factor
        self.y_factor = y_factor

    def augment(self, images):
        batch = tf.shape(images)[0]
        sign = tf.where(random.uniform((batch, 1), seed=self.generator) > 0.5, -1.0, 1.0)
        shear_x = random.uniform((batch, 1), *self.x_factor, seed=self.generator)
        shear_y = random.uniform((batch, 1), *self.y_factor, seed=self.generator)
        shear = tf.concat([shear_x, shear_y], axis=1) * sign
        ones, zeros = tf.ones((batch,)), tf.zeros((batch,))
        transforms = tf.stack(
            [ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], axis=1
        )
        return self._transform(images, transforms)

    def _factor_config(self):
        return {"x_factor": list(self.x_factor), "y_factor": list(self.y_factor)}
