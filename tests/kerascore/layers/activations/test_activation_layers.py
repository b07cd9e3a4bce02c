"""Activation layers: the generic layer test, parity with Keras 3 (outputs and gradients),
Softmax masks and argument errors."""

import numpy as np
import pytest

from kerascore import layers
from kerascore.testing import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, weights",
    [
        (layers.ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, (3, 4), 0),
        (layers.LeakyReLU, {"negative_slope": 0.2}, (3, 4), 0),
        (layers.PReLU, {}, (3, 4), 1),
        (layers.PReLU, {"shared_axes": [1, 2]}, (3, 2, 2, 4), 1),
        (layers.ELU, {"alpha": 0.5}, (3, 4), 0),
        (layers.Softmax, {"axis": [1, 2]}, (3, 2, 4), 0),
    ],
)
def test_generic(cls, kwargs, input_shape, weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=input_shape,
        expected_num_trainable_weights=weights,
    )


@pytest.mark.parametrize(
    "name, kwargs, input_shape",
    [
        ("ReLU", {}, (3, 5)),
        ("ReLU", {"max_value": 6.0}, (3, 5)),
        ("ReLU", {"max_value": 0.8, "negative_slope": 0.1, "threshold": 0.3}, (3, 5)),
        ("ReLU", {"negative_slope": 0.2}, (3, 5)),
        ("LeakyReLU", {}, (3, 5)),
        ("LeakyReLU", {"negative_slope": 0.05}, (3, 5)),
        ("ELU", {}, (3, 5)),
        ("ELU", {"alpha": 0.3}, (3, 5)),
        ("Softmax", {}, (3, 5)),
        ("Softmax", {"axis": 1}, (2, 3, 4)),
        ("Softmax", {"axis": [1, 2]}, (2, 3, 4)),
    ],
)
def test_keras_parity(name, kwargs, input_shape, keras, random_inputs, assert_keras_parity):
    x = random_inputs(input_shape) * 2
    assert_keras_parity(getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x)


@pytest.mark.parametrize("shared_axes", [None, [1], [1, 2]])
def test_prelu_parity(shared_axes, keras, random_inputs, assert_keras_parity):
    theirs = keras.layers.PReLU(shared_axes=shared_axes, alpha_initializer="random_uniform")
    x = random_inputs((2, 3, 4, 2))
    theirs(x)
    ours = layers.PReLU(shared_axes=shared_axes)
    assert_keras_parity(ours, theirs, x)
    assert ours.weights[0].shape == theirs.weights[0].shape


@pytest.mark.parametrize(
    "mask",
    [
        np.array([[1, 1, 0, 0], [1, 0, 1, 0]], bool),
        np.array([[1, 1, 0, 0], [0, 0, 0, 0]], bool),
        np.array([[0.9, 0.2, 0.7, 1.0], [1.0, 1.0, 0.0, 0.6]], "float32"),
    ],
)
def test_softmax_mask_matches_keras(mask, keras, random_inputs):
    x = random_inputs((2, 4))
    ours = layers.Softmax()(x, mask=mask)
    theirs = keras.layers.Softmax()(x, mask=mask)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    keep = mask > 0.5
    assert np.all(np.asarray(ours)[~keep] == 0)


def test_softmax_mask_must_broadcast(random_inputs):
    with pytest.raises(ValueError, match="broadcastable"):
        layers.Softmax()(random_inputs((2, 4)), mask=np.ones((2, 3), bool))


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: layers.ReLU(max_value=-1), "max_value=-1"),
        (lambda: layers.ReLU(negative_slope=None), "negative_slope=None"),
        (lambda: layers.ReLU(threshold=-0.5), "threshold=-0.5"),
        (lambda: layers.LeakyReLU(negative_slope=-0.1), "negative_slope=-0.1"),
        (lambda: layers.PReLU(shared_axes=[0]), r"shared_axes=\[0\]"),
        (lambda: layers.ELU(alpha="big"), "alpha='big'"),
        (lambda: layers.Softmax(axis="last"), "axis='last'"),
    ],
)
def test_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()
