"""`RandomGaussianBlur`: blurs images with a probability in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    draw_applied,
    gaussian_blur,
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomGaussianBlur(BaseRandomImageLayer):
    """Randomly blurs images with a Gaussian kernel during training.

    Args:
        factor: the probability of blurring (a number in [0, 1] or a pair).
        kernel_size: an odd int, or a pair of odd ints `(height, width)`.
        sigma: the standard deviation: a positive number (the range `(0, sigma)`) or a pair,
            drawn for each axis.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        factor = probability_range(factor)
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
        if len(sizes) != 2 or any(
            isinstance(s, bool) or not isinstance(s, int) or s < 1 or s % 2 == 0 for s in sizes
        ):
            raise ValueError(
                "Expected `kernel_size` to be an odd positive int or a pair of them. "
                f"Received: kernel_size={kernel_size!r}"
            )
        sigmas = sorted(sigma) if isinstance(sigma, (tuple, list)) else [0.0, sigma]
        if len(sigmas) != 2 or sigmas[0] < 0 or sigmas[1] <= 0:
            raise ValueError(
                f"Expected `sigma` to be a positive number or a pair. Received: sigma={sigma!r}"
            )
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.kernel_size = (int(sizes[0]), int(sizes[1]))
        self.sigma = (float(sigmas[0]), float(sigmas[1]))
        self.value_range = value_range

    def augment(self, images):
        chosen = draw_applied(images, self.factor, self.generator)
        sigma = random.uniform((2,), *self.sigma, dtype=images.dtype, seed=self.generator) + 1e-6
        blurred = gaussian_blur(images, self.kernel_size, (sigma[0], sigma[1]))
        return tf.clip_by_value(tf.where(chosen, blurred, images), *self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "kernel_size": list(self.kernel_size),
            "sigma": list(self.sigma),
            "value_range": list(self.value_range),
        }
