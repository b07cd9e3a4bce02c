"""Merging layers: the generic layer test, parity with Keras 3, masks, functional helpers and
shape errors."""

import numpy as np
import pytest

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (layers.Add, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
        (layers.Subtract, {}, [(2, 4), (2, 4)], (2, 4)),
        (layers.Multiply, {}, [(2, 3, 2), (2, 3, 2)], (2, 3, 2)),
        (layers.Average, {}, [(2, 3), (2, 3)], (2, 3)),
        (layers.Maximum, {}, [(2, 3), (2, 3)], (2, 3)),
        (layers.Minimum, {}, [(2, 3), (2, 3)], (2, 3)),
        (layers.Concatenate, {"axis": 1}, [(2, 3, 2), (2, 1, 2)], (2, 4, 2)),
        (layers.Dot, {"axes": 1}, [(2, 3), (2, 3)], (2, 1)),
        (layers.Dot, {"axes": (1, 2), "normalize": True}, [(2, 3, 4), (2, 5, 3)], (2, 4, 5)),
    ],
)
def test_generic(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape)


@pytest.mark.parametrize(
    "name, kwargs, shapes",
    [
        ("Add", {}, [(2, 3, 4), (2, 3, 4), (2, 1, 4)]),
        ("Add", {}, [(2, 4), (2, 3, 4)]),
        ("Subtract", {}, [(2, 5), (2, 5)]),
        ("Multiply", {}, [(2, 3), (2, 3), (2, 3)]),
        ("Average", {}, [(2, 3), (2, 3)]),
        ("Maximum", {}, [(2, 3, 2), (2, 3, 2)]),
        ("Minimum", {}, [(2, 3), (2, 3)]),
        ("Concatenate", {}, [(2, 3), (2, 5)]),
        ("Concatenate", {"axis": 1}, [(2, 2, 3), (2, 4, 3)]),
        ("Dot", {"axes": -1}, [(2, 4), (2, 4)]),
        ("Dot", {"axes": (2, 1)}, [(2, 3, 4), (2, 4, 5)]),
        ("Dot", {"axes": 1, "normalize": True}, [(2, 4), (2, 4)]),
        ("Dot", {"axes": [1, 1]}, [(2, 3), (2, 3, 2)]),
    ],
)
def test_keras_parity(name, kwargs, shapes, keras, random_inputs, assert_keras_parity):
    ours = getattr(layers, name)(**kwargs)
    out = assert_keras_parity(ours, getattr(keras.layers, name)(**kwargs), random_inputs(shapes))
    assert out.shape == ours.compute_output_shape(shapes)


@pytest.mark.parametrize("name", ["Add", "Multiply", "Maximum", "Minimum", "Concatenate"])
def test_masks_match_keras(name, keras):
    ids = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    other_ids = np.array([[1, 0, 0], [2, 2, 1]], "int32")
    their_embedding = keras.layers.Embedding(4, 2, mask_zero=True)
    their_embedding(ids)
    table = their_embedding.get_weights()[0]
    their_layer = getattr(keras.layers, name)()
    expected = their_layer([their_embedding(ids), their_embedding(other_ids)])
    our_embedding = layers.Embedding(4, 2, mask_zero=True)
    our_embedding.build((2, 3))
    our_embedding.set_weights([table])
    out = getattr(layers, name)()([our_embedding(ids), our_embedding(other_ids)])
    np.testing.assert_allclose(out, expected, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), np.asarray(expected._keras_mask))


def test_functional_helpers_build_models(random_inputs):
    a, b = kerascore.Input((3,)), kerascore.Input((3,))
    outputs = [
        layers.add([a, b]),
        layers.subtract([a, b]),
        layers.multiply([a, b]),
        layers.average([a, b]),
        layers.maximum([a, b]),
        layers.minimum([a, b]),
        layers.concatenate([a, b]),
        layers.dot([a, b], axes=1),
    ]
    model = kerascore.Model([a, b], outputs)
    x, y = random_inputs([(2, 3), (2, 3)])
    results = model.predict([x, y], verbose=0)
    expected = [
        x + y,
        x - y,
        x * y,
        (x + y) / 2,
        np.maximum(x, y),
        np.minimum(x, y),
        np.concatenate([x, y], -1),
        (x * y).sum(1, keepdims=True),
    ]
    for result, reference in zip(results, expected):
        np.testing.assert_allclose(result, reference, atol=1e-5)
    restored = kerascore.models.clone_model(model)
    assert [type(layer).__name__ for layer in restored.layers[2:]] == [
        "Add",
        "Subtract",
        "Multiply",
        "Average",
        "Maximum",
        "Minimum",
        "Concatenate",
        "Dot",
    ]


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(2, 3\).*\(2, 4\)"):
        layers.Add()([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([np.ones((2, 3), "float32")] * 3)
    with pytest.raises(ValueError, match=r"matching shapes.*\(2, 3, 2\).*\(2, 4, 3\)"):
        layers.Concatenate(axis=1)([np.ones((2, 3, 2), "float32"), np.ones((2, 4, 3), "float32")])
    with pytest.raises(ValueError, match=r"axis values 3 \(at axis 1\) != 4"):
        layers.Dot(axes=1)([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([np.ones((2, 3), "float32"), np.ones((3, 3), "float32")])


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: layers.Dot(axes="last"), "axes='last'"),
        (lambda: layers.Dot(axes=(1, 2, 3)), r"axes=\(1, 2, 3\)"),
        (lambda: layers.Concatenate(axis=1.0), "axis=1.0"),
    ],
)
def test_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()
