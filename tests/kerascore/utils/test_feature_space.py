"""Tests for kerascore.utils.FeatureSpace, with Keras 3's FeatureSpace as the reference."""

import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerascore

ROWS = 240


def make_data(rows=ROWS, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "plain": rng.normal(size=rows).astype("float32"),
        "normalized": rng.normal(3.0, 2.0, size=rows).astype("float32"),
        "rescaled": rng.uniform(0.0, 10.0, size=rows).astype("float32"),
        "discretized": rng.uniform(0.0, 1.0, size=rows).astype("float32"),
        "int_category": rng.integers(0, 6, size=rows).astype("int32"),
        "str_category": rng.choice(
            ["red", "green", "blue", "grey"], p=[0.4, 0.3, 0.2, 0.1], size=rows
        ),
        "str_hashed": rng.choice(["x", "y", "z", "w"], size=rows),
        "int_hashed": rng.integers(0, 1000, size=rows).astype("int32"),
    }


def make_space(library, output_mode="concat"):
    space = library.utils.FeatureSpace
    # Integer outputs cannot be concatenated: only the dict space has them.
    ints = "int" if output_mode == "dict" else "one_hot"
    return space(
        features={
            "plain": space.float(),
            "normalized": space.float_normalized(),
            "rescaled": space.float_rescaled(scale=0.1, offset=-0.5),
            "discretized": space.float_discretized(num_bins=5),
            "int_category": space.integer_categorical(),
            "str_category": space.string_categorical(num_oov_indices=2),
            "str_hashed": space.string_hashed(num_bins=8),
            "int_hashed": space.integer_hashed(num_bins=16, output_mode=ints),
        },
        crosses=[
            space.cross(("str_category", "int_category"), crossing_dim=12),
            space.cross(("str_hashed", "int_hashed"), crossing_dim=7, output_mode=ints),
        ],
        output_mode=output_mode,
    )


def adapted_pair(output_mode="concat", batch=True):
    data = make_data()
    dataset = tf.data.Dataset.from_tensor_slices(data)
    if batch:
        dataset = dataset.batch(32)
    spaces = []
    for library in (kerascore, keras):
        space = make_space(library, output_mode)
        space.adapt(dataset)
        spaces.append(space)
    return spaces


def test_dict_output_matches_keras_feature_by_feature():
    ours, theirs = adapted_pair("dict")
    batch = {name: values[:25] for name, values in make_data(seed=1).items()}
    our_out, their_out = ours(batch), theirs(batch)
    assert sorted(our_out) == sorted(their_out)
    assert "str_category_X_int_category" in our_out
    for name in our_out:
        assert our_out[name].shape == tuple(their_out[name].shape), name
        np.testing.assert_allclose(
            np.asarray(our_out[name], "float64"),
            np.asarray(their_out[name], "float64"),
            atol=1e-5,
            err_msg=name,
        )


def test_dict_output_with_int_modes_matches_keras():
    ours, theirs = adapted_pair("dict")
    batch = {name: values[:8] for name, values in make_data(seed=2).items()}
    our_out, their_out = ours(batch), theirs(batch)
    for name in ("int_hashed", "str_hashed_X_int_hashed"):
        assert our_out[name].dtype.is_integer
        np.testing.assert_array_equal(np.asarray(our_out[name]), np.asarray(their_out[name]))


def concat_space(library):
    space = library.utils.FeatureSpace
    return space(
        features={
            "plain": "float",
            "normalized": "float_normalized",
            "rescaled": "float_rescaled",
            "discretized": "float_discretized",
            "int_category": "integer_categorical",
            "str_category": "string_categorical",
            "str_hashed": "string_hashed",
            "int_hashed": "integer_hashed",
        },
        crosses=[("str_category", "int_category")],
        crossing_dim=10,
        hashing_dim=6,
        num_discretization_bins=3,
        output_mode="concat",
    )


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "rows"])
def test_concat_output_matches_keras(batched):
    data = make_data()
    dataset = tf.data.Dataset.from_tensor_slices(data)
    if batched:
        dataset = dataset.batch(16)
    ours, theirs = concat_space(kerascore), concat_space(keras)
    ours.adapt(dataset)
    theirs.adapt(dataset)
    batch = {name: values[:40] for name, values in make_data(seed=3).items()}
    our_out, their_out = ours(batch), theirs(batch)
    # 1 + 1 + 1 + 3 bins + 7 ints (6 + OOV) + 5 strings (4 + OOV) + 6 + 6 + 10 crossed.
    assert our_out.shape == their_out.shape == (40, 40)
    assert our_out.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(our_out), np.asarray(their_out), atol=1e-5)


