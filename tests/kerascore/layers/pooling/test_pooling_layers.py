"""Pooling layers: the generic layer test, parity with Keras 3, masks and argument errors."""

import numpy as np
import pytest

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (layers.MaxPooling1D, {}, (2, 6, 3), (2, 3, 3)),
        (
            layers.MaxPooling2D,
            {"pool_size": 3, "strides": 2, "padding": "same"},
            (2, 5, 5, 2),
            (2, 3, 3, 2),
        ),
        (layers.MaxPooling3D, {}, (2, 4, 4, 4, 1), (2, 2, 2, 2, 1)),
        (layers.AveragePooling1D, {"pool_size": 3, "strides": 1}, (2, 6, 3), (2, 4, 3)),
        (layers.AveragePooling2D, {}, (2, 4, 6, 2), (2, 2, 3, 2)),
        (layers.AveragePooling3D, {"padding": "same"}, (2, 3, 3, 3, 1), (2, 2, 2, 2, 1)),
        (layers.GlobalMaxPooling1D, {}, (2, 5, 3), (2, 3)),
        (layers.GlobalMaxPooling2D, {"keepdims": True}, (2, 4, 4, 3), (2, 1, 1, 3)),
        (layers.GlobalMaxPooling3D, {}, (2, 3, 3, 3, 2), (2, 2)),
        (layers.GlobalAveragePooling1D, {"keepdims": True}, (2, 5, 3), (2, 1, 3)),
        (layers.GlobalAveragePooling2D, {}, (2, 4, 4, 3), (2, 3)),
        (layers.GlobalAveragePooling3D, {"data_format": "channels_first"}, (2, 2, 3, 3, 3), (2, 2)),
    ],
)
def test_generic(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape)


@pytest.mark.parametrize(
    "name, kwargs, input_shape",
    [
        ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
        ("MaxPooling2D", {"pool_size": (2, 3)}, (2, 5, 7, 2)),
        ("MaxPooling3D", {"pool_size": 2, "padding": "same"}, (1, 3, 4, 5, 2)),
        ("AveragePooling1D", {"pool_size": 2, "strides": 1}, (2, 5, 3)),
        ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 5, 2)),
        ("AveragePooling3D", {"pool_size": 2}, (1, 4, 4, 5, 2)),
        ("GlobalMaxPooling1D", {}, (2, 5, 3)),
        ("GlobalMaxPooling2D", {"keepdims": True}, (2, 4, 3, 3)),
        ("GlobalMaxPooling3D", {}, (2, 2, 3, 2, 3)),
        ("GlobalAveragePooling1D", {}, (2, 5, 3)),
        ("GlobalAveragePooling2D", {"keepdims": True}, (2, 4, 3, 3)),
        ("GlobalAveragePooling3D", {}, (2, 2, 3, 2, 3)),
        ("GlobalAveragePooling2D", {"data_format": "channels_first"}, (2, 3, 4, 3)),
    ],
)
def test_keras_parity(name, kwargs, input_shape, keras, random_inputs, assert_keras_parity):
    out = assert_keras_parity(
        getattr(layers, name)(**kwargs),
        getattr(keras.layers, name)(**kwargs),
        random_inputs(input_shape),
    )
    assert out.shape == getattr(layers, name)(**kwargs).compute_output_shape(input_shape)


@pytest.mark.parametrize("name", ["MaxPooling2D", "AveragePooling2D"])
def test_channels_first_equals_transposed_channels_last(name, random_inputs):
    x = random_inputs((2, 5, 6, 3))
    kwargs = {"pool_size": 3, "strides": 2, "padding": "same"}
    expected = getattr(layers, name)(**kwargs)(x)
    layer = getattr(layers, name)(data_format="channels_first", **kwargs)
    out = layer(np.moveaxis(x, -1, 1))
    np.testing.assert_allclose(np.moveaxis(np.asarray(out), 1, -1), expected, atol=1e-6)
    assert tuple(out.shape) == layer.compute_output_shape((2, 3, 5, 6))


def test_aliases_are_the_same_classes():
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D


def test_global_average_pooling_1d_honours_masks_like_keras(keras):
    ids = np.array([[3, 1, 2, 0, 0], [4, 0, 0, 0, 0]], "int32")
    their_embedding = keras.layers.Embedding(6, 3, mask_zero=True)
    theirs = np.asarray(keras.layers.GlobalAveragePooling1D()(their_embedding(ids)))
    table = their_embedding.get_weights()[0]
    our_embedding = layers.Embedding(6, 3, mask_zero=True)
    our_embedding.build((2, 5))
    our_embedding.set_weights([table])
    ours = np.asarray(layers.GlobalAveragePooling1D()(our_embedding(ids)))
    expected = np.stack([table[[3, 1, 2]].mean(0), table[[4]].mean(0)])
    np.testing.assert_allclose(theirs, expected, atol=1e-6)
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_mask_flows_through_a_functional_model():
    inputs = kerascore.Input((5,), dtype="int32")
    embedded = layers.Embedding(6, 2, mask_zero=True, embeddings_initializer="ones")(inputs)
    pooled = layers.GlobalAveragePooling1D()(embedded)
    model = kerascore.Model(inputs, pooled)
    ids = np.array([[1, 2, 0, 0, 0]], "int32")
    layer = model.layers[1]
    table = np.arange(12, dtype="float32").reshape(6, 2)
    layer.set_weights([table])
    np.testing.assert_allclose(model.predict(ids, verbose=0), [table[[1, 2]].mean(0)])
    np.testing.assert_allclose(model(ids), [table[[1, 2]].mean(0)])


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: layers.MaxPooling2D(0), "pool_size=0"),
        (lambda: layers.MaxPooling2D(2, strides=(2, -1)), r"strides=\(2, -1\)"),
        (lambda: layers.AveragePooling1D(2, padding="full"), "padding='full'"),
        (lambda: layers.MaxPooling1D(2, data_format="NWC"), "data_format='NWC'"),
        (lambda: layers.GlobalAveragePooling2D(data_format="last"), "data_format='last'"),
        (lambda: layers.MaxPooling2D((2, 2, 2)), r"pool_size=\(2, 2, 2\)"),
    ],
)
def test_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_pool_larger_than_input_is_an_error():
    with pytest.raises(ValueError, match="zero or negative"):
        layers.MaxPooling2D(4)(np.ones((1, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.MaxPooling2D()(np.ones((1, 4, 4), "float32"))
