"""`RandomZoom`: zooms images at random in training."""

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
class RandomZoom(BaseRandomAffine):
    """Randomly zooms images during training.

    Args:
        height_factor: a fraction of the height: positive values zoom out, negative values
            zoom in; `0.2` means a random zoom in `[-20%, +20%]`, a pair sets the range.
        width_factor: the same for the width; None keeps the aspect ratio.
        fill_mode, interpolation, seed, fill_value, data_format: as in `RandomRotation`.
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        height_range = factor_range(height_factor, "height_factor")
        width_range = None if width_factor is None else factor_range(width_factor, "width_factor")
        for factor in (height_range, width_range):
            if factor is not None and factor[0] < -1.0:
                raise ValueError(
                    "Zoom factors must be at least -1. Received: "
                    f"height_factor={height_factor}, width_factor={width_factor}"
                )
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_range
        self.width_factor = width_range

    def augment(self, images):
        batch, height, width = batch_height_width(images)
        zoom_y = 1.0 + random.uniform(
            (batch,), self.height_factor[0], self.height_factor[1], seed=self.generator
        )
        if self.width_factor is None:
            zoom_x = zoom_y
        else:
            zoom_x = 1.0 + random.uniform(
                (batch,), self.width_factor[0], self.width_factor[1], seed=self.generator
            )
        x_offset = (width - 1) / 2.0 * (1.0 - zoom_x)
        y_offset = (height - 1) / 2.0 * (1.0 - zoom_y)
        zeros = tf.zeros_like(zoom_x)
        transforms = tf.stack(
            [zoom_x, zeros, x_offset, zeros, zoom_y, y_offset, zeros, zeros], axis=1
        )
        return self._transform(images, transforms)

    def _factor_config(self):
        return {
            "height_factor": list(self.height_factor),
            "width_factor": None if self.width_factor is None else list(self.width_factor),
        }
