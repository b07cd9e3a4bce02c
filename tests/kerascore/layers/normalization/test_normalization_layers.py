"""Normalization layers: the generic layer test, parity with Keras 3 (outputs, gradients,
BatchNormalization's moving statistics and frozen behaviour) and argument errors."""

import numpy as np
import pytest

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, trainable, non_trainable",
    [
        (layers.BatchNormalization, {}, (4, 3), 2, 2),
        (layers.BatchNormalization, {"axis": 1, "center": False}, (4, 3, 5), 1, 2),
        (layers.LayerNormalization, {}, (3, 4), 2, 0),
        (layers.LayerNormalization, {"axis": [1, 2], "scale": False}, (3, 2, 4), 1, 0),
        (layers.GroupNormalization, {"groups": 2}, (3, 5, 4), 2, 0),
        (layers.UnitNormalization, {}, (3, 4), 0, 0),
        (layers.RMSNormalization, {}, (3, 4), 1, 0),
    ],
)
def test_generic(cls, kwargs, input_shape, trainable, non_trainable):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=input_shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=non_trainable,
    )


def _randomize(layer, seed=3):
    rng = np.random.default_rng(seed)
    layer.set_weights([w + rng.uniform(0.1, 0.5, size=w.shape) for w in layer.get_weights()])


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize(
    "kwargs, input_shape",
    [({}, (6, 4)), ({"axis": 1, "momentum": 0.9, "epsilon": 0.01}, (4, 3, 2, 2))],
)
def test_batch_normalization_parity(
    kwargs, input_shape, training, keras, random_inputs, assert_keras_parity
):
    ours = layers.BatchNormalization(**kwargs)
    theirs = keras.layers.BatchNormalization(**kwargs)
    x = random_inputs(input_shape)
    theirs(x)
    _randomize(theirs)
    assert_keras_parity(ours, theirs, x, call_kwargs={"training": training}, atol=1e-4)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, atol=1e-5)


def test_batch_normalization_weights_order_and_trainability():
    layer = layers.BatchNormalization()
    layer.build((2, 3))
    names = [w._kerascore_name for w in layer.weights]
    assert names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w._kerascore_name for w in layer.non_trainable_weights] == [
        "moving_mean",
        "moving_variance",
    ]


def test_batch_normalization_masked_statistics_match_keras(keras, random_inputs):
    x = random_inputs((3, 5, 2))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    ours, theirs = layers.BatchNormalization(), keras.layers.BatchNormalization()
    expected = theirs(x, training=True, mask=mask)
    np.testing.assert_allclose(ours(x, training=True, mask=mask), expected, atol=1e-5)
    np.testing.assert_allclose(ours.get_weights()[2], theirs.get_weights()[2], atol=1e-6)
    np.testing.assert_allclose(ours.get_weights()[3], theirs.get_weights()[3], atol=1e-6)


def _bn_model(lib, frozen=False):
    model = lib.Sequential(
        [
            lib.Input((5,)),
            lib.layers.Dense(4),
            lib.layers.BatchNormalization(momentum=0.8),
            lib.layers.Dense(1),
        ]
    )
    if frozen:
        model.layers[1].trainable = False
    return model


@pytest.mark.parametrize("frozen", [False, True])
def test_batch_normalization_in_fit_matches_keras(frozen, keras):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(32, 5)) * 3 + 1).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    ours, theirs = _bn_model(kerascore, frozen), _bn_model(keras, frozen)
    ours.set_weights(theirs.get_weights())
    initial = [w.copy() for w in theirs.layers[1].get_weights()]
    for model, lib in ((ours, kerascore), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    our_bn, their_bn = ours.layers[1].get_weights(), theirs.layers[1].get_weights()
    for mine, reference in zip(our_bn, their_bn):
        np.testing.assert_allclose(mine, reference, atol=1e-4)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, atol=1e-4)
    moved = not np.allclose(our_bn[2], initial[2])
    assert moved is not frozen
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-4)


def test_frozen_batch_normalization_runs_in_inference_mode(random_inputs):
    layer = layers.BatchNormalization()
    x = random_inputs((8, 3)) * 5
    layer(x)
    layer.trainable = False
    before = [w.copy() for w in layer.get_weights()]
    np.testing.assert_allclose(layer(x, training=True), layer(x, training=False))
    for mine, reference in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(mine, reference)
    assert layer.trainable_weights == []


@pytest.mark.parametrize(
    "name, kwargs, input_shape",
    [
        ("LayerNormalization", {}, (3, 5)),
        ("LayerNormalization", {"axis": [1, 2], "epsilon": 0.01}, (2, 3, 4)),
        ("LayerNormalization", {"axis": 1, "center": False}, (2, 3, 4)),
        ("GroupNormalization", {"groups": 2}, (2, 3, 4)),
        ("GroupNormalization", {"groups": -1, "axis": 1}, (2, 3, 4, 2)),
        ("UnitNormalization", {}, (3, 4)),
        ("UnitNormalization", {"axis": [1, 2]}, (2, 3, 4)),
        ("RMSNormalization", {}, (3, 5)),
    ],
)
def test_keras_parity(name, kwargs, input_shape, keras, random_inputs, assert_keras_parity):
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    x = random_inputs(input_shape)
    theirs(x)
    if theirs.weights:
        _randomize(theirs)
    assert_keras_parity(ours, theirs, x, atol=1e-4)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: layers.BatchNormalization(momentum=1.5), "momentum=1.5"),
        (lambda: layers.BatchNormalization(epsilon=0), "epsilon=0"),
        (lambda: layers.BatchNormalization(axis="last"), "axis='last'"),
        (lambda: layers.BatchNormalization(renorm=True), "renorm=True"),
        (lambda: layers.LayerNormalization(axis=1.5), "axis=1.5"),
        (lambda: layers.GroupNormalization(groups=0), "groups=0"),
        (lambda: layers.UnitNormalization(axis=None), "axis=None"),
    ],
)
def test_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_errors_at_build():
    with pytest.raises(ValueError, match="groups=3"):
        layers.GroupNormalization(groups=3)(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.BatchNormalization(axis=3)(np.ones((2, 4), "float32"))
