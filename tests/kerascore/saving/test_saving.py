import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import kerascore as keras
from kerascore import saving


def make_data(rows=64, features=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1)) + 0.1).astype("float32")
    return x, y


def make_sequential(compiled=True, optimizer="adam"):
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(6, activation="relu", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    if compiled:
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


@saving.register_keras_serializable(package="test_saving")
class TwoStep(keras.Model):
    """A subclassed model with a constructor argument."""

    def __init__(self, units=5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units, activation="tanh")
        self.head = keras.layers.Dense(2)

    def call(self, inputs, training=None):
        return self.head(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def rewrite_member(path, member, content):
    """Returns a copy of the archive at `path` with `member` replaced (or removed if None)."""
    tampered = str(path).replace(".keras", "-tampered.keras")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            if item.filename != member:
                target.writestr(item, source.read(item.filename))
        if content is not None:
            target.writestr(member, content)
    return tampered


def saved_config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


# Round trips


def test_sequential_round_trip(tmp_path):
    model = make_sequential()
    x, y = make_data()
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "seq.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        metadata = json.loads(archive.read("metadata.json"))
    assert metadata["keras_version"] == f"kerascore-{keras.__version__}"
    config = saved_config(path)
    assert config["class_name"] == "Sequential"
    assert config["compile_config"] is not None and config["build_config"] is not None
    assert not [name for name in os.listdir(tmp_path) if name != "seq.keras"]

    restored = saving.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [layer.name for layer in restored.layers] == ["hidden", "out"]
    np.testing.assert_allclose(
        restored.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6
    )


def test_uncompiled_and_compile_false(tmp_path):
    model = make_sequential(compiled=False)
    path = tmp_path / "plain.keras"
    saving.save_model(model, path)
    assert saved_config(path)["compile_config"] is None
    restored = saving.load_model(path)
    x, _ = make_data()
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))

    compiled = make_sequential()
    compiled.save(path)
    not_compiled = saving.load_model(path, compile=False)
    assert not not_compiled.compiled
    np.testing.assert_array_equal(
        not_compiled.predict(x, verbose=0), compiled.predict(x, verbose=0)
    )


def test_compiled_but_never_fitted_model(tmp_path):
    model = make_sequential()
    path = tmp_path / "fresh.keras"
    model.save(path)
    restored = saving.load_model(path)
    x, y = make_data()
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    first = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    second = restored.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(second.history["loss"], first.history["loss"], atol=1e-6)


def test_unbuilt_model_round_trip(tmp_path):
    model = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "unbuilt.keras"
    model.save(path)
    restored = saving.load_model(path)
    assert not restored.built
    history = restored.fit(*make_data(rows=8), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and restored.built


def test_functional_two_inputs_round_trip(tmp_path):
    keras.utils.set_random_seed(2)
    left = keras.Input((8,), name="left")
    right = keras.Input((3,), name="right")
    merged = keras.layers.Concatenate()([keras.layers.Dense(4)(left), right])
    outputs = keras.layers.Dense(2, activation="softmax")(merged)
    model = keras.Model([left, right], outputs)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    rng = np.random.default_rng(3)
    inputs = [
        rng.normal(size=(10, 8)).astype("float32"),
        rng.normal(size=(10, 3)).astype("float32"),
    ]
    path = tmp_path / "functional.keras"
    model.save(path)
    restored = saving.load_model(path)
    assert [tensor.name for tensor in restored.inputs] == ["left", "right"]
    np.testing.assert_array_equal(
        restored.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    )


def test_subclassed_registered_model_round_trip(tmp_path):
    keras.utils.set_random_seed(4)
    model = TwoStep(units=3)
    x, _ = make_data(rows=6)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "sub.keras"
    model.save(path)
    config = saved_config(path)
    assert config["registered_name"] == "test_saving>TwoStep"
    assert config["build_config"]["input_shape"] == [None, 8]
    restored = saving.load_model(path)
    assert isinstance(restored, TwoStep) and restored.units == 3
    np.testing.assert_array_equal(restored.predict(x, verbose=0), expected)


def test_custom_objects_for_unregistered_class(tmp_path):
    class Unregistered(TwoStep):
        pass

    keras.utils.set_random_seed(5)
    model = Unregistered(units=2)
    x, _ = make_data(rows=4)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "unregistered.keras"
    model.save(path)
    with pytest.raises(ValueError, match="Unregistered"):
        saving.load_model(path)
    restored = saving.load_model(path, custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(restored.predict(x, verbose=0), expected)
    with saving.custom_object_scope({"Unregistered": Unregistered}):
        np.testing.assert_array_equal(saving.load_model(path).predict(x, verbose=0), expected)


def test_resumed_fit_matches_uninterrupted_fit(tmp_path):
    x, y = make_data()
    uninterrupted = make_sequential()
    full = uninterrupted.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)

    first_half = make_sequential()
    first = first_half.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = tmp_path / "half.keras"
    first_half.save(path)
    resumed = saving.load_model(path)
    assert int(resumed.optimizer.iterations.numpy()) == 8
    second = resumed.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)

    losses = first.history["loss"] + second.history["loss"]
    np.testing.assert_allclose(losses, full.history["loss"], rtol=0, atol=1e-5)
    for resumed_weight, full_weight in zip(
        resumed.get_weights(), uninterrupted.get_weights(), strict=True
    ):
        np.testing.assert_allclose(resumed_weight, full_weight, atol=1e-5)


