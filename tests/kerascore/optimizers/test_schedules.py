import json
import math
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore.optimizers import schedules

STEPS = [0, 1, 3, 7, 10, 15, 40]

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5}),
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5, "staircase": True},
    ),
    ("PiecewiseConstantDecay", {"boundaries": [3, 10], "values": [1.0, 0.5, 0.1]}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.2, "decay_steps": 5, "decay_rate": 0.3}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "power": 2.0}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 6, "cycle": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 12, "alpha": 0.1}),
    (
        "CosineDecay",
        {
            "initial_learning_rate": 0.0,
            "decay_steps": 20,
            "warmup_target": 0.1,
            "warmup_steps": 5,
        },
    ),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 5}),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_schedule_matches_keras(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in STEPS:
        np.testing.assert_allclose(
            float(ours(tf.constant(step, tf.int64))), float(theirs(step)), rtol=1e-6, atol=1e-9
        )


def test_exponential_decay_formula():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    assert float(schedule(25)) == pytest.approx(0.1 * 0.9**2.5, rel=1e-6)
    stair = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9, staircase=True)
    assert float(stair(25)) == pytest.approx(0.1 * 0.9**2, rel=1e-6)


def test_cosine_decay_with_warmup_formula():
    schedule = schedules.CosineDecay(
        0.0, decay_steps=10, alpha=0.0, warmup_target=1.0, warmup_steps=4
    )
    assert float(schedule(2)) == pytest.approx(0.5)
    assert float(schedule(4)) == pytest.approx(1.0)
    assert float(schedule(9)) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)), abs=1e-6)
    assert float(schedule(100)) == pytest.approx(0.0, abs=1e-6)


def test_piecewise_constant_boundaries():
    schedule = schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    assert [float(schedule(s)) for s in (0, 5, 6, 10, 11)] == pytest.approx(
        [1.0, 1.0, 0.5, 0.5, 0.1]
    )


def test_schedule_works_inside_tf_function_with_variable_step():
    schedule = schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def current():
        return schedule(step)

    step.assign(3)
    assert float(current()) == pytest.approx(0.25)


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match="decay_steps=0"):
        schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(ValueError, match="boundaries=\\[1\\]"):
        schedules.PiecewiseConstantDecay([1], [1.0])


@pytest.mark.parametrize("name,kwargs", CASES)
def test_config_round_trip_through_json(name, kwargs):
    schedule = getattr(schedules, name)(**kwargs)
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    restored = schedules.deserialize(config)
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    assert float(restored(7)) == pytest.approx(float(schedule(7)))
