import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import initializers

SEEDED = [
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
]


@pytest.mark.parametrize("name", SEEDED)
def test_seeded_initializer_equals_keras(name):
    config = {"class_name": type(initializers.get(name)).__name__, "config": {"seed": 7}}
    ours = initializers.get(config)((5, 3)).numpy()
    theirs = np.asarray(keras.initializers.get(config)((5, 3)))
    np.testing.assert_array_equal(ours, theirs)


def test_seeded_initializer_is_deterministic_across_calls_and_instances():
    a = initializers.GlorotUniform(seed=3)
    np.testing.assert_array_equal(a((4, 4)).numpy(), a((4, 4)).numpy())
    np.testing.assert_array_equal(a((4, 4)).numpy(), initializers.GlorotUniform(seed=3)((4, 4)))
    assert not np.array_equal(a((4, 4)).numpy(), initializers.GlorotUniform(seed=4)((4, 4)))


def test_unseeded_initializer_follows_global_tf_seed():
    init = initializers.HeNormal()
    tf.random.set_seed(11)
    first = init((3, 3)).numpy()
    tf.random.set_seed(11)
    second = init((3, 3)).numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, init((3, 3)).numpy())


def test_glorot_uniform_limit_and_spread():
    values = initializers.GlorotUniform(seed=0)((200, 300)).numpy()
    limit = np.sqrt(6.0 / (200 + 300))
    assert np.abs(values).max() <= limit
    np.testing.assert_allclose(values.std(), limit / np.sqrt(3), rtol=0.02)


def test_he_normal_is_truncated_with_expected_std():
    values = initializers.HeNormal(seed=0)((400, 250)).numpy()
    stddev = np.sqrt(2.0 / 400)
    assert np.abs(values).max() <= 2 * stddev / 0.8796256610342398 + 1e-6
    np.testing.assert_allclose(values.std(), stddev, rtol=0.03)


def test_constant_initializers():
    np.testing.assert_array_equal(initializers.get("zeros")((2, 3)).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.get("ones")((2,)).numpy(), np.ones(2))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)).numpy(), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((2, 3)).numpy(), 3 * np.eye(2, 3))
    assert initializers.Zeros()((2,), dtype="float64").dtype == tf.float64


def test_orthogonal_rows_are_orthonormal():
    q = initializers.Orthogonal(gain=2.0, seed=1)((3, 6)).numpy()
    np.testing.assert_allclose(q @ q.T, 4.0 * np.eye(3), atol=1e-5)


def test_identity_rejects_non_matrix():
    with pytest.raises(ValueError, match="shape=\\(2, 2, 2\\)"):
        initializers.Identity()((2, 2, 2))


def test_variance_scaling_validates_arguments():
    with pytest.raises(ValueError, match="scale=-1"):
        initializers.VarianceScaling(scale=-1)
    with pytest.raises(ValueError, match="mode='fan_sum'"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="seed='a'"):
        initializers.RandomNormal(seed="a")


def test_array_identifier_is_used_as_value():
    value = np.arange(6, dtype="float32").reshape(2, 3)
    init = initializers.get(value)
    np.testing.assert_array_equal(init((2, 3)).numpy(), value)
    with pytest.raises(ValueError, match="Expected `shape`"):
        init((3, 2))


@pytest.mark.parametrize(
    "init",
    [
        initializers.GlorotUniform(seed=5),
        initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=1),
        initializers.RandomNormal(mean=1.0, stddev=0.2, seed=9),
        initializers.Constant(0.3),
        initializers.Orthogonal(gain=0.5),
        initializers.Identity(gain=2.0),
    ],
)
def test_config_round_trip_through_json(init):
    config = json.loads(json.dumps(initializers.serialize(init)))
    restored = initializers.deserialize(config)
    assert type(restored) is type(init)
    assert restored.get_config() == init.get_config()


def test_get_accepts_snake_and_class_names():
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("HeNormal"), initializers.HeNormal)
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="glorot_uniformm") as info:
        initializers.get("glorot_uniformm")
    assert "'glorot_uniform'" in str(info.value)