def test_optimizer_variables_round_trip_exactly(tmp_path):
    model = make_sequential()
    x, y = make_data()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "opt.keras"
    model.save(path)
    restored = saving.load_model(path)
    saved = [variable.numpy() for variable in model.optimizer.variables]
    loaded = [variable.numpy() for variable in restored.optimizer.variables]
    assert len(saved) == len(loaded) > 2
    for before, after in zip(saved, loaded, strict=True):
        np.testing.assert_array_equal(before, after)


def test_save_model_requires_keras_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.keras.*model\.h5.*export"):
        make_sequential().save(tmp_path / "model.h5")


def test_save_overwrite_false(tmp_path):
    path = tmp_path / "m.keras"
    model = make_sequential()
    model.save(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        saving.save_model(model, path, overwrite=False)


def test_failed_save_keeps_previous_archive(tmp_path):
    class Unsaveable(TwoStep):
        def get_config(self):
            return {**super().get_config(), "rng": np.random.default_rng(0)}

    path = tmp_path / "keep.keras"
    make_sequential().save(path)
    before = path.read_bytes()
    model = Unsaveable()
    model.build((None, 8))
    with pytest.raises(TypeError, match="not JSON serializable"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.keras"]


def test_saving_a_lambda_layer_is_refused_and_writes_nothing(tmp_path):
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Lambda(lambda t: t * 2), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="Lambda"):
        model.save(tmp_path / "lambda.keras")
    assert os.listdir(tmp_path) == []


# Weights files


def test_save_and_load_weights(tmp_path):
    model = make_sequential()
    x, y = make_data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as handle:
        assert sorted(handle["model"]) == ["0000", "0001", "0002", "0003"]
        assert handle["model/0000"].attrs["name"] == model.weights[0].name
        assert len(handle["optimizer"]) == len(model.optimizer.variables)
    other = make_sequential(compiled=False)
    keras.utils.set_random_seed(9)
    other.set_weights([np.zeros_like(w) for w in other.get_weights()])
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    # Weights can be read from a whole-model archive too.
    model.save(tmp_path / "m.keras")
    third = make_sequential(compiled=False)
    third.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(third.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_weights_shape_mismatch_assigns_nothing(tmp_path):
    path = tmp_path / "w.weights.h5"
    make_sequential(compiled=False).save_weights(path)
    wider = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(6, name="hidden"), keras.layers.Dense(2, name="out")]
    )
    before = wider.get_weights()
    with pytest.raises(ValueError) as error:
        wider.load_weights(path)
    message = str(error.value)
    assert wider.weights[2].name in message
    assert "expected shape (6, 2)" in message and "received shape (6, 1)" in message
    for current, original in zip(wider.get_weights(), before, strict=True):
        np.testing.assert_array_equal(current, original)


def test_load_weights_count_mismatch_and_skip(tmp_path):
    path = tmp_path / "w.weights.h5"
    make_sequential(compiled=False).save_weights(path)
    deeper = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(6), keras.layers.Dense(1), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="saved model has 4 variables but this model has 6"):
        deeper.load_weights(path)
    with pytest.warns(UserWarning, match="4 variables"):
        deeper.load_weights(path, skip_mismatch=True)
    with h5py.File(path, "r") as handle:
        np.testing.assert_array_equal(deeper.weights[0].numpy(), handle["model/0000"][()])


