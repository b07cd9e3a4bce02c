import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import activations, losses

RNG = np.random.default_rng(0)
Y_TRUE = RNG.random((8, 5)).astype("float32")
Y_PRED = RNG.random((8, 5)).astype("float32") + 0.01
ONE_HOT = np.eye(5, dtype="float32")[RNG.integers(0, 5, 8)]
SPARSE = RNG.integers(0, 5, (8, 1))
PROBS = Y_PRED / Y_PRED.sum(-1, keepdims=True)
BINARY = (Y_TRUE > 0.5).astype("float32")
WEIGHTS = RNG.random(8).astype("float32")

PARITY_CASES = [
    ("MeanSquaredError", {}, Y_TRUE, Y_PRED),
    ("MeanAbsoluteError", {}, Y_TRUE, Y_PRED),
    ("MeanAbsolutePercentageError", {}, Y_TRUE, Y_PRED),
    ("MeanSquaredLogarithmicError", {}, Y_TRUE, Y_PRED),
    ("CosineSimilarity", {}, Y_TRUE, Y_PRED),
    ("Huber", {"delta": 0.3}, Y_TRUE, Y_PRED),
    ("LogCosh", {}, Y_TRUE, Y_PRED),
    ("Hinge", {}, BINARY, Y_PRED * 2 - 1),
    ("SquaredHinge", {}, BINARY, Y_PRED),
    ("CategoricalHinge", {}, ONE_HOT, Y_PRED),
    ("KLDivergence", {}, PROBS, PROBS[::-1]),
    ("Poisson", {}, Y_TRUE, Y_PRED),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, BINARY, np.clip(Y_PRED, 0, 1)),
    ("BinaryCrossentropy", {"from_logits": True}, BINARY, Y_PRED * 4 - 2),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, BINARY, np.clip(Y_PRED, 0, 1)),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, Y_PRED * 3),
    ("CategoricalFocalCrossentropy", {"from_logits": True}, ONE_HOT, Y_PRED * 3),
    (
        "BinaryFocalCrossentropy",
        {"from_logits": True, "gamma": 3.0, "label_smoothing": 0.1},
        BINARY,
        Y_PRED * 4 - 2,
    ),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "from_logits": True},
        BINARY,
        Y_PRED * 4 - 2,
    ),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.5}, ONE_HOT, PROBS),
    ("CategoricalFocalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, PROBS),
    ("SparseCategoricalCrossentropy", {}, SPARSE, PROBS),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, SPARSE, Y_PRED),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
@pytest.mark.parametrize("name,kwargs,y_true,y_pred", PARITY_CASES)
def test_loss_matches_keras(name, kwargs, y_true, y_pred, reduction):
    for sample_weight in (None, WEIGHTS):
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        np.testing.assert_allclose(
            np.asarray(ours(y_true, y_pred, sample_weight=sample_weight)),
            np.asarray(theirs(y_true, y_pred, sample_weight=sample_weight)),
            rtol=1e-5,
            atol=1e-6,
        )


def test_mse_and_mae_match_numpy():
    mse = ((Y_TRUE - Y_PRED) ** 2).mean(-1)
    mae = np.abs(Y_TRUE - Y_PRED).mean(-1)
    np.testing.assert_allclose(losses.get("mse")(Y_TRUE, Y_PRED).numpy(), mse, rtol=1e-6)
    np.testing.assert_allclose(losses.mae(Y_TRUE, Y_PRED).numpy(), mae, rtol=1e-6)
    np.testing.assert_allclose(float(losses.MeanSquaredError()(Y_TRUE, Y_PRED)), mse.mean(), 1e-6)
    weighted = float(losses.MeanSquaredError()(Y_TRUE, Y_PRED, sample_weight=WEIGHTS))
    np.testing.assert_allclose(weighted, (mse * WEIGHTS).sum() / 8, rtol=1e-6)
    summed = float(losses.MeanSquaredError(reduction="sum")(Y_TRUE, Y_PRED))
    np.testing.assert_allclose(summed, mse.sum(), rtol=1e-6)


def test_crossentropies_match_numpy():
    eps = 1e-7
    p = np.clip(PROBS, eps, 1 - eps)
    cce = -(ONE_HOT * np.log(p)).sum(-1)
    np.testing.assert_allclose(
        losses.categorical_crossentropy(ONE_HOT, PROBS).numpy(), cce, rtol=1e-5
    )
    scce = -np.log(p[np.arange(8), SPARSE[:, 0]])
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(SPARSE, PROBS).numpy(), scce, rtol=1e-5
    )
    q = np.clip(Y_PRED, eps, 1 - eps)
    bce = -(BINARY * np.log(q) + (1 - BINARY) * np.log(1 - q)).mean(-1)
    np.testing.assert_allclose(
        losses.binary_crossentropy(BINARY, np.clip(Y_PRED, 0, 1)).numpy(), bce, rtol=1e-5
    )


def test_huber_matches_numpy():
    err = Y_PRED - Y_TRUE
    delta = 0.2
    expected = np.where(
        np.abs(err) <= delta, 0.5 * err**2, delta * np.abs(err) - 0.5 * delta**2
    ).mean(-1)
    np.testing.assert_allclose(losses.huber(Y_TRUE, Y_PRED, delta=delta).numpy(), expected, 1e-5)


def test_sigmoid_output_uses_logits_like_keras():
    logits = tf.constant([[30.0], [-30.0]])
    probs = activations.sigmoid(logits)
    value = losses.BinaryCrossentropy()(np.array([[0.0], [1.0]]), probs)
    np.testing.assert_allclose(float(value), 30.0, rtol=1e-4)


