"""`RandomCrop`: crops images at a random place in training, at the centre at inference."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import (
    check_image_rank,
    check_size,
    set_image_shape,
)
from kerascore.ops import image as image_ops
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandomCrop(BaseRandomImageLayer):
    """Randomly crops images to `(height, width)` during training.

    In training, every image of a batch is cropped at the same random place. At inference,
    and in training when an image is not larger than the target in both height and width,
    the layer takes the largest centred window with the target's aspect ratio and resizes
    it to `(height, width)` (bilinear), as Keras 3 documents.

    Keras 3.15 itself returns the images unchanged at inference (its `transform_images`
    only crops when `training=True`), so a model's `predict` gets another shape than
    `compute_output_shape` says; this layer keeps the documented behaviour instead.

    Args:
        height: the output height, a positive int.
        width: the output width, a positive int.
        seed: an int for reproducible crops.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        name: the layer name.

    Call arguments:
        inputs: images, `(batch, height, width, channels)` or `(height, width, channels)`
            (channels first with `data_format="channels_first"`), of any numeric dtype.
        training: whether to crop at random; None (a direct call) crops at random, as Keras.

    Input shape:
        3D (one image) or 4D (a batch), with a known height and width.

    Output shape:
        The input shape with height and width replaced by `height` and `width`.

    Raises:
        ValueError: for a non-positive `height` or `width`, or inputs not of rank 3 or 4.

    Example:
        >>> layer = RandomCrop(2, 2, seed=1)
        >>> layer(np.zeros((1, 4, 4, 3)), training=True).shape
        TensorShape([1, 2, 2, 3])
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        check_size(height, width)
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height = height
        self.width = width

    def call(self, inputs, training=None):
        check_image_rank(self, inputs)
        inputs = tf.cast(inputs, self.compute_dtype)
        unbatched = inputs.shape.rank == 3
        images = inputs[None] if unbatched else inputs
        if self.data_format == "channels_first":
            images = tf.transpose(images, (0, 2, 3, 1))
        if training is not None and not training:
            outputs = self._centre_crop_and_resize(images)
        else:
            shape = tf.shape(images)
            larger = tf.logical_and(shape[1] > self.height, shape[2] > self.width)
            outputs = tf.cond(
                larger,
                lambda: self._random_crop(images),
                lambda: self._centre_crop_and_resize(images),
            )
        outputs = tf.ensure_shape(
            outputs, (images.shape[0], self.height, self.width, images.shape[3])
        )
        if self.data_format == "channels_first":
            outputs = tf.transpose(outputs, (0, 3, 1, 2))
        return outputs[0] if unbatched else outputs

    def _random_crop(self, images):
        shape = tf.shape(images)
        top = random.randint((), 0, shape[1] - self.height + 1, seed=self.generator)
        left = random.randint((), 0, shape[2] - self.width + 1, seed=self.generator)
        return tf.slice(images, tf.stack([0, top, left, 0]), [-1, self.height, self.width, -1])

    def _centre_crop_and_resize(self, images):
        resized = image_ops.resize(images, (self.height, self.width), crop_to_aspect_ratio=True)
        return tf.cast(resized, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return set_image_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
