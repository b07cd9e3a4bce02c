"""Lamb, Adafactor, Muon, ScheduleFreeAdamW and MultiOptimizer against Keras 3."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import layers, models, optimizers

RNG = np.random.default_rng(5)
NAMES = ["dense/kernel", "dense/bias", "conv/kernel", "embedding/embeddings"]
INITIAL = [
    RNG.normal(size=(3, 4)).astype("float32"),
    RNG.normal(size=(4,)).astype("float32"),
    RNG.normal(size=(2, 3, 4)).astype("float32"),
    RNG.normal(size=(5, 3)).astype("float32"),
]
GRADS = [[RNG.normal(size=w.shape).astype("float32") for w in INITIAL] for _ in range(5)]

PARITY_CASES = [
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "weight_decay": 0.1, "clipnorm": 1.0}),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.01, "relative_step": False, "clip_threshold": 0.5}),
    ("Adafactor", {"learning_rate": 0.1, "beta_2_decay": -0.5, "epsilon_2": 0.01}),
    ("Muon", {}),
    ("Muon", {"learning_rate": 0.02, "nesterov": False, "rms_rate": None, "ns_steps": 3}),
    ("Muon", {"exclude_layers": ["conv"], "exclude_embeddings": False, "adam_lr_ratio": 0.1}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 3, "weight_decay": 0.05}),
]


def _keras_variables():
    variables = []
    for weight, path in zip(INITIAL, NAMES, strict=True):
        scope, name = path.split("/")
        with keras.name_scope(scope):
            variables.append(keras.Variable(weight, name=name))
    assert [v.path for v in variables] == NAMES
    return variables


def _our_variables():
    return [tf.Variable(w, name=name) for w, name in zip(INITIAL, NAMES, strict=True)]


def _run_keras(optimizer):
    variables = _keras_variables()
    for grads in GRADS:
        optimizer.apply_gradients(zip([tf.constant(g) for g in grads], variables, strict=True))
    return [np.asarray(v) for v in variables]


def _run_ours(optimizer, compiled=True):
    variables = _our_variables()
    optimizer.build(variables)

    def step(grads):
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    step = tf.function(step) if compiled else step
    for grads in GRADS:
        step([tf.constant(g) for g in grads])
    return [v.numpy() for v in variables]


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("name,kwargs", PARITY_CASES)
def test_five_steps_equal_keras(name, kwargs, compiled):
    ours = _run_ours(getattr(optimizers, name)(**kwargs), compiled)
    theirs = _run_keras(getattr(keras.optimizers, name)(**kwargs))
    for our_weight, their_weight in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(our_weight, their_weight, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs", PARITY_CASES)
def test_config_matches_keras_and_round_trips(name, kwargs):
    optimizer = getattr(optimizers, name)(**kwargs)
    expected = getattr(keras.optimizers, name)(**kwargs).get_config()
    config = optimizer.get_config()
    shared = (set(config) & set(expected)) - {"name", "learning_rate"}
    assert shared >= set(config) - {"name", "learning_rate"}
    assert {k: config[k] for k in shared} == {k: expected[k] for k in shared}
    assert config["learning_rate"] == pytest.approx(expected["learning_rate"])
    restored = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(optimizer))))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == config
    assert type(optimizers.get(name.lower())) is type(optimizer)


def _multi(module, with_map_entries=True):
    default = module.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    mapping = module.optimizers.OptimizerMap(default_optimizer=default)
    if with_map_entries:
        mapping["dense/.*"] = module.optimizers.Adam(learning_rate=0.01)
        mapping["embedding/embeddings"] = module.optimizers.Lamb(learning_rate=0.02)
    return module.optimizers.MultiOptimizer(mapping)


@pytest.mark.parametrize("compiled", [True, False])
def test_multi_optimizer_equals_keras(compiled):
    ours = _multi(__import__("kerascore"))
    our_weights = _run_ours(ours, compiled)
    their_weights = _run_keras(_multi(keras))
    for our_weight, their_weight in zip(our_weights, their_weights, strict=True):
        np.testing.assert_allclose(our_weight, their_weight, rtol=1e-5, atol=1e-6)
    assert [type(o).__name__ for o in ours.optimizers] == ["Adam", "Lamb", "SGD"]
    assert int(ours.iterations) == 5
    assert all(int(o.iterations) == 5 for o in ours.optimizers)
    own = 2  # iterations and the (unused) learning rate
    assert len(ours.variables) == own + sum(len(o.variables) for o in ours.optimizers)


def test_multi_optimizer_with_a_callable_and_state_round_trip():
    adam, sgd = optimizers.Adam(0.01), optimizers.SGD(0.1)
    multi = optimizers.MultiOptimizer(lambda v: adam if "kernel" in v.name else sgd)
    _run_ours(multi)
    assert [type(o).__name__ for o in multi.optimizers] == ["Adam", "SGD"]
    weights = multi.get_weights()
    adam2, sgd2 = optimizers.Adam(0.01), optimizers.SGD(0.1)
    copy = optimizers.MultiOptimizer(lambda v: adam2 if "kernel" in v.name else sgd2)
    copy.build(_our_variables())
    copy.set_weights(weights)
    for ours, theirs in zip(copy.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_multi_optimizer_config_round_trips_and_hides_learning_rate():
    multi = _multi(__import__("kerascore"))
    restored = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(multi))))
    assert isinstance(restored, optimizers.MultiOptimizer)
    assert [type(o).__name__ for o in restored.optimizers] == ["Adam", "Lamb", "SGD"]
    assert restored._optimizer_map["dense/kernel"].get_config()["learning_rate"] == pytest.approx(
        0.01
    )
    with pytest.raises(AttributeError, match="sub-optimizers"):
        _ = multi.learning_rate
    multi.loss_scale_factor = 4.0
    assert all(o.loss_scale_factor == 4.0 for o in multi.optimizers)


def test_optimizer_map_lookup_rules():
    adam, sgd, rmsprop = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    mapping = optimizers.OptimizerMap(default_optimizer=rmsprop)
    mapping["encoder/layer_0/dense"] = adam
    mapping["encoder/.*"] = sgd
    mapping["decoder"] = adam
    assert mapping["decoder"] is adam
    assert mapping["encoder/layer_0/dense"] is adam
    assert mapping["encoder/layer_0/attention/query"] is sgd
    assert mapping["decoder/layer_0/dense"] is rmsprop
    assert len(mapping) == 3 and set(mapping) == {"encoder/layer_0/dense", "encoder/.*", "decoder"}
    with pytest.raises(ValueError, match="already exists"):
        mapping["decoder"] = sgd
    with pytest.raises(ValueError, match="LossScaleOptimizer"):
        mapping["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    mapping["enc.*"] = sgd
    with pytest.raises(ValueError, match="Multiple optimizers"):
        mapping["encoder/x"]
    with pytest.raises(TypeError, match="default_optimizer"):
        optimizers.OptimizerMap(default_optimizer="adam")


@pytest.mark.parametrize(
    "optimizer",
    [
        optimizers.Lamb(0.01),
        optimizers.Adafactor(0.01),
        optimizers.Muon(0.01),
        optimizers.ScheduleFreeAdamW(0.01),
        optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.Adam(0.01))),
    ],
    ids=lambda o: type(o).__name__,
)
def test_optimizer_trains_a_model(optimizer):
    x = RNG.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    model = models.Sequential([layers.Input((3,)), layers.Dense(8), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_muon_rejects_a_vector_for_newton_schulz():
    with pytest.raises(ValueError, match=r"shape=\(4,\)"):
        optimizers.Muon().zeropower_via_newtonschulz5(tf.ones((4,)), 5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.Lamb(0.1),
        lambda: optimizers.Adafactor(0.1),
        lambda: optimizers.Muon(0.1, weight_decay=0.1),
        lambda: optimizers.ScheduleFreeAdamW(0.1),
        lambda: optimizers.MultiOptimizer(
            optimizers.OptimizerMap(optimizers.SGD(0.1), {"kernel": optimizers.Adam(0.1)})
        ),
    ],
    ids=["Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW", "MultiOptimizer"],
)
def test_steps_under_mirrored_strategy_equal_plain_steps(make):
    def run(strategy):
        with strategy.scope():
            variables = [tf.Variable(INITIAL[0], name="kernel"), tf.Variable(INITIAL[1])]
            optimizer = make()
        optimizer.build(variables)

        @tf.function
        def step(grads):
            strategy.run(lambda: optimizer.apply_gradients(zip(grads, variables, strict=True)))

        for grads in GRADS[:3]:
            step([tf.constant(g) for g in grads[:2]])
        return [v.numpy() for v in variables]

    mirrored = run(tf.distribute.MirroredStrategy(["/cpu:0"]))
    plain = run(tf.distribute.get_strategy())
    for ours, expected in zip(mirrored, plain, strict=True):
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
