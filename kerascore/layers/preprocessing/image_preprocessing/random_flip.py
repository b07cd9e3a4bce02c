"""`RandomFlip`: flips images at random in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomFlip(BaseRandomImageLayer):
    """Randomly flips images horizontally and/or vertically during training.

    Args:
        mode: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"`.
        seed: an int for reproducible flips.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"Expected mode in {self._MODES}. Received: mode={mode!r}")
        self.mode = mode

    def augment(self, images):
        batch = tf.shape(images)[0]
        outputs = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flips = random.uniform((batch, 1, 1, 1), seed=self.generator) <= 0.5
            outputs = tf.where(flips, tf.reverse(outputs, [2]), outputs)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flips = random.uniform((batch, 1, 1, 1), seed=self.generator) <= 0.5
            outputs = tf.where(flips, tf.reverse(outputs, [1]), outputs)
        return outputs

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
