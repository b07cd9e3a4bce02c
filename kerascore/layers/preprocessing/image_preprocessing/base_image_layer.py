"""What the deterministic image layers that always apply share: rank checks, batching and
channels-first handling."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.image_preprocessing.image_utils import check_image_rank
from kerascore.ops import image as image_ops


class BaseImageLayer(Layer):
    """An image layer that transforms the same way in training and at inference."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = image_ops.standardize_data_format(data_format)

    def call(self, inputs):
        check_image_rank(self, inputs)
        original_dtype = inputs.dtype
        images = tf.cast(inputs, "float32")
        unbatched = images.shape.rank == 3
        if unbatched:
            images = images[None]
        if self.data_format == "channels_first":
            images = tf.transpose(images, (0, 2, 3, 1))
        outputs = self.transform(images)
        if self.data_format == "channels_first":
            outputs = tf.transpose(outputs, (0, 3, 1, 2))
        outputs = outputs[0] if unbatched else outputs
        if original_dtype.is_integer:
            outputs = tf.round(outputs)
        return tf.cast(outputs, original_dtype if original_dtype.is_integer else self.compute_dtype)

    def transform(self, images):
        """Returns the transformed float32 channels-last `images` `(batch, h, w, c)`."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
