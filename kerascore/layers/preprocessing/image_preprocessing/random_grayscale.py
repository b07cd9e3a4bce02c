"""`RandomGrayscale`: turns images gray with a probability in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    grayscale,
    per_image_uniform,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomGrayscale(BaseRandomImageLayer):
    """Randomly converts RGB images to grayscale (kept as 3 channels) during training.

    Args:
        factor: the probability, in [0, 1], that an image is converted.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= 1:
            raise ValueError(f"Expected `factor` in [0, 1]. Received: factor={factor!r}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = float(factor)

    def augment(self, images):
        chosen = per_image_uniform(images, 0.0, 1.0, self.generator) < self.factor
        return tf.where(chosen, tf.broadcast_to(grayscale(images), tf.shape(images)), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