def test_sample_weight_broadcasts_per_timestep():
    y_true = RNG.random((4, 3, 2)).astype("float32")
    y_pred = RNG.random((4, 3, 2)).astype("float32")
    weights = RNG.random((4, 3)).astype("float32")
    ours = losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights)
    theirs = keras.losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6)
    expected = (((y_true - y_pred) ** 2).mean(-1) * weights).sum() / 12
    np.testing.assert_allclose(float(ours), expected, rtol=1e-6)


def test_rank_one_labels_are_expanded_for_mse():
    y_true = np.array([1.0, 2.0, 3.0], dtype="float32")
    y_pred = np.array([[1.5], [2.0], [2.0]], dtype="float32")
    np.testing.assert_allclose(
        float(losses.MeanSquaredError()(y_true, y_pred)), (0.25 + 0 + 1) / 3, rtol=1e-6
    )


def test_categorical_with_integer_labels_suggests_sparse():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy") as info:
        losses.CategoricalCrossentropy()(np.zeros((32, 1)), np.full((32, 10), 0.1))
    assert "(32, 1)" in str(info.value) and "(32, 10)" in str(info.value)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(np.zeros((32,)), np.full((32, 10), 0.1))


def test_sparse_with_one_hot_labels_suggests_categorical():
    with pytest.raises(ValueError, match="'categorical_crossentropy'") as info:
        losses.SparseCategoricalCrossentropy()(np.eye(10)[: 32 % 10], np.full((10, 10), 0.1))
    assert "(10, 10)" in str(info.value)


def test_label_mismatch_is_raised_at_trace_time():
    loss = losses.get("categorical_crossentropy")

    @tf.function
    def compute(y_true, y_pred):
        return loss(y_true, y_pred)

    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        compute(tf.zeros((4, 1)), tf.fill((4, 10), 0.1))


def test_ignore_class_masks_samples():
    y_true = np.array([0, 1, 2, 1])
    y_pred = np.log(np.array([[0.7, 0.2, 0.1]] * 4, dtype="float32"))
    value = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)(y_true, y_pred)
    expected = (-np.log(0.7) - np.log(0.1)) / 2
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)


def test_invalid_reduction_names_the_value():
    with pytest.raises(ValueError, match="reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_get_follows_keras_rules():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    config = {"class_name": "BinaryCrossentropy", "config": {"from_logits": True}}
    assert losses.get(config).from_logits is True
    assert losses.get(None) is None


def test_get_unknown_lists_valid_names():
    with pytest.raises(ValueError, match="'msee'") as info:
        losses.get("msee")
    assert "'mse'" in str(info.value) and "'categorical_crossentropy'" in str(info.value)


@pytest.mark.parametrize(
    "loss,y_true,y_pred",
    [
        (losses.Huber(delta=2.0, reduction="sum"), Y_TRUE, Y_PRED),
        (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), ONE_HOT, Y_PRED),
        (losses.SparseCategoricalCrossentropy(ignore_class=0), SPARSE, PROBS),
        (losses.BinaryFocalCrossentropy(gamma=3.0), BINARY, PROBS),
        (losses.CosineSimilarity(axis=0), Y_TRUE, Y_PRED),
        (losses.LossFunctionWrapper(losses.mean_absolute_error, name="wrapped"), Y_TRUE, Y_PRED),
    ],
)
def test_config_round_trip_through_json(loss, y_true, y_pred):
    config = json.loads(json.dumps(losses.serialize(loss)))
    restored = losses.deserialize(config)
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    np.testing.assert_allclose(
        np.asarray(restored(y_true, y_pred)), np.asarray(loss(y_true, y_pred)), rtol=1e-6
    )


def test_sparse_with_ignore_class_and_one_hot_labels_gives_clear_error():
    with pytest.raises(ValueError, match="'categorical_crossentropy'"):
        losses.SparseCategoricalCrossentropy(ignore_class=0)(ONE_HOT, PROBS)


def test_custom_loss_subclass():
    class AbsSum(losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_sum(tf.abs(y_true - y_pred), axis=-1)

    loss = AbsSum()
    assert loss.name == "abs_sum"
    np.testing.assert_allclose(
        float(loss(Y_TRUE, Y_PRED)), np.abs(Y_TRUE - Y_PRED).sum(-1).mean(), rtol=1e-6
    )


def test_loss_with_spaces_in_name_works_in_tf_function():
    loss = losses.MeanSquaredError(name="my loss")

    @tf.function
    def compute():
        return loss(tf.ones((2, 1)), tf.zeros((2, 1)))

    assert float(compute()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name,kwargs,y_true,y_pred",
    [
        ("binary_focal_crossentropy", {"gamma": 2.5}, BINARY, np.clip(Y_PRED, 0, 1)),
        ("binary_focal_crossentropy", {"from_logits": True, "alpha": 0.3}, BINARY, Y_PRED - 0.5),
        ("categorical_focal_crossentropy", {"gamma": 1.0}, ONE_HOT, PROBS),
        ("categorical_focal_crossentropy", {"from_logits": True}, ONE_HOT, Y_PRED * 2),
        ("hinge", {}, BINARY, Y_PRED * 2 - 1),
        ("log_cosh", {}, Y_TRUE, Y_PRED),
        ("poisson", {}, Y_TRUE, Y_PRED),
        ("kl_divergence", {}, PROBS, PROBS[::-1]),
    ],
)
def test_loss_functions_match_keras(name, kwargs, y_true, y_pred):
    np.testing.assert_allclose(
        np.asarray(getattr(losses, name)(y_true, y_pred, **kwargs)),
        np.asarray(getattr(keras.losses, name)(y_true, y_pred, **kwargs)),
        rtol=1e-5,
        atol=1e-6,
    )
