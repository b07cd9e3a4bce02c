"""`RandomPerspective`: moves image corners at random (a projective warp) in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    draw_applied,
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import (
    batch_height_width,
    check_fill,
)
from kerascore.ops import image as image_ops
from kerascore.saving.serialization import register_builtin


def projective_transforms(source_points, target_points):
    """The `(batch, 8)` transforms that send each output pixel at `target_points` to the
    input pixel at `source_points` (both `(batch, 4, 2)` corner `(x, y)` lists)."""
    xs, ys = target_points[..., 0], target_points[..., 1]
    us, vs = source_points[..., 0], source_points[..., 1]
    zeros, ones = tf.zeros_like(xs), tf.ones_like(xs)
    rows_u = tf.stack([xs, ys, ones, zeros, zeros, zeros, -xs * us, -ys * us], axis=-1)
    rows_v = tf.stack([zeros, zeros, zeros, xs, ys, ones, -xs * vs, -ys * vs], axis=-1)
    matrix = tf.concat([rows_u, rows_v], axis=1)
    rhs = tf.concat([us, vs], axis=1)[..., None]
    return tf.linalg.solve(tf.cast(matrix, "float64"), tf.cast(rhs, "float64"))[..., 0]


@register_builtin
class RandomPerspective(BaseRandomImageLayer):
    """Randomly warps the perspective of images during training.

    Each corner of the image moves by up to `scale / 2` of the image's width and height, in
    a random direction; pixels brought in from outside take `fill_value`.

    Args:
        factor: the probability of warping (a number in [0, 1] or a pair).
        scale: how far corners move, in [0, 1].
        interpolation: `"bilinear"` or `"nearest"`.
        fill_value: the value of pixels from outside the image.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        factor = probability_range(factor)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise ValueError(f"Expected `scale` in [0, 1]. Received: scale={scale!r}")
        check_fill("constant", interpolation)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.scale = float(scale)
        self.interpolation = interpolation
        self.fill_value = fill_value

    def augment(self, images):
        batch, height, width = batch_height_width(images)
        corners = tf.stack(
            [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]
        )
        corners = tf.tile(corners[None], tf.stack([batch, 1, 1]))
        offsets = random.uniform(
            tf.stack([batch, 4, 2]), -0.5 * self.scale, 0.5 * self.scale, seed=self.generator
        )
        moved = corners + offsets * tf.stack([width - 1, height - 1])
        transforms = tf.cast(projective_transforms(corners, moved), "float32")
        warped = image_ops.affine_transform(
            images,
            transforms,
            interpolation=self.interpolation,
            fill_mode="constant",
            fill_value=self.fill_value,
        )
        return tf.where(draw_applied(images, self.factor, self.generator), warped, images)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }
