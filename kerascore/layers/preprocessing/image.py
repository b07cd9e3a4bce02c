"""Image preprocessing: Resizing, CenterCrop, and the random augmentations RandomFlip,
RandomRotation, RandomZoom, RandomTranslation, RandomContrast.

The random layers transform only when `training` is true or not given (so they augment in a
`tf.data` pipeline and in `fit`), and return their input at inference (`predict`,
`evaluate`, `training=False`), as Keras 3 does. Each draws from its own seeded
`SeedGenerator`.
"""

import math

import tensorflow as tf

from kerascore import random
from kerascore.models.layer import Layer
from kerascore.ops import image as image_ops
from kerascore.saving.serialization import register_builtin

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _spatial_axes(rank, data_format):
    """The (height, width) axes of a rank-3 or rank-4 image tensor."""
    if data_format == "channels_first":
        return rank - 2, rank - 1
    return rank - 3, rank - 2


def _set_image_shape(shape, data_format, height, width):
    shape = list(shape)
    h_axis, w_axis = _spatial_axes(len(shape), data_format)
    shape[h_axis], shape[w_axis] = height, width
    return tuple(shape)


def _check_size(height, width):
    for name, value in (("height", height), ("width", width)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"Expected a positive int for `{name}`. Received: {name}={value!r}")


def _check_image_rank(layer, inputs):
    if inputs.shape.rank not in (3, 4):
        raise ValueError(
            f"Layer '{layer.name}' expects images of rank 3 (one image) or 4 (a batch). "
            f"Received: inputs.shape={tuple(inputs.shape)}"
        )


@register_builtin
class Resizing(Layer):
    """Resizes images to `(height, width)`.

    Args:
        height, width: the output size.
        interpolation: `bilinear`, `nearest`, `bicubic`, `area`, `lanczos3` or `lanczos5`.
        crop_to_aspect_ratio: crop a centred box of the target aspect ratio first.
        pad_to_aspect_ratio: pad to the target aspect ratio first (with `fill_value`).
        fill_mode: only `"constant"`.
        fill_value: the padding value.
        antialias: filter when downsampling.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The same with the new height and width.
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_size(height, width)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Expected interpolation in {image_ops.RESIZE_INTERPOLATIONS}. Received: "
                f"interpolation={interpolation!r}"
            )
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = antialias
        self.data_format = image_ops.standardize_data_format(data_format)

    def call(self, inputs):
        _check_image_rank(self, inputs)
        return image_ops.resize(
            inputs,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape):
        return _set_image_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }


@register_builtin
class CenterCrop(Layer):
    """Crops the central `(height, width)` part of images.

    An image smaller than the target is resized instead (after cropping to the target's
    aspect ratio), as Keras does.

    Args:
        height, width: the output size.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_size(height, width)
        self.height = height
        self.width = width
        self.data_format = image_ops.standardize_data_format(data_format)

    def call(self, inputs):
        _check_image_rank(self, inputs)
        inputs = tf.cast(inputs, self.compute_dtype)
        h_axis, w_axis = _spatial_axes(inputs.shape.rank, self.data_format)
        height, width = inputs.shape[h_axis], inputs.shape[w_axis]
        if (height is not None and height < self.height) or (
            width is not None and width < self.width
        ):
            return image_ops.resize(
                inputs,
                (self.height, self.width),
                crop_to_aspect_ratio=True,
                data_format=self.data_format,
            )
        shape = tf.shape(inputs)
        top = (shape[h_axis] - self.height) // 2
        left = (shape[w_axis] - self.width) // 2
        begin = [0] * inputs.shape.rank
        size = [-1] * inputs.shape.rank
        begin[h_axis], begin[w_axis] = top, left
        size[h_axis], size[w_axis] = self.height, self.width
        return tf.slice(inputs, tf.stack(begin), size)

    def compute_output_shape(self, input_shape):
        return _set_image_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


