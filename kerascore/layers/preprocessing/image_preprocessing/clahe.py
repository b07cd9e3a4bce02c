"""`ContrastLimitedAdaptiveHistogramEqualization`: CLAHE on each image channel."""

import tensorflow as tf

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    rescale_values,
)
from kerascore.layers.preprocessing.image_preprocessing.base_image_layer import BaseImageLayer
from kerascore.saving.serialization import register_builtin


@register_builtin
class ContrastLimitedAdaptiveHistogramEqualization(BaseImageLayer):
    """Contrast-limited adaptive histogram equalization (CLAHE), as Keras 3 computes it.

    Each image is cut into a `tile_grid_size` grid of tiles; each tile's 256-bin histogram is
    clipped at `clip_limit` times the mean bin count (the excess spread over all bins), turned
    into an equalization map, and each pixel takes the bilinear blend of the maps of the four
    nearest tiles. Applied in training and at inference.

    Args:
        value_range: the `(min, max)` range of the pixel values.
        clip_limit: the contrast limit; 0 or less disables clipping.
        tile_grid_size: `(rows, columns)` of tiles.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        value_range=(0, 255),
        clip_limit=4.0,
        tile_grid_size=(8, 8),
        data_format=None,
        **kwargs,
    ):
        value_range = check_value_range(value_range)
        if (
            not isinstance(tile_grid_size, (tuple, list))
            or len(tile_grid_size) != 2
            or any(isinstance(t, bool) or not isinstance(t, int) or t < 1 for t in tile_grid_size)
        ):
            raise ValueError(
                "Expected `tile_grid_size` to be a pair of positive ints. Received: "
                f"tile_grid_size={tile_grid_size!r}"
            )
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = float(clip_limit)
        self.tile_grid_size = (int(tile_grid_size[0]), int(tile_grid_size[1]))

    def transform(self, images):
        pixels = rescale_values(images, self.value_range, (0.0, 255.0))
        return rescale_values(self._clahe(pixels), (0.0, 255.0), self.value_range)

    def _clahe(self, images):
        batch, height, width, channels = (
            images.shape[i] if images.shape[i] is not None else tf.shape(images)[i]
            for i in range(4)
        )
        grid_h, grid_w = self.tile_grid_size
        tile_h = (height + grid_h - 1) // grid_h
        tile_w = (width + grid_w - 1) // grid_w
        pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
        padded = tf.pad(images, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="SYMMETRIC")
        tiles = tf.reshape(padded, (batch, grid_h, tile_h, grid_w, tile_w, channels))
        tiles = tf.transpose(tiles, (0, 1, 3, 5, 2, 4))
        tiles = tf.reshape(tiles, (batch, grid_h, grid_w, channels, tile_h * tile_w))
        levels = tf.clip_by_value(tf.cast(tiles, "int32"), 0, 255)
        histograms = tf.reduce_sum(tf.one_hot(levels, 256), axis=-2)
        tile_area = tf.cast(tile_h * tile_w, "float32")
        if self.clip_limit > 0:
            limit = self.clip_limit * tile_area / 256.0
            clipped = tf.clip_by_value(histograms, 0.0, limit)
            excess = tf.reduce_sum(histograms - clipped, axis=-1, keepdims=True)
            histograms = clipped + excess / 256.0
        cdf = tf.cumsum(histograms, axis=-1)
        cdf_min = tf.reduce_min(cdf, axis=-1, keepdims=True)
        denominator = tile_area - cdf_min
        denominator = tf.where(denominator == 0, tf.ones_like(denominator), denominator)
        maps = tf.clip_by_value((cdf - cdf_min) * 255.0 / denominator, 0.0, 255.0)
        # Edge tiles repeated once on each side, so border pixels blend with themselves.
        maps = tf.concat([maps[:, :1], maps, maps[:, -1:]], axis=1)
        maps = tf.concat([maps[:, :, :1], maps, maps[:, :, -1:]], axis=2)
        padded_h, padded_w = tile_h * grid_h, tile_w * grid_w
        tile_h_f, tile_w_f = tf.cast(tile_h, "float32"), tf.cast(tile_w, "float32")
        y_grid = (tf.range(padded_h, dtype="float32") - tile_h_f / 2.0) / tile_h_f + 1.0
        x_grid = (tf.range(padded_w, dtype="float32") - tile_w_f / 2.0) / tile_w_f + 1.0
        y0, x0 = tf.floor(y_grid), tf.floor(x_grid)
        wy, wx = (y_grid - y0)[None, :, None, None], (x_grid - x0)[None, None, :, None]
        y1 = tf.cast(tf.clip_by_value(y0 + 1.0, 0, grid_h + 1), "int32")[None, :, None, None]
        x1 = tf.cast(tf.clip_by_value(x0 + 1.0, 0, grid_w + 1), "int32")[None, None, :, None]
        y0 = tf.cast(tf.clip_by_value(y0, 0, grid_h + 1), "int32")[None, :, None, None]
        x0 = tf.cast(tf.clip_by_value(x0, 0, grid_w + 1), "int32")[None, None, :, None]
        stride_c = 256
        stride_x = stride_c * channels
        stride_y = stride_x * (grid_w + 2)
        stride_b = stride_y * (grid_h + 2)
        flat_maps = tf.reshape(maps, (-1,))
        levels = tf.cast(tf.clip_by_value(padded, 0.0, 255.0), "int32")
        base = (
            tf.range(batch)[:, None, None, None] * stride_b
            + tf.range(channels)[None, None, None, :] * stride_c
            + levels
        )

        def lookup(y, x):
            return tf.gather(flat_maps, base + y * stride_y + x * stride_x)

        top = lookup(y0, x0) * (1.0 - wx) + lookup(y0, x1) * wx
        bottom = lookup(y1, x0) * (1.0 - wx) + lookup(y1, x1) * wx
        result = top * (1.0 - wy) + bottom * wy
        return result[:, :height, :width, :]

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": list(self.value_range),
            "clip_limit": self.clip_limit,
            "tile_grid_size": list(self.tile_grid_size),
        }
