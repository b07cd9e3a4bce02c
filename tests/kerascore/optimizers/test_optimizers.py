import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import constraints, optimizers
from kerascore.optimizers import schedules

RNG = np.random.default_rng(0)
INITIAL = [RNG.normal(size=(3, 4)).astype("float32"), RNG.normal(size=(4,)).astype("float32")]
GRADS = [[RNG.normal(size=w.shape).astype("float32") for w in INITIAL] for _ in range(5)]

PARITY_CASES = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Adam", {"weight_decay": 0.1, "clipnorm": 0.5}),
    ("AdamW", {"global_clipnorm": 1.0}),
    ("RMSprop", {"centered": True, "momentum": 0.9}),
    ("RMSprop", {"clipvalue": 0.3}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 0.5, "rho": 0.8, "clipnorm": 1.0}),
    ("Ftrl", {"learning_rate": 0.1}),
    (
        "Ftrl",
        {
            "learning_rate": 0.2,
            "learning_rate_power": -0.3,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.02,
            "beta": 0.5,
        },
    ),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
]


def _run_keras(name, kwargs):
    optimizer = getattr(keras.optimizers, name)(**kwargs)
    variables = [keras.Variable(w) for w in INITIAL]
    for grads in GRADS:
        optimizer.apply_gradients(zip([tf.constant(g) for g in grads], variables, strict=True))
    return [np.asarray(v) for v in variables], [np.asarray(v) for v in optimizer.variables]


@pytest.mark.parametrize("name,kwargs", PARITY_CASES)
def test_five_compiled_steps_equal_keras(name, kwargs):
    optimizer = getattr(optimizers, name)(**kwargs)
    variables = [tf.Variable(w) for w in INITIAL]
    optimizer.build(variables)

    @tf.function
    def step(grads):
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    for grads in GRADS:
        step([tf.constant(g) for g in grads])
    keras_weights, keras_state = _run_keras(name, kwargs)
    for ours, theirs in zip(variables, keras_weights, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-6)
    assert len(optimizer.variables) == len(keras_state)
    for ours, theirs in zip(optimizer.variables, keras_state, strict=True):
        np.testing.assert_allclose(np.asarray(ours), theirs, atol=1e-6)
    assert int(optimizer.iterations) == 5


def test_schedule_learning_rate_equals_keras():
    ours = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5))
    theirs_kwargs = {"learning_rate": keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)}
    variables = [tf.Variable(w) for w in INITIAL]
    for grads in GRADS:
        ours.apply_gradients(zip([tf.constant(g) for g in grads], variables, strict=True))
    keras_weights, _ = _run_keras("Adam", theirs_kwargs)
    for v, expected in zip(variables, keras_weights, strict=True):
        # Adam runs TensorFlow's fused kernel: the same update, rounded in another order.
        np.testing.assert_allclose(v.numpy(), expected, atol=1e-5)
    assert float(ours.learning_rate) == pytest.approx(0.1 * 0.5 ** (5 / 2))


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"momentum": 0.9, "use_ema": True, "ema_momentum": 0.9}),
        ("Adam", {"use_ema": True, "ema_overwrite_frequency": 3}),
        ("Adam", {"gradient_accumulation_steps": 3, "learning_rate": 0.1}),
        ("SGD", {"gradient_accumulation_steps": 2, "clipnorm": 0.5, "weight_decay": 0.1}),
    ],
)
def test_ema_and_gradient_accumulation_equal_keras(name, kwargs):
    optimizer = getattr(optimizers, name)(**kwargs)
    keras_optimizer = getattr(keras.optimizers, name)(**kwargs)
    variables = [tf.Variable(w) for w in INITIAL]
    keras_variables = [keras.Variable(w) for w in INITIAL]
    optimizer.build(variables)

    @tf.function
    def step(grads):
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    for grads in GRADS:
        step([tf.constant(g) for g in grads])
        keras_optimizer.apply_gradients(
            zip([tf.constant(g) for g in grads], keras_variables, strict=True)
        )
    optimizer.finalize_variable_values(variables)
    keras_optimizer.finalize_variable_values(keras_variables)
    for ours, theirs in zip(variables, keras_variables, strict=True):
        np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), atol=1e-6)
    assert int(optimizer.iterations) == int(keras_optimizer.iterations)
    assert len(optimizer.variables) == len(keras_optimizer.variables)


