"""HashedCrossing, Discretization and Pipeline: Keras 3 parity, configs, models, saving."""

import json

import numpy as np
import pytest
import tensorflow as tf

import kerascore as keras
from kerascore import layers

FEATURE_A = np.array(["A", "B", "A", "B", "A", "C"])
FEATURE_B = np.array([101, 101, 101, 102, 102, 7])


def _save_and_load(model, tmp_path, name):
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return keras.saving.load_model(path)


# ------------------------------------------------------------------ HashedCrossing
@pytest.mark.parametrize("output_mode", ["int", "one_hot"])
@pytest.mark.parametrize("shape", [(6,), (6, 1)])
def test_hashed_crossing_matches_keras(keras, output_mode, shape):
    first, second = FEATURE_A.reshape(shape), FEATURE_B.reshape(shape)
    ours = layers.HashedCrossing(num_bins=5, output_mode=output_mode)((first, second))
    theirs = keras.layers.HashedCrossing(num_bins=5, output_mode=output_mode)((first, second))
    assert ours.dtype.name == theirs.dtype.name
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    layer = layers.HashedCrossing(num_bins=5, output_mode=output_mode)
    assert tuple(ours.shape) == layer.compute_output_shape([shape, shape])


def test_hashed_crossing_three_features_and_scalars(keras):
    third = np.array([1, 2, 3, 4, 5, 6])
    ours = layers.HashedCrossing(num_bins=100)((FEATURE_A, FEATURE_B, third))
    theirs = keras.layers.HashedCrossing(num_bins=100)((FEATURE_A, FEATURE_B, third))
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    scalar = layers.HashedCrossing(num_bins=5)((tf.constant("A"), tf.constant(101)))
    assert scalar.shape == () and int(scalar) == 1


def test_hashed_crossing_in_tf_data_and_config():
    layer = layers.HashedCrossing(num_bins=7, output_mode="one_hot", name="cross")
    dataset = tf.data.Dataset.from_tensor_slices((FEATURE_A, FEATURE_B)).batch(3)
    mapped = np.concatenate(list(dataset.map(lambda a, b: layer((a, b)))))
    np.testing.assert_array_equal(mapped, layer((FEATURE_A, FEATURE_B)))
    config = json.loads(json.dumps(layer.get_config()))
    assert layers.HashedCrossing.from_config(config).get_config() == layer.get_config()


def test_hashed_crossing_model_saves_and_loads(tmp_path):
    first = keras.Input(shape=(1,), dtype="string")
    second = keras.Input(shape=(1,), dtype="int64")
    crossed = layers.HashedCrossing(num_bins=8, output_mode="one_hot")((first, second))
    model = keras.Model([first, second], layers.Dense(2)(crossed))
    inputs = [FEATURE_A[:, None], FEATURE_B[:, None]]
    expected = model.predict(inputs, verbose=0)
    loaded = _save_and_load(model, tmp_path, "crossing")
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.HashedCrossing(num_bins=0), "num_bins=0"),
        (lambda: layers.HashedCrossing(num_bins=3, output_mode="count"), "output_mode='count'"),
        (lambda: layers.HashedCrossing(num_bins=3, sparse=True), "sparse=True"),
        (lambda: layers.HashedCrossing(num_bins=3)([FEATURE_A]), "at least two"),
        (lambda: layers.HashedCrossing(num_bins=3)((FEATURE_A, FEATURE_B[:3])), "same shape"),
        (
            lambda: layers.HashedCrossing(num_bins=3)((FEATURE_A, FEATURE_B.astype("float32"))),
            "dtype=float32",
        ),
    ],
)
def test_hashed_crossing_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()
