"""Regularization layers: the generic layer test, training-only randomness with the right
statistics, parity with Keras 3 at inference and for the activity penalty, argument errors."""

import numpy as np
import pytest

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, input_shape",
    [
        (layers.SpatialDropout1D, {"rate": 0.3, "seed": 1}, (4, 5, 3)),
        (layers.SpatialDropout2D, {"rate": 0.3, "data_format": "channels_first"}, (4, 3, 4, 4)),
        (layers.SpatialDropout3D, {"rate": 0.3}, (2, 3, 3, 3, 2)),
        (layers.GaussianNoise, {"stddev": 0.1, "seed": 2}, (4, 3)),
        (layers.GaussianDropout, {"rate": 0.2}, (4, 3)),
        (layers.AlphaDropout, {"rate": 0.1, "noise_shape": [None, 1]}, (4, 3)),
        (layers.ActivityRegularization, {"l1": 0.01, "l2": 0.02}, (4, 3)),
    ],
)
def test_generic(cls, kwargs, input_shape):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=input_shape)


@pytest.mark.parametrize(
    "name, kwargs, input_shape",
    [
        ("SpatialDropout1D", {"rate": 0.5}, (2, 4, 3)),
        ("SpatialDropout2D", {"rate": 0.5}, (2, 3, 3, 2)),
        ("GaussianNoise", {"stddev": 0.5}, (2, 3)),
        ("GaussianDropout", {"rate": 0.5}, (2, 3)),
        ("AlphaDropout", {"rate": 0.5}, (2, 3)),
    ],
)
def test_inference_is_identity_like_keras(
    name, kwargs, input_shape, keras, random_inputs, assert_keras_parity
):
    x = random_inputs(input_shape)
    out = assert_keras_parity(
        getattr(layers, name)(**kwargs),
        getattr(keras.layers, name)(**kwargs),
        x,
        call_kwargs={"training": False},
    )
    np.testing.assert_array_equal(out, x)


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((64, 5, 5, 8), "float32")
    out = np.asarray(layers.SpatialDropout2D(0.5, seed=0)(x, training=True))
    per_map = out.reshape(64, 25, 8)
    assert np.all(per_map.min(axis=1) == per_map.max(axis=1)), "a channel was partly dropped"
    assert set(np.unique(per_map)) == {0.0, 2.0}
    assert 0.4 < (per_map[:, 0, :] == 0).mean() < 0.6
    out1d = np.asarray(layers.SpatialDropout1D(0.5, seed=0)(np.ones((64, 6, 8)), training=True))
    assert np.all(out1d.min(axis=1) == out1d.max(axis=1))
    first = np.asarray(
        layers.SpatialDropout2D(0.5, data_format="channels_first")(
            np.ones((64, 8, 3, 3)), training=True
        )
    ).reshape(64, 8, 9)
    assert np.all(first.min(axis=2) == first.max(axis=2))


def test_noise_statistics():
    x = np.ones((200, 100), "float32")
    noisy = np.asarray(layers.GaussianNoise(0.3, seed=0)(x, training=True)) - 1
    assert abs(noisy.mean()) < 0.02 and abs(noisy.std() - 0.3) < 0.02
    dropped = np.asarray(layers.GaussianDropout(0.2, seed=0)(x, training=True))
    assert abs(dropped.mean() - 1) < 0.02 and abs(dropped.std() - 0.5) < 0.02
    normal = np.random.default_rng(0).normal(size=(200, 100)).astype("float32")
    alpha = np.asarray(layers.AlphaDropout(0.2, seed=0)(normal, training=True))
    assert abs(alpha.mean()) < 0.05 and abs(alpha.std() - 1) < 0.05
    assert np.mean(alpha != normal) > 0.1


def test_activity_regularization_penalty_matches_keras(keras, random_inputs):
    x = random_inputs((4, 3))
    ours = layers.ActivityRegularization(l1=0.01, l2=0.1)
    theirs = keras.layers.ActivityRegularization(l1=0.01, l2=0.1)
    np.testing.assert_array_equal(ours(x), x)
    theirs(x)
    expected = (0.01 * np.abs(x).sum() + 0.1 * np.square(x).sum()) / 4
    np.testing.assert_allclose(float(ours.losses[0]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(ours.losses[0]), float(theirs.losses[0]), rtol=1e-5)


def test_activity_regularization_joins_the_training_loss(random_inputs):
    x = random_inputs((8, 3))
    model = kerascore.Sequential(
        [kerascore.Input((3,)), layers.ActivityRegularization(l2=1.0), layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    plain = np.mean((model.predict(x, verbose=0) - 0) ** 2)
    loss = model.evaluate(x, np.zeros((8, 1)), batch_size=8, verbose=0)
    np.testing.assert_allclose(loss, plain + np.square(x).sum() / 8, rtol=1e-4)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: layers.SpatialDropout1D(1.5), "rate=1.5"),
        (lambda: layers.SpatialDropout2D(0.5, data_format="NCHW"), "data_format='NCHW'"),
        (lambda: layers.GaussianNoise(-0.1), "stddev=-0.1"),
        (lambda: layers.GaussianDropout(1), "rate=1"),
        (lambda: layers.AlphaDropout(-0.2), "rate=-0.2"),
        (lambda: layers.ActivityRegularization(l1=-1), "l1=-1"),
    ],
)
def test_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()