def test_sgd_momentum_matches_hand_computation():
    var = tf.Variable([1.0, -2.0])
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    velocity = np.zeros(2)
    expected = np.array([1.0, -2.0])
    for grad in ([0.5, 1.0], [1.0, -1.0], [0.2, 0.3]):
        opt.apply_gradients([(tf.constant(grad), var)])
        velocity = 0.9 * velocity - 0.1 * np.array(grad)
        expected = expected + velocity
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-6)


def test_adam_first_step_moves_by_learning_rate():
    var = tf.Variable([1.0, 1.0])
    optimizers.Adam(learning_rate=0.01).apply_gradients([(tf.constant([3.0, -0.5]), var)])
    np.testing.assert_allclose(var.numpy(), [0.99, 1.01], rtol=1e-5)


def test_variables_order_and_build_is_idempotent():
    variables = [tf.Variable(w) for w in INITIAL]
    opt = optimizers.Adam()
    opt.build(variables)
    first = list(opt.variables)
    opt.build(variables)
    assert opt.built and opt.variables == first
    assert first[0] is opt.iterations and first[0].dtype == tf.int64
    assert first[1].dtype == tf.float32
    shapes = [tuple(v.shape) for v in first[2:]]
    assert shapes == [(3, 4), (3, 4), (4,), (4,)]
    assert not any(v.trainable for v in first)


def test_state_round_trips_through_save_and_load():
    variables = [tf.Variable(w) for w in INITIAL]
    opt = optimizers.RMSprop(momentum=0.5, centered=True)
    for grads in GRADS[:3]:
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables, strict=True))
    store = {}
    opt.save_own_variables(store)
    restored = optimizers.RMSprop.from_config(json.loads(json.dumps(opt.get_config())))
    copies = [tf.Variable(v.numpy()) for v in variables]
    restored.build(copies)
    restored.load_own_variables(store)
    for grads in GRADS[3:]:
        opt.apply_gradients(zip([tf.constant(g) for g in grads], variables, strict=True))
        restored.apply_gradients(zip([tf.constant(g) for g in grads], copies, strict=True))
    for a, b in zip(variables, copies, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(restored.iterations) == 5


def test_learning_rate_property_and_setter():
    opt = optimizers.SGD(learning_rate=0.1)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    opt.learning_rate = 0.01
    assert float(opt.learning_rate) == pytest.approx(0.01)
    scheduled = optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 10))
    with pytest.raises(ValueError, match="learning_rate=0.5"):
        scheduled.learning_rate = 0.5


def test_none_gradients_are_skipped_and_constraints_applied():
    kept = tf.Variable([3.0, 4.0], constraint=constraints.MaxNorm(1.0))
    untouched = tf.Variable([1.0])
    opt = optimizers.SGD(learning_rate=0.0)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(tf.constant([0.0, 0.0]), kept), (None, untouched)])
    np.testing.assert_allclose(np.linalg.norm(kept.numpy()), 1.0, rtol=1e-5)
    assert untouched.numpy()[0] == 1.0
    assert int(opt.iterations) == 1


def test_weight_decay_exclusion():
    decayed = tf.Variable([1.0], name="kernel")
    excluded = tf.Variable([1.0], name="bias")
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(tf.constant([0.0]), decayed), (tf.constant([0.0]), excluded)])
    np.testing.assert_allclose(decayed.numpy(), [0.95])
    np.testing.assert_allclose(excluded.numpy(), [1.0])


def test_builds_on_first_use_inside_tf_function():
    var = tf.Variable([1.0, 2.0])
    opt = optimizers.Adam(0.1)

    @tf.function
    def step():
        opt.apply_gradients([(tf.constant([1.0, 1.0]), var)])

    step()
    step()
    assert opt.built and int(opt.iterations) == 2
    assert len(opt.variables) == 4


