"""HashedCrossing, Discretization and Pipeline: Keras 3 parity, configs, models, saving."""

import json

import numpy as np
import pytest
import tensorflow as tf

import kerascore
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


# ------------------------------------------------------------------ Discretization
VALUES = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")


@pytest.mark.parametrize("output_mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_with_boundaries_matches_keras(keras, output_mode):
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    inputs = VALUES[:, :1] if output_mode == "one_hot" else VALUES
    ours = layers.Discretization(bin_boundaries=boundaries, output_mode=output_mode)
    theirs = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=output_mode)
    result = ours(inputs)
    expected = theirs(inputs)
    assert result.dtype.name == expected.dtype.name
    np.testing.assert_array_equal(np.asarray(result), np.asarray(expected))
    assert tuple(result.shape) == ours.compute_output_shape(inputs.shape)


@pytest.mark.parametrize("output_mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_discretization_symbolic_output_is_what_it_computes_as_keras(keras, output_mode, dtype):
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    shape = (1,) if output_mode == "one_hot" else (3,)
    outputs = []
    # Here `keras` is the fixture (Keras 3); kerascore is imported under its own name.
    for library in (kerascore, keras):
        layer = library.layers.Discretization(
            bin_boundaries=boundaries, output_mode=output_mode, dtype=dtype
        )
        symbolic = layer(library.Input(shape))
        computed = layer(VALUES[:, : shape[0]])
        assert symbolic.dtype == computed.dtype.name
        assert layer.output_dtype == computed.dtype.name
        outputs.append((tuple(symbolic.shape), symbolic.dtype))
    assert outputs[0] == outputs[1]


def test_an_int_discretization_feeds_category_encoding_in_a_model():
    inputs = keras.Input((1,))
    bins = layers.Discretization(bin_boundaries=[0.0, 1.0])(inputs)
    assert bins.dtype == "int32"
    model = keras.Model(inputs, layers.CategoryEncoding(3, output_mode="one_hot")(bins))
    np.testing.assert_array_equal(
        model.predict(np.array([[-1.0], [0.5], [4.0]], "float32"), verbose=0), np.eye(3)
    )


def test_discretization_int_inputs_match_keras(keras):
    ints = np.array([[-3, 0, 1, 5, 9]])
    ours = layers.Discretization(bin_boundaries=[0, 2, 6])(ints)
    np.testing.assert_array_equal(ours, keras.layers.Discretization(bin_boundaries=[0, 2, 6])(ints))


@pytest.mark.parametrize("epsilon", [0.01, 0.1])
def test_discretization_adapt_matches_keras(keras, epsilon):
    ours = layers.Discretization(num_bins=5, epsilon=epsilon)
    theirs = keras.layers.Discretization(num_bins=5, epsilon=epsilon)
    ours.adapt(VALUES)
    theirs.adapt(VALUES)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    batches = tf.data.Dataset.from_tensor_slices(VALUES).batch(16)
    ours.adapt(batches)
    theirs.adapt(batches)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    np.testing.assert_array_equal(ours(VALUES), theirs(VALUES))


def test_discretization_adapted_model_saves_and_loads(tmp_path):
    discretizer = layers.Discretization(num_bins=4, output_mode="multi_hot")
    discretizer.adapt(VALUES)
    config = json.loads(json.dumps(discretizer.get_config()))
    assert layers.Discretization.from_config(config).bin_boundaries == discretizer.bin_boundaries
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, layers.Dense(2)(discretizer(inputs)))
    expected = model.predict(VALUES, verbose=0)
    loaded = _save_and_load(model, tmp_path, "discretization")
    np.testing.assert_allclose(loaded.predict(VALUES, verbose=0), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.Discretization(), "num_bins=None"),
        (lambda: layers.Discretization(num_bins=2, bin_boundaries=[0.0]), "not both"),
        (lambda: layers.Discretization(num_bins=-1), "num_bins=-1"),
        (lambda: layers.Discretization(num_bins=3, output_mode="tf_idf"), "output_mode='tf_idf'"),
        (lambda: layers.Discretization(num_bins=3, sparse=True), "sparse=True"),
        (lambda: layers.Discretization(bin_boundaries=[0.0]).adapt(VALUES), "num_bins"),
        (lambda: layers.Discretization(num_bins=3)(VALUES), "adapt"),
    ],
)
def test_discretization_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ------------------------------------------------------------------ Pipeline
IMAGES = np.random.default_rng(1).uniform(0, 1, size=(4, 8, 8, 3)).astype("float32")


def test_pipeline_applies_layers_in_order_and_trains_by_default():
    pipeline = layers.Pipeline(
        [layers.Rescaling(2.0), layers.RandomFlip("horizontal", seed=3), layers.Rescaling(0.5)]
    )
    assert len(pipeline.layers) == 3
    np.testing.assert_allclose(pipeline(IMAGES, training=False), IMAGES, rtol=1e-6)
    flipped = pipeline(IMAGES)
    assert not np.allclose(flipped, IMAGES), "a pipeline augments unless training=False"
    mapped = tf.data.Dataset.from_tensor_slices(IMAGES).batch(2).map(pipeline)
    assert np.concatenate(list(mapped)).shape == IMAGES.shape
    assert pipeline.compute_output_shape((None, 8, 8, 3)) == (None, 8, 8, 3)


def test_pipeline_matches_keras_deterministic_layers(keras):
    ours = layers.Pipeline([layers.Rescaling(1 / 255), layers.Resizing(4, 4)])
    theirs = keras.layers.Pipeline([keras.layers.Rescaling(1 / 255), keras.layers.Resizing(4, 4)])
    np.testing.assert_allclose(ours(IMAGES * 255), theirs(IMAGES * 255), atol=1e-6)


def test_pipeline_config_and_model_saving(tmp_path):
    pipeline = layers.Pipeline([layers.Rescaling(2.0), layers.Dense(3)], name="prep")
    config = json.loads(json.dumps(pipeline.get_config()))
    restored = layers.Pipeline.from_config(config)
    assert [type(layer).__name__ for layer in restored.layers] == ["Rescaling", "Dense"]
    inputs = keras.Input(shape=(5,))
    model = keras.Model(inputs, pipeline(inputs))
    data = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    assert len(pipeline.trainable_weights) == 2
    expected = model.predict(data, verbose=0)
    loaded = _save_and_load(model, tmp_path, "pipeline")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-6)


def test_pipeline_rejects_non_layers():
    with pytest.raises(ValueError, match="layers="):
        layers.Pipeline([lambda x: x])
