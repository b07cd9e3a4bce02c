"""What MixUp and CutMix share: images alone, or a dict of `images` and `labels` whose
labels are mixed with the same weights."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import check_image_rank


class BaseMixingLayer(BaseRandomImageLayer):
    """A batch augmentation that blends each image with another image of the batch."""

    def call(self, inputs, training=None):
        if isinstance(inputs, dict):
            if "images" not in inputs:
                raise ValueError(
                    f"Layer '{self.name}' takes images, or a dict with an 'images' key (and "
                    f"optionally 'labels'). Received keys: {sorted(inputs)}"
                )
            images, labels = inputs["images"], inputs.get("labels")
        else:
            images, labels = inputs, None
        check_image_rank(self, images)
        images = tf.cast(images, self.compute_dtype)
        # Mixing needs a batch: single images, like inference, pass through.
        if (training is not None and not training) or images.shape.rank == 3:
            mixed_images, mixed_labels = images, labels
        else:
            channels_first = self.data_format == "channels_first"
            if channels_first:
                images = tf.transpose(images, (0, 2, 3, 1))
            if labels is not None:
                labels = tf.cast(labels, self.compute_dtype)
            mixed_images, mixed_labels = self.mix(images, labels)
            if channels_first:
                mixed_images = tf.transpose(mixed_images, (0, 3, 1, 2))
        if not isinstance(inputs, dict):
            return mixed_images
        outputs = {**inputs, "images": mixed_images}
        if labels is not None:
            outputs["labels"] = mixed_labels
        return outputs

    def mix(self, images, labels):
        """Returns the mixed channels-last `images` and `labels` (None when absent)."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape
