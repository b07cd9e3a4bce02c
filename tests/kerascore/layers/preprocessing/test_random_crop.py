"""RandomCrop: generic layer test, Keras 3 parity of shapes and of the centre crop, seeds."""

import os

import numpy as np
import pytest
import tensorflow as tf

from kerascore import Input, Sequential, layers
from kerascore.testing import run_layer_test

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, size=(3, 9, 12, 3)).astype("float32")


def _keras():
    import keras as reference

    return reference


def test_random_crop_generic():
    run_layer_test(
        layers.RandomCrop,
        {"height": 3, "width": 4, "seed": 1},
        input_shape=(2, 6, 7, 2),
        expected_output_shape=(2, 3, 4, 2),
        run_training_check=False,
    )


@pytest.mark.parametrize(
    "size, images_shape, data_format",
    [
        ((4, 5), (3, 9, 12, 3), "channels_last"),
        ((4, 5), (9, 12, 3), "channels_last"),
        ((4, 5), (3, 3, 9, 12), "channels_first"),
        ((12, 6), (2, 9, 12, 1), "channels_last"),
    ],
)
def test_training_shapes_match_keras(size, images_shape, data_format):
    images = RNG.uniform(size=images_shape).astype("float32")
    ours = layers.RandomCrop(*size, seed=3, data_format=data_format)
    reference = _keras().layers.RandomCrop(*size, seed=3, data_format=data_format)
    assert ours(images, training=True).shape == reference(images, training=True).shape
    assert ours.compute_output_shape(images_shape) == reference.compute_output_shape(images_shape)


@pytest.mark.parametrize(
    "size, images_shape",
    [((4, 5), (3, 9, 12, 3)), ((6, 3), (2, 9, 12, 1)), ((12, 16), (2, 9, 12, 3))],
)
def test_inference_is_the_centre_crop_keras_documents(size, images_shape):
    # Keras 3.15's layer returns its input unchanged at inference (against its docstring); the
    # documented result is the largest centred window of the target's aspect ratio, resized.
    images = RNG.uniform(0, 255, size=images_shape).astype("float32")
    expected = _keras().ops.image.resize(images, size, crop_to_aspect_ratio=True)
    ours = layers.RandomCrop(*size, seed=1)(images, training=False)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-3)


def test_inference_exact_centre_crop_when_aspect_ratio_matches():
    images = np.arange(2 * 8 * 8 * 1, dtype="float32").reshape(2, 8, 8, 1)
    ours = layers.RandomCrop(8, 4, seed=1)(images, training=False)
    np.testing.assert_array_equal(ours, images[:, :, 2:6])


def test_training_on_a_small_image_matches_keras_when_one_side_is_equal():
    images = IMAGES[:, :9, :9]
    ours = layers.RandomCrop(9, 5, seed=1)(images, training=True)
    reference = _keras().layers.RandomCrop(9, 5, seed=1)(images, training=True)
    np.testing.assert_allclose(ours, reference, rtol=1e-6)


def test_training_crops_lie_inside_the_image_and_depend_on_the_seed():
    height, width = 4, 5

    def crop_origin(crop):
        for top in range(IMAGES.shape[1] - height + 1):
            for left in range(IMAGES.shape[2] - width + 1):
                if np.array_equal(IMAGES[:, top : top + height, left : left + width], crop):
                    return top, left
        raise AssertionError("the training crop is not a window of the image")

    origins = set()
    for seed in range(8):
        crop = layers.RandomCrop(height, width, seed=seed)(IMAGES, training=True).numpy()
        origins.add(crop_origin(crop))
    assert len(origins) > 1, f"every seed cropped at the same place: {origins}"

    layer = layers.RandomCrop(height, width, seed=5)
    first = layer(IMAGES, training=True).numpy()
    np.testing.assert_array_equal(
        layers.RandomCrop(height, width, seed=5)(IMAGES, training=True), first
    )
    calls = {crop_origin(layer(IMAGES, training=True).numpy()) for _ in range(8)}
    assert len(calls) > 1, "successive calls should crop at different places"


def test_integer_images_come_out_as_floats_like_keras():
    images = IMAGES.astype("uint8")
    ours = layers.RandomCrop(4, 5, seed=1)(images, training=False)
    reference = _keras().layers.RandomCrop(4, 5, seed=1)(images, training=True)
    assert ours.dtype == tf.float32 and reference.dtype == tf.float32


def test_model_predict_uses_the_centre_crop_and_tf_data_map_works():
    model = Sequential([Input((9, 12, 3)), layers.RandomCrop(4, 5, seed=1)])
    predicted = model.predict(IMAGES, verbose=0)
    direct = layers.RandomCrop(4, 5)(IMAGES, training=False)
    np.testing.assert_allclose(predicted, direct, rtol=1e-6)

    layer = layers.RandomCrop(4, 5, seed=1)
    dataset = tf.data.Dataset.from_tensor_slices(IMAGES).batch(2).map(layer)
    assert [tuple(batch.shape) for batch in dataset] == [(2, 4, 5, 3), (1, 4, 5, 3)]


def test_invalid_size_names_the_argument():
    with pytest.raises(ValueError, match="height=0"):
        layers.RandomCrop(0, 3)
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomCrop(2, 2)(np.zeros((2, 2), "float32"))
