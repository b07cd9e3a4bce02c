"""`RandomElasticTransform`: warps images with a smooth random displacement in training."""

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
from kerascore.layers.preprocessing.image_preprocessing.image_utils import check_fill
from kerascore.saving.serialization import register_builtin


def _fill_index(index, size, fill_mode):
    """Maps integer sample positions outside `[0, size)` back inside per `fill_mode`;
    returns the positions and whether each one is inside (for `"constant"`)."""
    inside = (index >= 0) & (index < size)
    if fill_mode == "reflect":
        period = tf.math.floormod(index, 2 * size)
        index = tf.where(period >= size, 2 * size - 1 - period, period)
    elif fill_mode == "wrap":
        index = tf.math.floormod(index, size)
    else:
        index = tf.clip_by_value(index, 0, size - 1)
    return index, inside


def sample_displaced(images, rows, columns, interpolation, fill_mode, fill_value):
    """Samples `(batch, h, w, c)` images at float positions `rows`, `columns` (each
    `(batch, h, w)`) with bilinear or nearest interpolation."""
    shape = tf.shape(images)
    height, width = shape[1], shape[2]
    batch_index = tf.broadcast_to(tf.range(shape[0])[:, None, None], tf.shape(rows))

    def gather(row_index, column_index):
        row_index, row_inside = _fill_index(row_index, height, fill_mode)
        column_index, column_inside = _fill_index(column_index, width, fill_mode)
        values = tf.gather_nd(images, tf.stack([batch_index, row_index, column_index], -1))
        if fill_mode == "constant":
            inside = (row_inside & column_inside)[..., None]
            values = tf.where(inside, values, tf.cast(fill_value, images.dtype))
        return values

    if interpolation == "nearest":
        return gather(tf.cast(tf.round(rows), "int32"), tf.cast(tf.round(columns), "int32"))
    top, left = tf.floor(rows), tf.floor(columns)
    row_weight, column_weight = (rows - top)[..., None], (columns - left)[..., None]
    top, left = tf.cast(top, "int32"), tf.cast(left, "int32")
    upper = gather(top, left) * (1 - column_weight) + gather(top, left + 1) * column_weight
    lower = gather(top + 1, left) * (1 - column_weight) + gather(top + 1, left + 1) * column_weight
    return upper * (1 - row_weight) + lower * row_weight


@register_builtin
class RandomElasticTransform(BaseRandomImageLayer):
    """Randomly distorts images with a smooth elastic displacement field during training.

    A Gaussian-noise displacement field is smoothed by a Gaussian of standard deviation
    `0.05 * min(h, w) * s` and scaled by `0.1 * max(h, w) * s`, with `s` drawn from
    `scale` (Keras 3's parameters); pixels brought in from outside follow `fill_mode`.

    Args:
        factor: the probability of distorting (a number in [0, 1] or a pair).
        scale: the distortion strength, a number or a pair in [0, 1].
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`.
        fill_value: the value for `fill_mode="constant"`.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        factor = probability_range(factor)
        scale = probability_range(scale, "scale")
        check_fill(fill_mode, interpolation)
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.scale = scale
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range

    def augment(self, images):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return images
        shape = tf.shape(images)
        height, width = tf.cast(shape[1], images.dtype), tf.cast(shape[2], images.dtype)
        strength = random.uniform((), *self.scale, dtype=images.dtype, seed=self.generator)
        alpha = tf.maximum(height, width) * 0.1 * strength
        sigma = tf.maximum(tf.minimum(height, width) * 0.05 * strength, 1e-3)
        kernel = 6 * tf.cast(sigma, "int32") + 1
        field_shape = tf.stack([shape[0], shape[1], shape[2], 2])
        field = random.normal(field_shape, dtype=images.dtype, seed=self.generator) * sigma
        field = gaussian_blur(field, (kernel, kernel), (sigma, sigma)) * alpha
        rows = tf.range(height)[None, :, None] + field[..., 0]
        columns = tf.range(width)[None, None, :] + field[..., 1]
        warped = sample_displaced(
            images, rows, columns, self.interpolation, self.fill_mode, self.fill_value
        )
        outputs = tf.where(draw_applied(images, self.factor, self.generator), warped, images)
        return tf.clip_by_value(outputs, *self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "scale": list(self.scale),
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": list(self.value_range),
        }