def test_weights_suffix_and_unbuilt_model(tmp_path):
    model = make_sequential()
    with pytest.raises(ValueError, match=r"must end in \.weights\.h5.*w\.h5"):
        model.save_weights(tmp_path / "w.h5")
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    unbuilt = keras.Sequential([keras.layers.Dense(6), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.load_weights(path)
    with pytest.raises(ValueError, match="File not found"):
        model.load_weights(tmp_path / "missing.weights.h5")


# Tampered or broken archives: a clear ValueError, and nothing from the file runs.


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "good.keras"
    make_sequential().save(path)
    return path


def test_unknown_class_name(archive):
    config = saved_config(archive)
    config["class_name"] = "Popen"
    config["registered_name"] = "subprocess>Popen"
    config["config"] = {"args": ["touch", "should-not-exist"]}
    tampered = rewrite_member(archive, "config.json", json.dumps(config))
    with pytest.raises(
        ValueError, match=r"Unknown object 'subprocess>Popen'.*register_keras_serializable"
    ):
        saving.load_model(tampered)
    assert not os.path.exists("should-not-exist")


def test_nested_layer_naming_a_module_function(archive, tmp_path):
    marker = tmp_path / "marker"
    config = saved_config(archive)
    config["config"]["layers"][-1] = {
        "module": "os",
        "class_name": "system",
        "registered_name": "os>system",
        "config": {"command": f"touch {marker}"},
    }
    tampered = rewrite_member(archive, "config.json", json.dumps(config))
    with pytest.raises(ValueError, match="os>system"):
        saving.load_model(tampered)
    assert not marker.exists()


def test_lambda_layer_is_refused(archive, tmp_path):
    marker = tmp_path / "marker"
    config = saved_config(archive)
    config["config"]["layers"].append(
        {
            "class_name": "Lambda",
            "config": {
                "name": "evil",
                "function": {
                    "class_name": "__lambda__",
                    "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None},
                },
            },
            "registered_name": None,
        }
    )
    tampered = rewrite_member(archive, "config.json", json.dumps(config))
    with pytest.raises(ValueError, match="Lambda.*bytecode"):
        saving.load_model(tampered)
    assert not marker.exists()


def test_truncated_archive(archive, tmp_path):
    data = archive.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        ValueError, match=r"not a valid \.keras archive \(truncated or corrupted zip\)"
    ):
        saving.load_model(truncated)


def test_not_a_zip(tmp_path):
    path = tmp_path / "text.keras"
    path.write_text("print('hello')")
    with pytest.raises(ValueError, match="truncated or corrupted zip"):
        saving.load_model(path)
    with pytest.raises(ValueError, match="File not found"):
        saving.load_model(tmp_path / "absent.keras")


def test_missing_weights_member(archive):
    tampered = rewrite_member(archive, "model.weights.h5", None)
    with pytest.raises(ValueError, match=r"missing \['model.weights.h5'\]"):
        saving.load_model(tampered)


def test_config_not_json(archive):
    tampered = rewrite_member(archive, "config.json", "{'class_name': 'Sequential'")
    with pytest.raises(ValueError, match="config.json .* is not valid JSON"):
        saving.load_model(tampered)
    not_a_model = rewrite_member(archive, "config.json", "[1, 2]")
    with pytest.raises(ValueError, match="does not describe a model"):
        saving.load_model(not_a_model)


def test_weights_of_wrong_shape_in_archive(archive, tmp_path):
    weights = tmp_path / "other.weights.h5"
    keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(3), keras.layers.Dense(1)]
    ).save_weights(weights)
    tampered = rewrite_member(archive, "model.weights.h5", weights.read_bytes())
    with pytest.raises(ValueError, match=r"expected shape \(8, 6\), received shape \(8, 3\)"):
        saving.load_model(tampered)


def test_object_dtype_weights_are_refused(archive, tmp_path):
    weights = tmp_path / "strings.weights.h5"
    with h5py.File(weights, "w") as handle:
        group = handle.create_group("model")
        for index in range(4):
            group.create_dataset(
                f"{index:04d}", data=np.array(["x"], dtype=object), dtype=h5py.string_dtype()
            )
    tampered = rewrite_member(archive, "model.weights.h5", weights.read_bytes())
    with pytest.raises(ValueError, match="only numeric weights"):
        saving.load_model(tampered, compile=False)


def test_weights_linking_to_other_files_are_refused(archive, tmp_path):
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as handle:
        handle.create_dataset("secret", data=np.ones((8, 6), "float32"))
    weights = tmp_path / "linked.weights.h5"
    with h5py.File(weights, "w") as handle:
        group = handle.create_group("model")
        group["0000"] = h5py.ExternalLink(str(outside), "secret")
        for index, shape in enumerate([(6,), (6, 1), (1,)], start=1):
            group.create_dataset(f"{index:04d}", data=np.zeros(shape, "float32"))
    tampered = rewrite_member(archive, "model.weights.h5", weights.read_bytes())
    with pytest.raises(ValueError, match="ExternalLink"):
        saving.load_model(tampered, compile=False)


# Serialization registry


def test_registry_names():
    assert saving.get_registered_name(TwoStep) == "test_saving>TwoStep"
    assert saving.get_registered_object("test_saving>TwoStep") is TwoStep
    dense = keras.layers.Dense(3)
    rebuilt = saving.deserialize_keras_object(saving.serialize_keras_object(dense))
    assert isinstance(rebuilt, keras.layers.Dense) and rebuilt.units == 3
    with pytest.raises(ValueError, match="without '>'"):
        saving.register_keras_serializable(package="a>b")