def test_a_single_row_of_scalars_has_no_batch_axis():
    ours, theirs = adapted_pair("concat")
    row = {name: values[0] for name, values in make_data(seed=4).items()}
    our_out, their_out = ours(row), theirs(row)
    assert our_out.shape == their_out.shape and len(our_out.shape) == 1
    np.testing.assert_allclose(np.asarray(our_out), np.asarray(their_out), atol=1e-5)


def test_adapted_state_matches_keras():
    ours, theirs = adapted_pair("concat", batch=False)
    our_layer, their_layer = ours.preprocessors["normalized"], theirs.preprocessors["normalized"]
    np.testing.assert_allclose(
        our_layer.adapt_mean.numpy().ravel(), np.asarray(their_layer.mean).ravel(), rtol=1e-5
    )
    np.testing.assert_allclose(
        our_layer.adapt_variance.numpy().ravel(),
        np.asarray(their_layer.variance).ravel(),
        rtol=1e-5,
    )
    assert ours.preprocessors["str_category"].get_vocabulary() == (
        theirs.preprocessors["str_category"].get_vocabulary()
    )
    assert ours.preprocessors["int_category"].get_vocabulary() == [
        int(v) for v in theirs.preprocessors["int_category"].get_vocabulary()
    ]
    np.testing.assert_allclose(
        ours.preprocessors["discretized"].bin_boundaries,
        theirs.preprocessors["discretized"].bin_boundaries,
        atol=1e-6,
    )


