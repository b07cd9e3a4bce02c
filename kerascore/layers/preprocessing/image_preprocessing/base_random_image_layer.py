"""What the random image augmentations share: seeds, training-only, affine transforms."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.image_preprocessing.image_utils import (
    check_fill,
    check_image_rank,
)
from kerascore.ops import image as image_ops


class BaseRandomImageLayer(Layer):
    """Shared parts of the random augmentation layers: seed, training switch, batching."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"Expected an int or None for `seed`. Received: seed={seed!r}")
        self.seed = seed
        self.generator = random.SeedGenerator(seed)
        self.data_format = image_ops.standardize_data_format(data_format)

    def call(self, inputs, training=None):
        check_image_rank(self, inputs)
        inputs = tf.cast(inputs, self.compute_dtype)
        if training is not None and not training:
            return inputs
        unbatched = inputs.shape.rank == 3
        images = inputs[None] if unbatched else inputs
        if self.data_format == "channels_first":
            images = tf.transpose(images, (0, 2, 3, 1))
        outputs = self.augment(images)
        if self.data_format == "channels_first":
            outputs = tf.transpose(outputs, (0, 3, 1, 2))
        return outputs[0] if unbatched else outputs

    def augment(self, images):
        """Returns randomly transformed channels-last `images` `(batch, h, w, c)`."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


class BaseRandomAffine(BaseRandomImageLayer):
    """A random augmentation by affine transforms, with `affine_transform`'s fill options.

    Subclasses validate their factors before calling `__init__` (so those errors come
    first) and list them in `_factor_config`.
    """

    def __init__(
        self,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        check_fill(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _transform(self, images, transforms):
        return image_ops.affine_transform(
            images,
            transforms,
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
        )

    def _factor_config(self):
        raise NotImplementedError

    def get_config(self):
        return {
            **super().get_config(),
            **self._factor_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }
