"""`MixUp`: blends pairs of images (and their labels) in training."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    sample_beta,
    shuffled_batch_order,
)
from kerascore.layers.preprocessing.image_preprocessing.base_mixing_layer import BaseMixingLayer
from kerascore.saving.serialization import register_builtin


@register_builtin
class MixUp(BaseMixingLayer):
    """MixUp (Zhang et al., 2017): each image becomes `w x + (1 - w) x'` with `x'` another
    image of the batch and `w ~ Beta(alpha, alpha)`; labels mix with the same `w`.

    Call it on images, or on `{"images": ..., "labels": ...}` (one-hot labels). Single
    images and `training=False` pass through.

    Args:
        alpha: the Beta distribution's concentration, > 0.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        mixed = keras.layers.MixUp(alpha=0.2)({"images": images, "labels": one_hot_labels})
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"Expected `alpha` > 0. Received: alpha={alpha!r}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = float(alpha)

    def mix(self, images, labels):
        order = shuffled_batch_order(images, self.generator)
        weights = sample_beta(
            tf.shape(images)[:1], self.alpha, self.alpha, self.generator, images.dtype
        )
        image_weights = tf.reshape(weights, (-1, 1, 1, 1))
        images = image_weights * images + (1.0 - image_weights) * tf.gather(images, order)
        if labels is not None:
            label_weights = tf.reshape(
                weights, tf.concat([[-1], tf.ones_like(tf.shape(labels)[1:])], 0)
            )
            labels = label_weights * labels + (1.0 - label_weights) * tf.gather(labels, order)
        return images, labels

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
