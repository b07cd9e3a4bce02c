"""Tests for keras.utils' symbolic-tensor, dtype, registry, session and graph helpers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerascore
from kerascore import utils


def test_get_source_inputs_walks_back_to_the_model_inputs():
    first = kerascore.Input((3,), name="first")
    second = kerascore.Input((2,), name="second")
    joined = kerascore.layers.Concatenate()(
        [kerascore.layers.Dense(4)(first), kerascore.layers.Dense(4)(second)]
    )
    output = kerascore.layers.Dense(1)(kerascore.layers.Add()([joined, joined]))
    sources = utils.get_source_inputs(output)
    assert len(sources) == 2
    assert sources[0] is first and sources[1] is second
    assert utils.get_source_inputs(first) == [first]
    assert utils.get_source_inputs(3.0) == 3.0


def test_get_source_inputs_matches_keras_order():
    def build(library):
        a = library.Input((3,), name="a")
        b = library.Input((3,), name="b")
        c = library.Input((3,), name="c")
        out = library.layers.Add()([library.layers.Dense(3)(c), a])
        out = library.layers.Multiply()([out, b])
        return [t.name for t in library.utils.get_source_inputs(out)]

    assert build(kerascore) == build(keras) == ["c", "a", "b"]


def test_is_keras_tensor():
    symbolic = kerascore.Input((2,))
    assert utils.is_keras_tensor(symbolic)
    assert utils.is_keras_tensor(kerascore.layers.Dense(3)(symbolic))
    assert not utils.is_keras_tensor(tf.zeros((1, 2)))
    assert not utils.is_keras_tensor(np.zeros((1, 2)))


@pytest.mark.parametrize(
    "dtype",
    [
        None,
        "float32",
        "float16",
        "int",
        int,
        float,
        bool,
        str,
        complex,
        "bool",
        np.int8,
        np.dtype("uint16"),
        tf.int32,
        tf.bfloat16,
        tf.string,
        "complex64",
    ],
)
def test_standardize_dtype_matches_keras(dtype):
    assert utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


@pytest.mark.parametrize("dtype", ["float33", "float"])
def test_standardize_dtype_rejects_names_keras_rejects(dtype):
    with pytest.raises(ValueError, match=f"Invalid dtype: '{dtype}'"):
        utils.standardize_dtype(dtype)
    with pytest.raises(ValueError, match="Invalid dtype"):
        keras.utils.standardize_dtype(dtype)


def test_registry_names_are_the_saving_ones():
    for name in (
        "CustomObjectScope",
        "custom_object_scope",
        "deserialize_keras_object",
        "get_custom_objects",
        "get_registered_name",
        "get_registered_object",
        "register_keras_serializable",
        "serialize_keras_object",
    ):
        assert getattr(utils, name) is getattr(kerascore.saving, name)


def test_get_custom_objects_is_the_live_registry():
    @utils.register_keras_serializable(package="utils_test")
    class Doubling(kerascore.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    assert utils.get_custom_objects()["utils_test>Doubling"] is Doubling
    assert utils.get_registered_name(Doubling) == "utils_test>Doubling"

    class Halving(kerascore.layers.Layer):
        def call(self, inputs):
            return inputs / 2.0

    utils.get_custom_objects()["Halving"] = Halving
    try:
        assert utils.get_registered_object("Halving") is Halving
        rebuilt = utils.deserialize_keras_object(utils.serialize_keras_object(Halving()))
        assert isinstance(rebuilt, Halving)
    finally:
        del utils.get_custom_objects()["Halving"]
        del utils.get_custom_objects()["utils_test>Doubling"]


def test_custom_object_scope_resolves_unregistered_classes():
    class Tripling(kerascore.layers.Layer):
        def call(self, inputs):
            return inputs * 3.0

    config = utils.serialize_keras_object(Tripling(name="triple"))
    with pytest.raises(ValueError, match="Unknown object"):
        utils.deserialize_keras_object(config)
    with utils.CustomObjectScope({"Tripling": Tripling}):
        assert utils.deserialize_keras_object(config).name == "triple"
    with utils.custom_object_scope({"Tripling": Tripling}):
        assert utils.get_registered_object("Tripling") is Tripling


@pytest.mark.parametrize("free_memory", [True, False])
def test_clear_session_restarts_layer_names(free_memory):
    kerascore.layers.Dense(1)
    utils.clear_session(free_memory=free_memory)
    assert kerascore.layers.Dense(1).name == "dense"
    assert kerascore.layers.Dense(1).name == "dense_1"


def test_model_to_dot_returns_the_layer_graph():
    inputs = kerascore.Input((3,), name="features")
    outputs = kerascore.layers.Dense(2, name="head")(kerascore.layers.Dense(4, name="body")(inputs))
    dot = utils.model_to_dot(kerascore.Model(inputs, outputs), show_shapes=True)
    labels = [node.get_label() for node in dot.get_nodes() if node.get_label()]
    assert any("head (Dense)" in label for label in labels)
    assert len(dot.get_edges()) == 2