def test_unknown_variable_is_rejected():
    opt = optimizers.SGD()
    opt.build([tf.Variable(1.0)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(tf.constant(1.0), tf.Variable(2.0))])


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match="global_clipnorm=1.0"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="clipnorm=-1"):
        optimizers.Adam(clipnorm=-1)
    with pytest.raises(ValueError, match="momentum=1.5"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="learning_rate='fast'"):
        optimizers.SGD(learning_rate="fast")
    with pytest.raises(ValueError, match="weight_decay=None"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="gradient_accumulation_steps=1"):
        optimizers.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="ema_momentum=2"):
        optimizers.SGD(use_ema=True, ema_momentum=2)


@pytest.mark.parametrize(
    "opt",
    [
        optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True, clipnorm=1.0),
        optimizers.Adam(amsgrad=True, weight_decay=0.01),
        optimizers.AdamW(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2)),
        optimizers.RMSprop(centered=True, global_clipnorm=2.0),
        optimizers.Nadam(name="my_nadam"),
        optimizers.Adadelta(rho=0.9, epsilon=1e-6),
        optimizers.Ftrl(l1_regularization_strength=0.1, beta=0.2),
        optimizers.Lion(beta_1=0.8, use_ema=True),
        optimizers.LossScaleOptimizer(
            optimizers.Adam(0.01), initial_scale=256.0, dynamic_growth_steps=3
        ),
    ],
)
def test_config_round_trip_through_json(opt):
    config = json.loads(json.dumps(optimizers.serialize(opt)))
    restored = optimizers.deserialize(config)
    assert type(restored) is type(opt)
    assert restored.get_config() == opt.get_config()


def test_get_by_name_and_unknown_name():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="'adamm'") as info:
        optimizers.get("adamm")
    assert "'adam'" in str(info.value) and "'sgd'" in str(info.value)


def test_works_under_mirrored_strategy():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        var = tf.Variable([1.0, 2.0])
        opt = optimizers.SGD(learning_rate=0.5, momentum=0.5)
    opt.build([var])

    @tf.function
    def step():
        def replica_fn():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(var**2)
            opt.apply_gradients([(tape.gradient(loss, var), var)])

        strategy.run(replica_fn)

    step()
    np.testing.assert_allclose(var.numpy(), [0.0, 0.0], atol=1e-6)
    assert int(opt.iterations.numpy()) == 1
    assert float(opt.learning_rate) == pytest.approx(0.5)
    opt.learning_rate = 0.25
    assert float(opt.learning_rate) == pytest.approx(0.25)


def test_optimizer_with_spaces_in_name_works_in_tf_function():
    var = tf.Variable([1.0])
    opt = optimizers.SGD(learning_rate=0.5, name="my sgd")

    @tf.function
    def step():
        opt.apply_gradients([(tf.constant([1.0]), var)])

    step()
    np.testing.assert_allclose(var.numpy(), [0.5])


LSO_GRADS = [
    [g * 256.0 for g in GRADS[0]],
    [np.where(np.arange(12).reshape(3, 4) == 5, np.inf, GRADS[1][0]), GRADS[1][1] * 256.0],
    [g * 128.0 for g in GRADS[2]],
    [np.full_like(GRADS[3][0], np.nan), GRADS[3][1]],
    [g * 64.0 for g in GRADS[4]],
    [g * 64.0 for g in GRADS[0]],
]


