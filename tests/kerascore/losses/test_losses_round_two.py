"""Dice, Tversky, Circle, CTC and generalized cross entropy against Keras 3."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import losses

RNG = np.random.default_rng(1)
MASKS = (RNG.random((4, 6, 6, 1)) > 0.5).astype("float32")
SOFT_MASKS = RNG.random((4, 6, 6, 1)).astype("float32")
WEIGHTS = RNG.random(4).astype("float32")
LABELS = RNG.integers(0, 3, (8,)).astype("float32")
EMBEDDINGS = RNG.normal(size=(8, 5)).astype("float32")
EMBEDDINGS /= np.linalg.norm(EMBEDDINGS, axis=1, keepdims=True)
CLASS_PROBS = RNG.random((8, 4)).astype("float32")
CLASS_PROBS /= CLASS_PROBS.sum(-1, keepdims=True)
CLASS_LABELS = RNG.integers(0, 4, (8,))
CTC_LABELS = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0]], dtype="int32")
CTC_LOGITS = RNG.normal(size=(3, 7, 5)).astype("float32")

CASES = [
    ("Dice", {}, MASKS, SOFT_MASKS),
    ("Dice", {"axis": (1, 2, 3)}, MASKS, SOFT_MASKS),
    ("Tversky", {}, MASKS, SOFT_MASKS),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}, MASKS, SOFT_MASKS),
    ("Circle", {}, LABELS, EMBEDDINGS),
    ("Circle", {"gamma": 16.0, "margin": 0.25, "remove_diagonal": False}, LABELS, EMBEDDINGS),
    ("CTC", {}, CTC_LABELS, CTC_LOGITS),
    ("CategoricalGeneralizedCrossEntropy", {}, CLASS_LABELS, CLASS_PROBS),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, CLASS_LABELS, CLASS_PROBS),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES)
def test_loss_matches_keras(name, kwargs, y_true, y_pred, reduction):
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    np.testing.assert_allclose(
        np.asarray(ours(y_true, y_pred)), np.asarray(theirs(y_true, y_pred)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES[1:2] + CASES[3:4] + CASES[6:])
def test_sample_weight_matches_keras(name, kwargs, y_true, y_pred):
    weights = RNG.random(len(y_true)).astype("float32")
    ours = getattr(losses, name)(**kwargs)(y_true, y_pred, sample_weight=weights)
    theirs = getattr(keras.losses, name)(**kwargs)(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name,kwargs,y_true,y_pred",
    [
        ("dice", {}, MASKS, SOFT_MASKS),
        ("dice", {"axis": (1, 2)}, MASKS, SOFT_MASKS),
        ("tversky", {"alpha": 0.2, "beta": 0.8, "axis": (1, 2, 3)}, MASKS, SOFT_MASKS),
        ("circle", {"gamma": 32}, LABELS, EMBEDDINGS),
        (
            "circle",
            {"ref_labels": LABELS[:5], "ref_embeddings": EMBEDDINGS[:5], "remove_diagonal": False},
            LABELS,
            EMBEDDINGS,
        ),
        ("ctc", {}, CTC_LABELS, CTC_LOGITS),
        ("categorical_generalized_cross_entropy", {"q": 0.3}, CLASS_LABELS, CLASS_PROBS),
    ],
)
def test_loss_functions_match_keras(name, kwargs, y_true, y_pred):
    np.testing.assert_allclose(
        np.asarray(getattr(losses, name)(y_true, y_pred, **kwargs)),
        np.asarray(getattr(keras.losses, name)(y_true, y_pred, **kwargs)),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES)
def test_config_matches_keras_and_round_trips(name, kwargs, y_true, y_pred):
    loss = getattr(losses, name)(**kwargs)
    assert loss.get_config() == getattr(keras.losses, name)(**kwargs).get_config()
    restored = losses.deserialize(json.loads(json.dumps(losses.serialize(loss))))
    assert type(restored) is type(loss)
    np.testing.assert_allclose(
        np.asarray(restored(y_true, y_pred)), np.asarray(loss(y_true, y_pred)), rtol=1e-6
    )
    assert type(losses.get(name)) is type(loss)


def test_losses_inside_tf_function_match_eager():
    circle = losses.Circle()
    ctc = losses.CTC()
    dice = losses.Dice(axis=(1, 2, 3))

    @tf.function
    def compute():
        return circle(LABELS, EMBEDDINGS), ctc(CTC_LABELS, CTC_LOGITS), dice(MASKS, SOFT_MASKS)

    for compiled, eager in zip(
        compute(),
        (circle(LABELS, EMBEDDINGS), ctc(CTC_LABELS, CTC_LOGITS), dice(MASKS, SOFT_MASKS)),
        strict=True,
    ):
        np.testing.assert_allclose(np.asarray(compiled), np.asarray(eager), rtol=1e-6)


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match="q=1.5"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match=r"y_true.shape=\(3,\)"):
        losses.ctc(CTC_LABELS[:, 0], CTC_LOGITS)
    with pytest.raises(ValueError, match=r"y_pred.shape=\(3, 7\)"):
        losses.ctc(CTC_LABELS, CTC_LOGITS[..., 0])


def test_circle_loss_trains_embeddings():
    from kerascore import layers, models

    model = models.Sequential([layers.Input((5,)), layers.Dense(4), layers.UnitNormalization()])
    model.compile(optimizer="adam", loss=losses.Circle(gamma=16.0))
    history = model.fit(EMBEDDINGS, LABELS, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
