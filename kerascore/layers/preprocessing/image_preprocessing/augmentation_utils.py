"""Checks and image maths shared by the color and mixing augmentation layers (Keras 3's
`RandomBrightness` ... `RandAugment` family), on channels-last batches `(batch, h, w, c)`."""

import tensorflow as tf

from kerascore import random


def check_value_range(value_range):
    """`value_range` as a sorted `(low, high)` pair of floats.

    Raises:
        ValueError: when it is not a pair of numbers with `low < high`.
    """
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value_range)
        or value_range[0] == value_range[1]
    ):
        raise ValueError(
            "Expected `value_range` to be a pair of two different numbers, e.g. (0, 255). "
            f"Received: value_range={value_range!r}"
        )
    low, high = sorted(float(v) for v in value_range)
    return low, high


def probability_range(factor, name="factor"):
    """`factor` as a `(lower, upper)` pair inside [0, 1]; a number `f` means `(0, f)`."""
    message = (
        f"Expected `{name}` to be a number or a pair of numbers in [0, 1]. "
        f"Received: {name}={factor!r}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
            raise ValueError(message)
        lower, upper = sorted(float(f) for f in factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        lower, upper = 0.0, float(factor)
    else:
        raise ValueError(message)
    if lower < 0 or upper > 1:
        raise ValueError(message)
    return lower, upper


def rescale_values(images, source_range, target_range):
    """Maps `images` linearly from `source_range` onto `target_range`."""
    if tuple(source_range) == tuple(target_range):
        return images
    source_low, source_high = (tf.cast(v, images.dtype) for v in source_range)
    target_low, target_high = (tf.cast(v, images.dtype) for v in target_range)
    scaled = (images - source_low) / (source_high - source_low)
    return scaled * (target_high - target_low) + target_low


def per_image_uniform(images, lower, upper, generator, rank=4):
    """Uniform draws in `[lower, upper)`, one per image, shaped to broadcast over it."""
    batch = tf.shape(images)[0]
    shape = tf.concat([[batch], tf.ones((rank - 1,), "int32")], axis=0)
    return random.uniform(shape, lower, upper, dtype=images.dtype, seed=generator)


def draw_applied(images, probability_bounds, generator):
    """A `(batch, 1, 1, 1)` bool mask: each image is chosen with a probability drawn from
    `probability_bounds` (Keras 3's `factor` of the probabilistic augmentations)."""
    probability = per_image_uniform(images, *probability_bounds, generator)
    threshold = per_image_uniform(images, 0.0, 1.0, generator)
    return threshold < probability


def check_rgb(images):
    """Raises a ValueError unless channels-last `images` have 3 channels (or unknown)."""
    if images.shape[-1] is not None and images.shape[-1] != 3:
        raise ValueError(
            "This augmentation works on RGB images with 3 channels. Received: "
            f"channels={images.shape[-1]}"
        )


def grayscale(images):
    """The ITU-R 601 luma of RGB `images`, one channel (broadcasts against three)."""
    check_rgb(images)
    weights = tf.constant([0.2989, 0.5870, 0.1140], dtype=images.dtype)
    return tf.reduce_sum(images * weights, axis=-1, keepdims=True)


def gaussian_kernel_1d(size, sigma, dtype):
    positions = tf.range(size, dtype=dtype) - (tf.cast(size, dtype) - 1) / 2
    kernel = tf.exp(-0.5 * (positions / sigma) ** 2)
    return kernel / tf.reduce_sum(kernel)


def gaussian_blur(images, kernel_size, sigma):
    """Blurs each channel with a `kernel_size = (height, width)` Gaussian of standard
    deviations `sigma = (sigma_y, sigma_x)`, zero padding at the borders as in Keras."""
    kernel_y = gaussian_kernel_1d(kernel_size[0], sigma[0], images.dtype)
    kernel_x = gaussian_kernel_1d(kernel_size[1], sigma[1], images.dtype)
    kernel = tf.tensordot(kernel_y, kernel_x, axes=0)
    channels = tf.shape(images)[-1]
    kernel = tf.tile(kernel[:, :, None, None], tf.stack([1, 1, channels, 1]))
    return tf.nn.depthwise_conv2d(images, kernel, strides=[1, 1, 1, 1], padding="SAME")


def shuffled_batch_order(images, generator):
    """A random permutation of the batch indices."""
    batch = tf.shape(images)[0]
    keys = random.uniform((batch,), seed=generator)
    return tf.argsort(keys)


def sample_beta(shape, alpha, beta, generator, dtype="float32"):
    """Beta(alpha, beta) draws from two seeded Gamma draws."""
    from kerascore.random import gamma

    first = gamma(shape, alpha, dtype=dtype, seed=generator)
    second = gamma(shape, beta, dtype=dtype, seed=generator)
    return first / (first + second)


def box_masks(images, area_fraction_root, generator):
    """Random boxes, one per image, of sides `area_fraction_root` times the image's sides.

    Returns:
        A `(batch, h, w, 1)` bool mask (True inside the box) and the fraction of each image
        it covers `(batch,)`.
    """
    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    height_f, width_f = tf.cast(height, images.dtype), tf.cast(width, images.dtype)
    box_width = area_fraction_root[:, 0] * width_f
    box_height = area_fraction_root[:, 1] * height_f
    x0 = random.uniform((batch,), dtype=images.dtype, seed=generator) * (width_f - box_width)
    y0 = random.uniform((batch,), dtype=images.dtype, seed=generator) * (height_f - box_height)
    rows = tf.range(height_f)[None, :, None]
    columns = tf.range(width_f)[None, None, :]
    inside = (
        (columns >= x0[:, None, None])
        & (columns < (x0 + box_width)[:, None, None])
        & (rows >= y0[:, None, None])
        & (rows < (y0 + box_height)[:, None, None])
    )
    covered = tf.reduce_mean(tf.cast(inside, images.dtype), axis=(1, 2))
    return inside[..., None], covered
