import json
import math
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import activations

X = np.array([[-3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0]], dtype="float32")


def _erf(v):
    return np.vectorize(math.erf)(v)


NUMPY_REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "linear": lambda x: x,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(NUMPY_REFERENCE))
def test_activation_matches_numpy(name):
    out = activations.get(name)(tf.constant(X))
    np.testing.assert_allclose(out.numpy(), NUMPY_REFERENCE[name](X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(activations.ALL_OBJECTS_DICT))
def test_activation_matches_keras(name):
    args = (0.1, -1.0) if name == "threshold" else ()
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32") * 3
    ours = activations.get(name)(tf.constant(x), *args)
    theirs = keras.activations.get(name)(tf.constant(x), *args)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6, atol=1e-6)


def test_relu_options_match_keras():
    x = tf.constant(np.linspace(-5, 9, 29, dtype="float32"))
    for kwargs in (
        {"negative_slope": 0.1},
        {"max_value": 6.0},
        {"max_value": 3.0, "threshold": 1.0},
        {"negative_slope": 0.3, "threshold": 0.5, "max_value": 4.0},
    ):
        np.testing.assert_allclose(
            activations.relu(x, **kwargs).numpy(),
            np.asarray(keras.activations.relu(x, **kwargs)),
            atol=1e-6,
        )


def test_softmax_over_several_axes_sums_to_one():
    x = tf.random.normal((2, 3, 4), seed=1)
    out = activations.softmax(x, axis=(1, 2)).numpy()
    np.testing.assert_allclose(out.sum(axis=(1, 2)), np.ones(2), rtol=1e-5)
    np.testing.assert_allclose(activations.softmax(x, axis=None).numpy().sum(), 1.0, rtol=1e-5)


def test_sigmoid_and_softmax_keep_their_logits():
    x = tf.constant([[0.5, -1.0]])
    assert activations.sigmoid(x)._keras_logits is x
    assert activations.softmax(x)._keras_logits is x


def test_get_resolves_none_names_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="relu2") as info:
        activations.get("relu2")
    assert "'relu'" in str(info.value) and "'gelu'" in str(info.value)


def test_get_rejects_non_callables():
    with pytest.raises(ValueError, match="identifier=3"):
        activations.get(3)


def test_serialize_round_trip_through_json():
    for fn in (activations.relu, activations.swish, activations.gelu, activations.softmax):
        name = json.loads(json.dumps(activations.serialize(fn)))
        assert isinstance(name, str)
        assert activations.deserialize(name) is activations.get(name)
    assert activations.serialize(activations.swish) == "silu"


def test_deserialize_unknown_name_raises():
    with pytest.raises(ValueError, match="nope"):
        activations.deserialize("nope")
