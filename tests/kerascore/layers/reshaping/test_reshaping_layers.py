"""Reshaping layers: the generic layer test, parity with Keras 3 and argument errors."""

import numpy as np
import pytest

from kerascore import layers
from kerascore.testing import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
        (layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
        (layers.Cropping1D, {"cropping": (1, 2)}, (2, 6, 3), (2, 3, 3)),
        (layers.Cropping2D, {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 2), (2, 4, 3, 2)),
        (layers.Cropping3D, {"cropping": 1}, (2, 4, 4, 3, 1), (2, 2, 2, 1, 1)),
        (layers.ZeroPadding1D, {"padding": (1, 2)}, (2, 3, 2), (2, 6, 2)),
        (
            layers.ZeroPadding2D,
            {"padding": 1, "data_format": "channels_first"},
            (2, 2, 3, 3),
            (2, 2, 5, 5),
        ),
        (layers.ZeroPadding3D, {}, (2, 2, 2, 2, 1), (2, 4, 4, 4, 1)),
        (layers.UpSampling1D, {"size": 3}, (2, 2, 3), (2, 6, 3)),
        (layers.UpSampling2D, {"size": (2, 3)}, (2, 2, 2, 3), (2, 4, 6, 3)),
        (layers.UpSampling2D, {"interpolation": "bilinear"}, (2, 3, 3, 2), (2, 6, 6, 2)),
        (layers.UpSampling3D, {"size": 2}, (1, 2, 2, 2, 1), (1, 4, 4, 4, 1)),
    ],
)
def test_generic(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape)


@pytest.mark.parametrize(
    "name, kwargs, input_shape",
    [
        ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
        ("RepeatVector", {"n": 4}, (2, 3)),
        ("Cropping1D", {"cropping": (2, 1)}, (2, 6, 3)),
        ("Cropping2D", {"cropping": ((1, 2), (0, 1))}, (2, 5, 4, 3)),
        ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, (2, 3, 5, 4)),
        ("Cropping3D", {"cropping": ((1, 0), (0, 1), 1)}, (1, 3, 4, 5, 2)),
        ("ZeroPadding1D", {"padding": 2}, (2, 3, 2)),
        ("ZeroPadding2D", {"padding": ((1, 2), (3, 0))}, (2, 3, 3, 2)),
        ("ZeroPadding3D", {"padding": (1, 0, 2)}, (1, 2, 3, 2, 2)),
        ("UpSampling1D", {"size": 3}, (2, 4, 3)),
        ("UpSampling2D", {"size": (2, 3)}, (2, 3, 2, 2)),
        ("UpSampling2D", {"size": 2, "interpolation": "bilinear"}, (2, 3, 4, 2)),
        ("UpSampling2D", {"size": 2, "data_format": "channels_first"}, (2, 2, 3, 3)),
        ("UpSampling3D", {"size": (1, 2, 2)}, (1, 2, 2, 3, 2)),
    ],
)
def test_keras_parity(name, kwargs, input_shape, keras, random_inputs, assert_keras_parity):
    ours = getattr(layers, name)(**kwargs)
    out = assert_keras_parity(
        ours, getattr(keras.layers, name)(**kwargs), random_inputs(input_shape)
    )
    assert out.shape == ours.compute_output_shape(input_shape)


def test_bilinear_channels_first_equals_channels_last(random_inputs):
    x = random_inputs((2, 3, 4, 2))
    expected = layers.UpSampling2D(2, interpolation="bilinear")(x)
    out = layers.UpSampling2D(2, interpolation="bilinear", data_format="channels_first")(
        np.moveaxis(x, -1, 1)
    )
    np.testing.assert_allclose(np.moveaxis(np.asarray(out), 1, -1), expected, atol=1e-6)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: layers.Permute((1, 3)), r"dims=\(1, 3\)"),
        (lambda: layers.RepeatVector(0), "n=0"),
        (lambda: layers.RepeatVector(2.5), "n=2.5"),
        (lambda: layers.Cropping1D(-1), "cropping=-1"),
        (lambda: layers.Cropping2D(((1, 1), (1, 1), (1, 1))), "cropping="),
        (lambda: layers.ZeroPadding2D((1, -2)), "padding"),
        (lambda: layers.UpSampling1D(0), "size=0"),
        (lambda: layers.UpSampling2D(interpolation="cubic"), "interpolation='cubic'"),
        (lambda: layers.UpSampling2D(data_format="NHWC"), "data_format='NHWC'"),
    ],
)
def test_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_cropping_more_than_the_input_is_an_error():
    with pytest.raises(ValueError, match="should be smaller than"):
        layers.Cropping2D(((2, 2), (0, 0)))(np.ones((1, 4, 4, 1), "float32"))
