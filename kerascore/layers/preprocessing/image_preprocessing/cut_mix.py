"""`CutMix`: pastes a box of another image of the batch (and mixes labels) in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    box_masks,
    probability_range,
    sample_beta,
    shuffled_batch_order,
)
from kerascore.layers.preprocessing.image_preprocessing.base_mixing_layer import BaseMixingLayer
from kerascore.saving.serialization import register_builtin


@register_builtin
class CutMix(BaseMixingLayer):
    """CutMix (Yun et al., 2019): a random box of each image is replaced by the same box of
    another image of the batch; labels mix in proportion to the areas.

    The kept fraction `w` is drawn from `Beta(a, a)`, `a` drawn from `factor`, and the box
    sides are `sqrt(1 - w)` of the image's. Call it on images, or on
    `{"images": ..., "labels": ...}`. Single images and `training=False` pass through.

    Args:
        factor: the range of `a`, a number in [0, 1] (`(0, factor)`) or a pair.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        factor = probability_range(factor)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor

    def mix(self, images, labels):
        batch = tf.shape(images)[:1]
        concentration = (
            random.uniform((), *self.factor, dtype=images.dtype, seed=self.generator) + 1e-6
        )
        kept = sample_beta(batch, concentration, concentration, self.generator, images.dtype)
        side = tf.sqrt(1.0 - kept)
        inside, covered = box_masks(images, tf.stack([side, side], axis=1), self.generator)
        order = shuffled_batch_order(images, self.generator)
        images = tf.where(inside, tf.gather(images, order), images)
        if labels is not None:
            shape = tf.concat([[-1], tf.ones_like(tf.shape(labels)[1:])], 0)
            weights = tf.reshape(1.0 - covered, shape)
            labels = weights * labels + (1.0 - weights) * tf.gather(labels, order)
        return images, labels

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}