def test_loss_scale_optimizer_equals_keras_with_skipped_steps():
    optimizer = optimizers.LossScaleOptimizer(
        optimizers.Adam(0.01), initial_scale=256.0, dynamic_growth_steps=2
    )
    keras_optimizer = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Adam(0.01), initial_scale=256.0, dynamic_growth_steps=2
    )
    variables = [tf.Variable(w) for w in INITIAL]
    keras_variables = [keras.Variable(w) for w in INITIAL]

    @tf.function
    def step(grads):
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    scales = []
    for grads in LSO_GRADS:
        grads = [tf.constant(g, "float32") for g in grads]
        step(grads)
        keras_optimizer.apply_gradients(zip(grads, keras_variables, strict=True))
        scales.append(float(optimizer.dynamic_scale.numpy()))
        assert scales[-1] == float(keras_optimizer.dynamic_scale.numpy())
    # Step 2 (inf) and step 4 (nan) are skipped and halve the scale; two good steps double it.
    assert scales == [256.0, 128.0, 128.0, 64.0, 64.0, 128.0]
    assert int(optimizer.iterations) == 4
    for ours, theirs in zip(variables, keras_variables, strict=True):
        assert np.all(np.isfinite(ours.numpy()))
        np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), atol=1e-6)
    assert len(optimizer.variables) == len(keras_optimizer.variables)
    for ours, theirs in zip(optimizer.variables, keras_optimizer.variables, strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-6)


def test_loss_scale_optimizer_scales_loss_and_delegates():
    inner = optimizers.SGD(0.5, loss_scale_factor=4.0)
    optimizer = optimizers.LossScaleOptimizer(inner, initial_scale=8.0)
    assert inner.loss_scale_factor is None
    assert float(optimizer.scale_loss(tf.constant(2.0))) == 16.0
    half = optimizer.scale_loss(tf.constant(2.0, "float16"))
    assert half.dtype == tf.float32 and float(half) == 16.0
    var = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        loss = optimizer.scale_loss(tf.reduce_sum(var**2))
    optimizer.apply_gradients([(tape.gradient(loss, var), var)])
    np.testing.assert_allclose(var.numpy(), [0.0, 0.0])
    assert float(optimizer.learning_rate) == 0.5
    optimizer.learning_rate = 0.25
    assert float(inner.learning_rate) == 0.25
    assert float(optimizers.SGD().scale_loss(3.0)) == 3.0
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic_growth_steps=0"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic_growth_steps=0)


def test_loss_scale_optimizer_state_round_trips():
    variables = [tf.Variable(w) for w in INITIAL]
    optimizer = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=32.0)
    optimizer.apply_gradients(zip([tf.constant(g) for g in LSO_GRADS[1]], variables, strict=True))
    optimizer.apply_gradients(zip([tf.constant(g) for g in LSO_GRADS[0]], variables, strict=True))
    store = {}
    optimizer.save_own_variables(store)
    restored = optimizers.get(json.loads(json.dumps(optimizers.serialize(optimizer))))
    assert isinstance(restored.inner_optimizer, optimizers.Adam)
    restored.build([tf.Variable(w) for w in INITIAL])
    restored.load_own_variables(store)
    assert float(restored.dynamic_scale.numpy()) == 16.0
    assert int(restored.iterations) == 1
    for ours, theirs in zip(restored.get_weights(), optimizer.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs)


def test_new_optimizers_reject_invalid_arguments():
    with pytest.raises(ValueError, match="learning_rate_power=0.5"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength=-1"):
        optimizers.Ftrl(l1_regularization_strength=-1)
    with pytest.raises(ValueError, match="beta_1=0"):
        optimizers.Lion(beta_1=0)
    assert isinstance(optimizers.get("adadelta"), optimizers.Adadelta)
    assert isinstance(optimizers.get("Lion"), optimizers.Lion)


def test_loss_scale_optimizer_under_mirrored_strategy_skips_non_finite_steps():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        var = tf.Variable([1.0, 2.0])
        optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(0.25), initial_scale=4.0)
    optimizer.build([var])

    @tf.function
    def step(poison):
        def replica_fn():
            with tf.GradientTape() as tape:
                loss = optimizer.scale_loss(tf.reduce_sum(var**2))
            gradient = tape.gradient(loss, var) * poison
            optimizer.apply_gradients([(gradient, var)])

        strategy.run(replica_fn)

    step(tf.constant(1.0))
    np.testing.assert_allclose(var.numpy(), [0.5, 1.0])
    step(tf.constant(np.inf))
    np.testing.assert_allclose(var.numpy(), [0.5, 1.0])
    assert float(optimizer.dynamic_scale.numpy()) == 2.0
    assert int(tf.convert_to_tensor(optimizer.iterations)) == 1
