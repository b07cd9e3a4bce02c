"""Image utilities against Keras 3: arrays to images and back, PNG files written by TF."""

import io
import os

import numpy as np
import pytest
import tensorflow as tf

from kerascore import utils

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, size=(6, 9, 3)).astype("uint8")


def _keras_utils():
    import keras

    return keras.utils


@pytest.fixture
def png_path(tmp_path):
    path = tmp_path / "image.png"
    tf.io.write_file(str(path), tf.io.encode_png(RGB))
    return path


@pytest.mark.parametrize(
    "array, kwargs",
    [
        (RNG.uniform(size=(4, 5, 3)), {}),
        (RNG.uniform(-3, 7, size=(4, 5, 4)), {}),
        (RNG.uniform(size=(4, 5, 1)), {}),
        (RNG.uniform(0, 1000, size=(4, 5, 1)), {"scale": False}),
        (RNG.uniform(0, 255, size=(3, 4, 5)), {"data_format": "channels_first", "scale": False}),
        (np.zeros((4, 5, 3)), {}),
    ],
)
def test_array_to_img_and_back_match_keras(array, kwargs):
    reference = _keras_utils()
    ours = utils.array_to_img(array, **kwargs)
    theirs = reference.array_to_img(array, **kwargs)
    assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
    data_format = kwargs.get("data_format")
    np.testing.assert_array_equal(
        utils.img_to_array(ours, data_format=data_format),
        reference.img_to_array(theirs, data_format=data_format),
    )


def test_img_to_array_dtype_and_grayscale_shapes():
    gray = utils.array_to_img(RGB[:, :, :1], scale=False)
    assert utils.img_to_array(gray).shape == (6, 9, 1)
    assert utils.img_to_array(gray, data_format="channels_first").shape == (1, 6, 9)
    assert utils.img_to_array(gray, dtype="uint8").dtype == np.uint8
    assert utils.img_to_array(utils.array_to_img(RGB)).dtype == np.float32


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"color_mode": "grayscale"},
        {"color_mode": "rgba"},
        {"target_size": (4, 4)},
        {"target_size": (3, 7), "interpolation": "bilinear"},
        {"target_size": (4, 4), "interpolation": "bicubic", "keep_aspect_ratio": True},
        {"target_size": (10, 4), "keep_aspect_ratio": True},
    ],
)
def test_load_img_matches_keras(png_path, kwargs):
    ours = utils.load_img(png_path, **kwargs)
    theirs = _keras_utils().load_img(png_path, **kwargs)
    assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
    np.testing.assert_array_equal(utils.img_to_array(ours), utils.img_to_array(theirs))


def test_load_img_reads_the_png_pixels_from_a_path_string_or_bytes_io(png_path):
    np.testing.assert_array_equal(utils.img_to_array(utils.load_img(str(png_path))), RGB)
    buffer = io.BytesIO(png_path.read_bytes())
    np.testing.assert_array_equal(utils.img_to_array(utils.load_img(buffer)), RGB)


def test_save_img_writes_what_keras_writes(tmp_path):
    array = RNG.uniform(size=(5, 7, 3))
    utils.save_img(tmp_path / "ours.png", array)
    _keras_utils().save_img(tmp_path / "theirs.png", array)
    ours = tf.io.decode_png(tf.io.read_file(str(tmp_path / "ours.png"))).numpy()
    theirs = tf.io.decode_png(tf.io.read_file(str(tmp_path / "theirs.png"))).numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert ours.shape == (5, 7, 3) and ours.min() == 0 and ours.max() == 255

    buffer = io.BytesIO()
    utils.save_img(buffer, RGB, file_format="png", scale=False)
    np.testing.assert_array_equal(tf.io.decode_png(buffer.getvalue()).numpy(), RGB)

    with pytest.warns(UserWarning, match="RGBA"):
        utils.save_img(tmp_path / "alpha.jpg", RNG.uniform(size=(4, 4, 4)))
    assert tf.io.decode_jpeg(tf.io.read_file(str(tmp_path / "alpha.jpg"))).shape == (4, 4, 3)


def test_errors_name_the_value(png_path):
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="2 channels"):
        utils.array_to_img(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="color_mode='cmyk'"):
        utils.load_img(png_path, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation='cubic'"):
        utils.load_img(png_path, target_size=(2, 2), interpolation="cubic")
    with pytest.raises(TypeError, match="int"):
        utils.load_img(3)


def test_pad_sequences_and_to_categorical_match_keras():
    reference = _keras_utils()
    sequences = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
    for kwargs in ({}, {"maxlen": 3, "padding": "post", "truncating": "post", "value": -1}):
        np.testing.assert_array_equal(
            utils.pad_sequences(sequences, **kwargs), reference.pad_sequences(sequences, **kwargs)
        )
    labels = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(
        utils.to_categorical(labels, 4), reference.to_categorical(labels, 4)
    )
