"""Image ops (`keras.ops.image`): resize, extract_patches, affine_transform, grayscale."""

import tensorflow as tf

from kerascore.ops.core import _convert
from kerascore.ops.symbolic import op

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
AFFINE_FILL_MODES = ("constant", "nearest", "wrap", "reflect")


def standardize_data_format(data_format):
    """Returns `data_format`, `channels_last` when None, after checking it."""
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "Expected data_format 'channels_last' or 'channels_first'. Received: "
            f"data_format={data_format!r}"
        )
    return data_format


def _check_rank(images):
    if images.shape.rank not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={tuple(images.shape)}"
        )


def _to_last(images, data_format):
    if data_format == "channels_first":
        return tf.transpose(images, (0, 2, 3, 1) if images.shape.rank == 4 else (1, 2, 0))
    return images


def _from_last(images, data_format):
    if data_format == "channels_first":
        return tf.transpose(images, (0, 3, 1, 2) if images.shape.rank == 4 else (2, 0, 1))
    return images


def _center_box(height, width, target_height, target_width, grow):
    """Height and width with the target aspect ratio that fit in (or around) the image."""
    box_height = tf.cast(tf.cast(width * target_height, "float32") / target_width, "int32")
    box_width = tf.cast(tf.cast(height * target_width, "float32") / target_height, "int32")
    if grow:
        return tf.maximum(height, box_height), tf.maximum(width, box_width)
    return (
        tf.maximum(tf.minimum(height, box_height), 1),
        tf.maximum(tf.minimum(width, box_width), 1),
    )


@op("image.resize")
def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Resizes images to `size`.

    Args:
        images: `(height, width, channels)` or `(batch, height, width, channels)`
            (channels first with `data_format="channels_first"`).
        size: `(height, width)` of the output.
        interpolation: one of `bilinear`, `nearest`, `lanczos3`, `lanczos5`, `bicubic`,
            `area`.
        antialias: whether to filter when downsampling.
        crop_to_aspect_ratio: crop the largest centred box with the target aspect ratio first.
        pad_to_aspect_ratio: pad (with `fill_value`) to the target aspect ratio first.
        fill_mode: only `"constant"`.
        fill_value: the padding value.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Returns:
        The resized images, in the input dtype (integers rounded).
    """
    data_format = standardize_data_format(data_format)
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected one of "
            f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation!r}"
        )
    if fill_mode != "constant":
        raise ValueError(
            f"Only fill_mode='constant' is supported. Received: fill_mode={fill_mode!r}"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` can be True."
        )
    if len(size) != 2:
        raise ValueError(
            f"Argument `size` must be a tuple of two elements (height, width). Received: "
            f"size={size}"
        )
    images = _convert(images)
    _check_rank(images)
    original_dtype = images.dtype
    images = _to_last(images, data_format)
    target_height, target_width = size
    shape = tf.shape(images)
    height, width = shape[-3], shape[-2]
    if crop_to_aspect_ratio:
        crop_height, crop_width = _center_box(height, width, target_height, target_width, False)
        top = (height - crop_height) // 2
        left = (width - crop_width) // 2
        images = images[..., top : top + crop_height, left : left + crop_width, :]
    elif pad_to_aspect_ratio:
        pad_height, pad_width = _center_box(height, width, target_height, target_width, True)
        top = (pad_height - height) // 2
        left = (pad_width - width) // 2
        paddings = [[top, top], [left, left], [0, 0]]
        if images.shape.rank == 4:
            paddings = [[0, 0], *paddings]
        images = tf.pad(images, paddings, constant_values=tf.cast(fill_value, images.dtype))
    resized = tf.image.resize(images, size, method=interpolation, antialias=antialias)
    if resized.dtype != original_dtype:
        if original_dtype.is_integer:
            resized = tf.round(resized)
        resized = tf.dtypes.saturate_cast(resized, original_dtype)
    return _from_last(resized, data_format)


@op("image.extract_patches")
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Extracts patches of `size` from images, each flattened into the channel axis.

    Args:
        images: `(height, width, channels)` or `(batch, height, width, channels)`.
        size: patch size, an int or `(height, width)`.
        strides: step between patches; `size` when None.
        dilation_rate: spacing of the pixels inside a patch.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Returns:
        `(batch, rows, cols, patch_h * patch_w * channels)` (batch axis only if given).
    """
    data_format = standardize_data_format(data_format)
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2:
        raise ValueError(f"Expected an int or a pair for `size`. Received: size={size}")
    strides = (
        size
        if not strides
        else ((strides, strides) if isinstance(strides, int) else tuple(strides))
    )
    rates = (
        (dilation_rate, dilation_rate) if isinstance(dilation_rate, int) else tuple(dilation_rate)
    )
    if padding.lower() not in ("valid", "same"):
        raise ValueError(f"Expected padding 'valid' or 'same'. Received: padding={padding!r}")
    images = _convert(images)
    _check_rank(images)
    unbatched = images.shape.rank == 3
    if unbatched:
        images = images[None]
    images = _to_last(images, data_format)
    patches = tf.image.extract_patches(
        images,
        sizes=(1, *size, 1),
        strides=(1, *strides, 1),
        rates=(1, *rates, 1),
        padding=padding.upper(),
    )
    patches = _from_last(patches, data_format)
    return patches[0] if unbatched else patches


@op("image.affine_transform")
def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    """Applies projective transforms `[a0, a1, a2, b0, b1, b2, c0, c1]` to images.

    Each output pixel `(x, y)` samples the input at `((a0 x + a1 y + a2) / k,
    (b0 x + b1 y + b2) / k)` with `k = c0 x + c1 y + 1`.

    Args:
        images: `(height, width, channels)` or `(batch, height, width, channels)`.
        transform: `(8,)` or `(batch, 8)`.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"` or `"reflect"`.
        fill_value: the value outside the image for `"constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """
    data_format = standardize_data_format(data_format)
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected one of "
            f"{AFFINE_INTERPOLATIONS}. Received: interpolation={interpolation!r}"
        )
    if fill_mode not in AFFINE_FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {AFFINE_FILL_MODES}. "
            f"Received: fill_mode={fill_mode!r}"
        )
    images = _convert(images)
    transform = _convert(transform, "float32")
    _check_rank(images)
    if transform.shape.rank not in (1, 2):
        raise ValueError(
            "Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
            f"transforms). Received: transform.shape={tuple(transform.shape)}"
        )
    unbatched = images.shape.rank == 3
    if unbatched:
        images = images[None]
    if transform.shape.rank == 1:
        transform = transform[None]
    images = _to_last(images, data_format)
    output = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transform,
        output_shape=tf.shape(images)[1:-1],
        fill_value=tf.cast(fill_value, "float32"),
        interpolation=interpolation.upper(),
        fill_mode=fill_mode.upper(),
    )
    output = tf.ensure_shape(output, images.shape)
    output = _from_last(output, data_format)
    return output[0] if unbatched else output


@op("image.rgb_to_grayscale")
def rgb_to_grayscale(images, data_format=None):
    """Converts RGB images to one-channel grayscale (ITU-R 601 weights)."""
    data_format = standardize_data_format(data_format)
    images = _convert(images)
    _check_rank(images)
    original_dtype = images.dtype
    images = _to_last(images, data_format)
    weights = tf.constant([0.2989, 0.5870, 0.1140], dtype="float32")
    gray = tf.reduce_sum(tf.cast(images, "float32") * weights, axis=-1, keepdims=True)
    return _from_last(tf.cast(gray, original_dtype), data_format)


__all__ = ["affine_transform", "extract_patches", "resize", "rgb_to_grayscale"]