def test_encoding_inside_a_tf_data_pipeline_and_training():
    kerascore.utils.set_random_seed(0)
    data = make_data(rows=400)
    labels = (data["normalized"] > 3.0).astype("float32") * (data["str_category"] != "grey")
    space = concat_space(kerascore)
    features = data
    space.adapt(tf.data.Dataset.from_tensor_slices(features).batch(64))
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(32)
    # Encoded once, then cached: the later epochs need not encode the same rows again.
    encoded = dataset.map(lambda x, y: (space(x), y), num_parallel_calls=tf.data.AUTOTUNE).cache()
    first_x, _ = next(iter(encoded))
    assert first_x.shape == (32, 40)
    model = kerascore.Sequential(
        [
            kerascore.Input((40,)),
            kerascore.layers.Dense(16, activation="relu"),
            kerascore.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(encoded, epochs=15, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


def test_inputs_and_encoded_features_build_an_end_to_end_model(tmp_path):
    ours, _ = adapted_pair("concat")
    inputs = ours.get_inputs()
    assert sorted(inputs) == sorted(make_data())
    assert all(isinstance(t, kerascore.KerasTensor) for t in inputs.values())
    assert inputs["str_category"].dtype == "string"
    encoded = ours.get_encoded_features()
    assert encoded is ours.get_encoded_features()
    model = kerascore.Model(inputs, encoded)
    batch = {name: values[:12].reshape(-1, 1) for name, values in make_data(seed=5).items()}
    expected = np.asarray(ours(batch))
    np.testing.assert_allclose(np.asarray(model(batch)), expected, atol=1e-6)
    path = str(tmp_path / "encoder.keras")
    model.save(path)
    restored = kerascore.models.load_model(path)
    np.testing.assert_allclose(np.asarray(restored(batch)), expected, atol=1e-6)


@pytest.mark.parametrize("library", [kerascore, keras], ids=["kerascore", "keras"])
def test_the_tutorial_trains_a_model_whose_inputs_are_the_encoded_features(library, tmp_path):
    # Keras's "Structured data classification with FeatureSpace": the training model starts
    # at the encoded features, the inference model at the raw columns, through the same layers.
    library.utils.set_random_seed(0)
    data = make_data(rows=320)
    labels = ((data["normalized"] > 3.0) & (data["str_category"] != "grey")).astype("float32")
    space = concat_space(library)
    space.adapt(tf.data.Dataset.from_tensor_slices(data).batch(64))
    dict_inputs = space.get_inputs()
    encoded_features = space.get_encoded_features()
    x = library.layers.Dense(16, activation="relu")(encoded_features)
    x = library.layers.Dropout(0.1)(x)
    predictions = library.layers.Dense(1, activation="sigmoid")(x)
    training_model = library.Model(inputs=encoded_features, outputs=predictions)
    training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert tuple(training_model.inputs[0].shape) == (None, 40)
    assert [type(layer).__name__ for layer in training_model.layers] == [
        "InputLayer",
        "Dense",
        "Dropout",
        "Dense",
    ]
    dataset = tf.data.Dataset.from_tensor_slices((data, labels)).batch(32)
    # Encoded once, then cached: the later epochs need not encode the same rows again.
    encoded = dataset.map(lambda x, y: (space(x), y)).cache()
    history = training_model.fit(encoded, epochs=15, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.75
    inference_model = library.Model(inputs=dict_inputs, outputs=predictions)
    batch = {
        name: tf.constant(values[:16].reshape(-1, 1)) for name, values in make_data(seed=8).items()
    }
    from_raw = inference_model.predict(batch, verbose=0)
    np.testing.assert_allclose(
        from_raw, training_model.predict(np.asarray(space(batch)), verbose=0), atol=1e-6
    )
    path = str(tmp_path / "inference.keras")
    inference_model.save(path)
    restored = library.models.load_model(path)
    np.testing.assert_allclose(restored.predict(batch, verbose=0), from_raw, atol=1e-6)


@pytest.mark.parametrize("output_mode", ["concat", "dict"])
def test_save_and_load_the_feature_space_itself(tmp_path, output_mode):
    ours, _ = adapted_pair(output_mode)
    batch = {name: values[:9] for name, values in make_data(seed=6).items()}
    expected = ours(batch)
    path = str(tmp_path / "space.keras")
    ours.save(path)
    restored = kerascore.models.load_model(path)
    assert isinstance(restored, kerascore.utils.FeatureSpace)
    again = str(tmp_path / "again.keras")
    restored.save(again)
    for space in (restored, kerascore.models.load_model(again)):
        got = space(batch)
        if output_mode == "dict":
            assert sorted(got) == sorted(expected)
            for name in got:
                np.testing.assert_allclose(np.asarray(got[name]), np.asarray(expected[name]))
        else:
            np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=1e-6)


def test_config_round_trip_keeps_features_and_crosses():
    space, _ = adapted_pair("dict")
    config = space.get_config()
    rebuilt = kerascore.utils.FeatureSpace.from_config(config)
    assert rebuilt.output_mode == "dict"
    assert [cross.name for cross in rebuilt.crosses] == [cross.name for cross in space.crosses]
    assert rebuilt.features["str_category"].dtype == "string"
    assert rebuilt.features["int_hashed"].output_mode == "int"
    assert (
        rebuilt.preprocessors["str_category"].get_vocabulary()
        == space.preprocessors["str_category"].get_vocabulary()
    )


def test_fixed_bin_boundaries_need_no_adapt():
    space = kerascore.utils.FeatureSpace(
        {
            "x": kerascore.utils.FeatureSpace.float_discretized(
                num_bins=None, bin_boundaries=[-1.0, 0.0, 1.0]
            ),
            "y": "float_normalized",
        },
        output_mode="dict",
    )
    space.adapt({"x": np.array([0.5, 2.0], "float32"), "y": np.array([1.0, 3.0], "float32")})
    encoded = space({"x": [-3.0, 0.5], "y": [1.0, 3.0]})
    np.testing.assert_allclose(encoded["x"].numpy(), [[1, 0, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_allclose(encoded["y"].numpy(), [[-1.0], [1.0]], rtol=1e-6)
    with pytest.raises(ValueError):
        kerascore.utils.FeatureSpace.float_discretized(num_bins=4, bin_boundaries=[0.0])


def test_custom_feature_with_its_own_preprocessor():
    space = kerascore.utils.FeatureSpace(
        {
            "size": kerascore.utils.FeatureSpace.feature(
                dtype="string",
                preprocessor=kerascore.layers.Hashing(num_bins=3),
                output_mode="one_hot",
            ),
            "price": kerascore.utils.FeatureSpace.float_rescaled(scale=0.5),
        }
    )
    # Nothing to adapt: a hashing and a rescaling.
    encoded = space({"size": ["m", "xl"], "price": [4.0, 2.0]}).numpy()
    bins = kerascore.layers.Hashing(num_bins=3)(np.array([["m"], ["xl"]])).numpy()[:, 0]
    np.testing.assert_allclose(encoded[:, 0], [2.0, 1.0])
    np.testing.assert_allclose(encoded[:, 1:], np.eye(3)[bins])


def test_using_it_before_adapt_says_to_adapt():
    space = kerascore.utils.FeatureSpace({"a": "float_normalized"})
    with pytest.raises(ValueError, match="adapt"):
        space({"a": [1.0]})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"features": {}}, "cannot be None or empty"),
        ({"features": {"a": "float"}, "output_mode": "list"}, "output_mode='list'"),
        ({"features": {"a": "floaty"}}, "Invalid feature type for feature 'a'"),
        (
            {"features": {"a": "string_categorical"}, "crosses": [("a", "b")]},
            "unknown features: \\['b'\\]",
        ),
        (
            {
                "features": {"a": "string_categorical"},
                "output_mode": "concat",
                "crosses": [("a", "a")],
                "crossing_dim": None,
            },
            "crossing_dim",
        ),
    ],
)
def test_invalid_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        kerascore.utils.FeatureSpace(**arguments)


def test_an_unencoded_integer_feature_cannot_be_concatenated():
    space = kerascore.utils.FeatureSpace(
        {"a": kerascore.utils.FeatureSpace.integer_categorical(output_mode="int")}
    )
    with pytest.raises(ValueError, match="output_mode='dict'"):
        space.adapt({"a": np.array([1, 2, 3], "int32")})
    with pytest.raises(ValueError, match="output_mode='float'"):
        kerascore.utils.FeatureSpace.cross(("a", "b"), crossing_dim=3, output_mode="float")


def test_adapt_refuses_data_that_is_not_a_dataset_or_dict():
    space = kerascore.utils.FeatureSpace({"a": "float_normalized"})
    with pytest.raises(ValueError, match="tf.data.Dataset or a dict"):
        space.adapt(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="can only be called with a dict"):
        kerascore.utils.FeatureSpace({"a": "float"})(np.zeros((3, 1)))


def test_a_fresh_process_loads_a_saved_feature_space(tmp_path):
    ours, _ = adapted_pair("concat")
    batch = {name: values[:4] for name, values in make_data(seed=7).items()}
    np.save(tmp_path / "expected.npy", np.asarray(ours(batch)))
    np.savez(tmp_path / "batch.npz", **batch)
    ours.save(str(tmp_path / "space.keras"))
    script = textwrap.dedent(
        f"""
        import numpy as np
        import kerascore
        space = kerascore.models.load_model({str(tmp_path / "space.keras")!r})
        batch = dict(np.load({str(tmp_path / "batch.npz")!r}))
        expected = np.load({str(tmp_path / "expected.npy")!r})
        print("DIFFERENCE", float(np.max(np.abs(np.asarray(space(batch)) - expected))))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert float(result.stdout.split("DIFFERENCE")[1]) < 1e-6


def test_it_is_a_layer_as_in_keras():
    assert issubclass(keras.utils.FeatureSpace, keras.layers.Layer)
    assert issubclass(kerascore.utils.FeatureSpace, kerascore.layers.Layer)
    ours, _ = adapted_pair("concat")
    preprocessors = list(ours.preprocessors.values())
    assert all(layer in ours._flatten_layers() for layer in preprocessors)
    assert ours.weights == [v for layer in ours._flatten_layers()[1:] for v in layer.weights]


def test_an_archive_saved_before_it_became_a_layer_still_loads():
    # Saved by kerascore's FeatureSpace when it was a plain class in kerascore/utils.
    path = Path(__file__).parent / "data" / "feature_space_before_layer.keras"
    space = kerascore.models.load_model(str(path))
    assert isinstance(space, kerascore.utils.FeatureSpace)
    assert space.name == "feature_space_before_the_move"
    batch = {
        "age": np.array([25.0, 50.0], "float32"),
        "city": np.array(["b", "z"]),
        "score": np.array([0.2, 0.8], "float32"),
        "code": np.array([2, 9], "int32"),
    }
    # The encoding it gave before it was saved: age, city (4 ids), code (4 bins), score
    # (3 bins), then the city_X_code cross (5 bins).
    expected = [
        [-0.8451542854309082, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
        [0.8451542854309082, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0],
    ]
    np.testing.assert_allclose(np.asarray(space(batch)), expected, atol=1e-6)
