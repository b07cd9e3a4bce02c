"""Ops on symbolic tensors build functional models that run, train, save and load."""

import json

import numpy as np
import pytest

import kerascore as keras
from kerascore import ops
from kerascore.layers.core.op_layer import OpLayer
from kerascore.models.functional import Functional


def _model():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    joined = ops.concatenate([a, ops.square(b)], axis=-1)
    values, indices = ops.top_k(joined, 2)
    scores = ops.add(ops.mean(joined, axis=-1, keepdims=True), ops.cast(indices, "float32"))
    hidden = keras.layers.Dense(3)(ops.relu(joined))
    probabilities = ops.softmax(hidden, axis=-1)
    image = ops.image.resize(ops.reshape(a, (-1, 2, 2, 1)), (4, 4))
    return keras.Model([a, b], [scores, probabilities, image, values])


def _inputs():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")]


def test_symbolic_ops_record_layers_with_right_shapes():
    model = _model()
    names = [type(layer).__name__ for layer in model.layers]
    assert names.count("OpLayer") >= 8
    scores, probabilities, image, values = model.outputs
    assert scores.shape == (None, 2) and probabilities.shape == (None, 3)
    assert image.shape == (None, 4, 4, 1) and values.shape == (None, 2)
    x, y = _inputs()
    outputs = model([x, y])
    joined = np.concatenate([x, y**2], axis=-1)
    top = -np.sort(-joined, axis=1)[:, :2]
    np.testing.assert_allclose(outputs[3], top, rtol=1e-6)
    expected_scores = joined.mean(-1, keepdims=True) + np.argsort(-joined, axis=1)[:, :2]
    np.testing.assert_allclose(outputs[0], expected_scores, rtol=1e-5)
    np.testing.assert_allclose(np.sum(outputs[1], -1), 1.0, rtol=1e-5)


def test_symbolic_model_config_round_trip_and_save(tmp_path):
    model = _model()
    x, y = _inputs()
    expected = model([x, y])
    config = json.loads(json.dumps(model.get_config()))
    restored = Functional.from_config(config)
    restored.set_weights(model.get_weights())
    for a, b in zip(restored([x, y]), expected):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    path = tmp_path / "ops_model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(loaded([x, y]), expected):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_symbolic_ops_train_in_fit():
    inputs = keras.Input((3,))
    features = ops.concatenate([inputs, ops.sin(inputs)], axis=-1)
    outputs = keras.layers.Dense(1)(features)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    x = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")
    target = np.sin(x).sum(axis=1, keepdims=True)
    history = model.fit(x, target, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x), rtol=1e-5, atol=1e-6)


def test_op_layer_arguments_are_json_and_validated():
    inputs = keras.Input((2, 3))
    out = ops.pad(inputs, ((0, 0), (1, 1), (0, 0)), constant_values=2.0)
    layer = out._keras_history[0]
    assert isinstance(layer, OpLayer)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["op_name"] == "pad"
    assert out.shape == (None, 4, 3)
    with pytest.raises(ValueError, match="op_name='no_such_op'"):
        OpLayer("no_such_op")
    with pytest.raises(ValueError, match="type object"):
        ops.add(inputs, object())


def test_operators_on_symbolic_tensors_record_op_layers():
    inputs = keras.Input((3, 4))
    first = inputs[:, 0]
    scaled = (first * 2.0 + 1.0 - inputs[:, -1]) / 2
    outputs = -((1 - scaled) ** 2) + inputs[..., None][:, 0, :, 0] * np.float64(0.5)
    model = keras.Model(inputs, [scaled, outputs])
    recorded = {layer.op_name for layer in model.layers if isinstance(layer, OpLayer)}
    assert recorded == {"get_item", "multiply", "add", "subtract", "divide", "power", "negative"}
    assert outputs.dtype == "float32", "a NumPy scalar must not promote the result to float64"
    x = np.random.default_rng(2).normal(size=(5, 3, 4)).astype("float32")
    expected_scaled = (x[:, 0] * 2.0 + 1.0 - x[:, -1]) / 2
    got_scaled, got_outputs = model.predict(x, verbose=0)
    np.testing.assert_allclose(got_scaled, expected_scaled, rtol=1e-6)
    expected_outputs = -((1 - expected_scaled) ** 2) + x[:, 0] * 0.5
    np.testing.assert_allclose(got_outputs, expected_outputs, rtol=1e-5)


def test_symbolic_op_configs_of_older_archives_build_the_same_op_layer():
    inputs = keras.Input((3, 4))
    saved = {
        "class_name": "SymbolicOp",
        "registered_name": "SymbolicOp",
        "config": {
            "name": "op_getitem",
            "trainable": True,
            "dtype": "float32",
            "op": "getitem",
            "operand": {"tuple": [{"ellipsis": True}, {"slice": [None, 2, None]}]},
            "reverse": False,
        },
    }
    layer = keras.saving.deserialize_keras_object(saved)
    assert isinstance(layer, OpLayer) and layer.name == "op_getitem"
    reverse = keras.layers.SymbolicOp("subtract", operand=1.0, reverse=True)
    pair = keras.layers.SymbolicOp("multiply")
    sliced = layer(inputs)
    model = keras.Model(inputs, [sliced, reverse(sliced), pair([sliced, sliced])])
    x = np.random.default_rng(3).normal(size=(2, 3, 4)).astype("float32")
    outputs = model.predict(x, verbose=0)
    for output, expected in zip(outputs, [x[..., :2], 1.0 - x[..., :2], x[..., :2] ** 2]):
        np.testing.assert_allclose(output, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="op='modulo'"):
        keras.layers.SymbolicOp("modulo")
    assert keras.ops.OpLayer is OpLayer