class _RandomImageLayer(Layer):
    """Shared parts of the random augmentation layers: seed, training switch, batching."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"Expected an int or None for `seed`. Received: seed={seed!r}")
        self.seed = seed
        self.generator = random.SeedGenerator(seed)
        self.data_format = image_ops.standardize_data_format(data_format)

    def call(self, inputs, training=None):
        _check_image_rank(self, inputs)
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


def _check_fill(fill_mode, interpolation):
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"Expected fill_mode in {_FILL_MODES}. Received: fill_mode={fill_mode!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Expected interpolation in {_INTERPOLATIONS}. Received: "
            f"interpolation={interpolation!r}"
        )


def _factor_range(factor, name, symmetric=True, bound=None):
    """`factor` as a `(lower, upper)` pair; a number `f` means `(-f, f)` (or `(0, f)`)."""
    message = (
        f"Expected `{name}` to be a number or a pair of numbers"
        + (f" with magnitude at most {bound}" if bound else "")
        + f". Received: {name}={factor!r}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
            raise ValueError(message)
        lower, upper = sorted(float(f) for f in factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        lower, upper = (
            (-abs(float(factor)), abs(float(factor))) if symmetric else (0.0, abs(float(factor)))
        )
    else:
        raise ValueError(message)
    if bound is not None and (abs(lower) > bound or abs(upper) > bound):
        raise ValueError(message)
    return lower, upper


def _batch_height_width(images):
    """The batch size, and the height and width as floats, of `(batch, h, w, c)` images."""
    shape = tf.shape(images)
    return shape[0], tf.cast(shape[1], "float32"), tf.cast(shape[2], "float32")


class _RandomAffine(_RandomImageLayer):
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
        _check_fill(fill_mode, interpolation)
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


@register_builtin
class RandomFlip(_RandomImageLayer):
    """Randomly flips images horizontally and/or vertically during training.

    Args:
        mode: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"`.
        seed: an int for reproducible flips.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"Expected mode in {self._MODES}. Received: mode={mode!r}")
        self.mode = mode

    def augment(self, images):
        batch = tf.shape(images)[0]
        outputs = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flips = random.uniform((batch, 1, 1, 1), seed=self.generator) <= 0.5
            outputs = tf.where(flips, tf.reverse(outputs, [2]), outputs)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flips = random.uniform((batch, 1, 1, 1), seed=self.generator) <= 0.5
            outputs = tf.where(flips, tf.reverse(outputs, [1]), outputs)
        return outputs

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@register_builtin
class RandomRotation(_RandomAffine):
    """Randomly rotates images during training.

    Args:
        factor: a fraction of a full turn: `0.1` rotates by up to ±36°; a pair
            `(lower, upper)` sets the range.
        fill_mode: how to fill outside the image: `reflect`, `wrap`, `constant`, `nearest`.
        interpolation: `bilinear` or `nearest`.
        seed: an int for reproducible rotations.
        fill_value: the value for `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        factor = _factor_range(factor, "factor")
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor

    def augment(self, images):
        batch, height, width = _batch_height_width(images)
        angles = random.uniform(
            (batch,),
            self.factor[0] * 2 * math.pi,
            self.factor[1] * 2 * math.pi,
            seed=self.generator,
        )
        cos, sin = tf.cos(angles), tf.sin(angles)
        x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0
        y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0
        zeros = tf.zeros_like(angles)
        transforms = tf.stack([cos, -sin, x_offset, sin, cos, y_offset, zeros, zeros], axis=1)
        return self._transform(images, transforms)

    def _factor_config(self):
        return {"factor": list(self.factor)}


@register_builtin
class RandomZoom(_RandomAffine):
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
        height_range = _factor_range(height_factor, "height_factor")
        width_range = None if width_factor is None else _factor_range(width_factor, "width_factor")
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
        batch, height, width = _batch_height_width(images)
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


@register_builtin
class RandomTranslation(_RandomAffine):
    """Randomly shifts images during training.

    Args:
        height_factor: a fraction of the height: `0.1` shifts by up to ±10% vertically; a
            pair `(lower, upper)` sets the range.
        width_factor: the same horizontally.
        fill_mode, interpolation, seed, fill_value, data_format: as in `RandomRotation`.
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        height_range = _factor_range(height_factor, "height_factor", bound=1.0)
        width_range = _factor_range(width_factor, "width_factor", bound=1.0)
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_range
        self.width_factor = width_range

    def augment(self, images):
        batch, height, width = _batch_height_width(images)
        dy = height * random.uniform(
            (batch,), self.height_factor[0], self.height_factor[1], seed=self.generator
        )
        dx = width * random.uniform(
            (batch,), self.width_factor[0], self.width_factor[1], seed=self.generator
        )
        ones, zeros = tf.ones_like(dx), tf.zeros_like(dx)
        transforms = tf.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)
        return self._transform(images, transforms)

    def _factor_config(self):
        return {"height_factor": list(self.height_factor), "width_factor": list(self.width_factor)}


@register_builtin
class RandomContrast(_RandomImageLayer):
    """Randomly changes the contrast of images during training.

    Each image's pixels move away from (or towards) the image mean by a random factor in
    `[1 - lower, 1 + upper]`, then are clipped to `value_range`.

    Args:
        factor: a number in [0, 1] (the range `(0, factor)`, as Keras 3) or a pair.
        value_range: the `(min, max)` range of the pixel values.
        seed: an int for reproducible factors.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(factor, (int, float)) and not 0 <= factor <= 1:
            raise ValueError(f"Expected `factor` in [0, 1] or a pair. Received: factor={factor!r}")
        self.factor = _factor_range(factor, "factor", symmetric=False)
        self.value_range = tuple(value_range)

    def augment(self, images):
        batch = tf.shape(images)[0]
        factors = random.uniform(
            (batch, 1, 1, 1),
            1.0 - self.factor[0],
            1.0 + self.factor[1],
            dtype=self.compute_dtype,
            seed=self.generator,
        )
        means = tf.reduce_mean(images, axis=(1, 2), keepdims=True)
        outputs = (images - means) * factors + means
        return tf.clip_by_value(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "value_range": list(self.value_range),
        }
