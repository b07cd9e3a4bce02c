"""kerascore.random: reproducible from a seed, advancing with a SeedGenerator, same draws as
Keras 3 on its TensorFlow backend."""

import os

import numpy as np
import pytest
import tensorflow as tf

from kerascore import random

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

DRAWS = {
    "normal": lambda r, seed: r.normal((3, 4), mean=1.0, stddev=2.0, seed=seed),
    "uniform": lambda r, seed: r.uniform((3, 4), minval=-1.0, maxval=3.0, seed=seed),
    "truncated_normal": lambda r, seed: r.truncated_normal((200,), seed=seed),
    "randint": lambda r, seed: r.randint((5, 2), 0, 7, seed=seed),
    "shuffle": lambda r, seed: r.shuffle(np.arange(10), seed=seed),
    "dropout": lambda r, seed: r.dropout(np.ones((4, 5), "float32"), 0.5, seed=seed),
    "categorical": lambda r, seed: r.categorical(np.log([[0.2, 0.8], [0.9, 0.1]]), 6, seed=seed),
    "gamma": lambda r, seed: r.gamma((4,), 2.0, seed=seed),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_int_seed_is_reproducible_and_matches_keras(name):
    import keras

    draw = DRAWS[name]
    first = np.asarray(draw(random, 42))
    np.testing.assert_array_equal(first, np.asarray(draw(random, 42)))
    assert not np.array_equal(first, np.asarray(draw(random, 43)))
    np.testing.assert_allclose(first, np.asarray(draw(keras.random, 42)), rtol=1e-6)


def test_seed_generator_advances_and_replays():
    import keras

    generator = random.SeedGenerator(7)
    a = random.normal((3,), seed=generator)
    b = random.normal((3,), seed=generator)
    assert not np.allclose(a, b)
    replay = random.SeedGenerator(7)
    np.testing.assert_array_equal(a, random.normal((3,), seed=replay))
    np.testing.assert_array_equal(b, random.normal((3,), seed=replay))
    theirs = keras.random.SeedGenerator(7)
    np.testing.assert_allclose(a, keras.random.normal((3,), seed=theirs))
    assert random.SeedGenerator.from_config(generator.get_config()).get_config()["seed"] == 7


def test_seed_generator_inside_tf_function_gives_new_values_each_call():
    generator = random.SeedGenerator(3)

    @tf.function
    def draw():
        return random.uniform((4,), seed=generator)

    first, second = draw(), draw()
    assert not np.allclose(first, second)
    replay = random.SeedGenerator(3)
    np.testing.assert_allclose(first, random.uniform((4,), seed=replay))


def test_distribution_properties_and_unseeded_draws():
    values = np.asarray(random.truncated_normal((2000,), stddev=1.0, seed=1))
    assert np.abs(values).max() <= 2.0
    ints = np.asarray(random.randint((1000,), 3, 6, seed=2))
    assert set(ints.tolist()) == {3, 4, 5}
    dropped = np.asarray(random.dropout(np.ones((1000,), "float32"), 0.25, seed=3))
    np.testing.assert_allclose(np.unique(dropped), [0.0, 1 / 0.75], rtol=1e-6)
    assert 0.15 < np.mean(dropped == 0) < 0.35
    shared = random.dropout(np.ones((4, 6), "float32"), 0.5, noise_shape=(None, 1), seed=4)
    assert all(len(set(row.tolist())) == 1 for row in np.asarray(shared))
    assert not np.allclose(random.normal((5,)), random.normal((5,)))
    assert sorted(np.asarray(random.shuffle(np.arange(8))).tolist()) == list(range(8))


def test_set_random_seed_makes_unseeded_draws_repeat():
    from kerascore.utils import set_random_seed

    set_random_seed(11)
    first = [random.normal((3,)), random.uniform((2,))]
    set_random_seed(12)
    other = random.normal((3,))
    set_random_seed(11)
    second = [random.normal((3,)), random.uniform((2,))]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], other)
    random._reset_global_seed_generator()
    np.testing.assert_array_equal(random.normal((3,)), first[0])


def test_invalid_seeds_and_arguments():
    with pytest.raises(ValueError, match="seed='x'"):
        random.normal((2,), seed="x")
    with pytest.raises(ValueError, match="seed=1.5"):
        random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="dtype=int32"):
        random.uniform((2,), dtype="int32", seed=1)
    with pytest.raises(ValueError, match="rate=1.5"):
        random.dropout(np.ones(3), 1.5, seed=1)
