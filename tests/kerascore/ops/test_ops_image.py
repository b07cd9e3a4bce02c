"""kerascore.ops.image against Keras 3 and NumPy."""

import os

import numpy as np
import pytest
import tensorflow as tf

from kerascore import ops

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

IMAGES = np.random.default_rng(0).uniform(0, 255, size=(2, 6, 8, 3)).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(size=(3, 4)),
        dict(size=(9, 5), interpolation="nearest"),
        dict(size=(4, 4), interpolation="bicubic", antialias=True),
        dict(size=(4, 4), crop_to_aspect_ratio=True),
        dict(size=(5, 3), pad_to_aspect_ratio=True, fill_value=1.0),
        dict(size=(3, 3), interpolation="area"),
    ],
)
def test_resize_matches_keras(kwargs):
    import keras

    np.testing.assert_allclose(
        ops.image.resize(IMAGES, **kwargs), keras.ops.image.resize(IMAGES, **kwargs), atol=1e-4
    )
    single = ops.image.resize(IMAGES[0], **kwargs)
    assert single.shape == (*kwargs["size"], 3)


def test_resize_keeps_integer_dtype_and_channels_first():
    import keras

    pixels = IMAGES.astype("uint8")
    ours = ops.image.resize(pixels, (3, 4))
    assert ours.dtype == tf.uint8
    np.testing.assert_array_equal(ours, keras.ops.image.resize(pixels, (3, 4)))
    channels_first = np.transpose(IMAGES, (0, 3, 1, 2))
    resized = ops.image.resize(channels_first, (3, 4), data_format="channels_first")
    np.testing.assert_allclose(
        np.transpose(resized, (0, 2, 3, 1)), ops.image.resize(IMAGES, (3, 4)), atol=1e-5
    )


def test_extract_patches_matches_numpy_and_keras():
    import keras

    patches = ops.image.extract_patches(IMAGES, (2, 4))
    assert patches.shape == (2, 3, 2, 2 * 4 * 3)
    expected = IMAGES[:, 2:4, 4:8, :].reshape(2, -1)
    np.testing.assert_allclose(patches[:, 1, 1], expected)
    for kwargs in (
        dict(size=3, strides=2, padding="same"),
        dict(size=(2, 2), dilation_rate=2, strides=1),
    ):
        np.testing.assert_allclose(
            ops.image.extract_patches(IMAGES, **kwargs),
            keras.ops.image.extract_patches(IMAGES, **kwargs),
            atol=1e-4,
        )


def test_affine_transform_translation_and_keras_parity():
    import keras

    shift = np.array([1, 0, -2, 0, 1, 0, 0, 0], dtype="float32")
    moved = ops.image.affine_transform(IMAGES, np.stack([shift, shift]), interpolation="nearest")
    np.testing.assert_allclose(moved[:, :, 2:], IMAGES[:, :, :-2])
    np.testing.assert_allclose(moved[:, :, :2], 0)
    rotation = np.array([0.9, -0.3, 1.0, 0.3, 0.9, -0.5, 0, 0], dtype="float32")
    for mode in ("constant", "reflect", "wrap", "nearest"):
        np.testing.assert_allclose(
            ops.image.affine_transform(IMAGES[0], rotation, fill_mode=mode),
            keras.ops.image.affine_transform(IMAGES[0], rotation, fill_mode=mode),
            atol=1e-3,
        )


def test_rgb_to_grayscale_matches_keras():
    import keras

    np.testing.assert_allclose(
        ops.image.rgb_to_grayscale(IMAGES), keras.ops.image.rgb_to_grayscale(IMAGES), atol=1e-3
    )


def test_image_ops_invalid_arguments():
    with pytest.raises(ValueError, match="interpolation='cubic'"):
        ops.image.resize(IMAGES, (2, 2), interpolation="cubic")
    with pytest.raises(ValueError, match="size"):
        ops.image.resize(IMAGES, (2,))
    with pytest.raises(ValueError, match="rank"):
        ops.image.resize(IMAGES[0, 0], (2, 2))
    with pytest.raises(ValueError, match="fill_mode='mirror'"):
        ops.image.affine_transform(IMAGES, np.zeros(8), fill_mode="mirror")
