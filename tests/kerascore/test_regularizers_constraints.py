import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import constraints, regularizers

W = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]], dtype="float32")


def test_l1_l2_penalties_match_numpy():
    assert float(regularizers.L1(0.1)(tf.constant(W))) == pytest.approx(0.1 * np.abs(W).sum())
    assert float(regularizers.L2(0.2)(tf.constant(W))) == pytest.approx(0.2 * (W**2).sum())
    both = regularizers.L1L2(l1=0.1, l2=0.2)(tf.constant(W))
    assert float(both) == pytest.approx(0.1 * np.abs(W).sum() + 0.2 * (W**2).sum())


def test_regularizers_match_keras():
    w = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    pairs = [
        (regularizers.L1(0.03), keras.regularizers.L1(0.03)),
        (regularizers.L2(0.05), keras.regularizers.L2(0.05)),
        (regularizers.L1L2(0.01, 0.02), keras.regularizers.L1L2(0.01, 0.02)),
        (
            regularizers.OrthogonalRegularizer(0.1, "columns"),
            keras.regularizers.OrthogonalRegularizer(0.1, "columns"),
        ),
        (regularizers.OrthogonalRegularizer(0.2), keras.regularizers.OrthogonalRegularizer(0.2)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(
            float(ours(tf.constant(w))), float(theirs(tf.constant(w))), rtol=1e-6
        )


def test_regularizer_strings_and_validation():
    assert isinstance(regularizers.get("l1"), regularizers.L1)
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="l1=-0.5"):
        regularizers.L1(-0.5)
    with pytest.raises(ValueError, match="'l3'") as info:
        regularizers.get("l3")
    assert "'l2'" in str(info.value)


@pytest.mark.parametrize(
    "reg",
    [
        regularizers.L1(0.3),
        regularizers.L2(0.1),
        regularizers.L1L2(0.1, 0.2),
        regularizers.OrthogonalRegularizer(0.4, "columns"),
    ],
)
def test_regularizer_config_round_trip(reg):
    config = json.loads(json.dumps(regularizers.serialize(reg)))
    restored = regularizers.deserialize(config)
    assert type(restored) is type(reg) and restored.get_config() == reg.get_config()


def test_max_norm_caps_column_norms():
    out = constraints.MaxNorm(max_value=2.0, axis=0)(tf.constant(W)).numpy()
    norms = np.linalg.norm(W, axis=0)
    expected = W * (np.clip(norms, 0, 2.0) / (1e-7 + norms))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert np.all(np.linalg.norm(out, axis=0) <= 2.0 + 1e-5)


def test_non_neg_unit_norm_and_min_max_norm():
    np.testing.assert_array_equal(constraints.NonNeg()(tf.constant(W)).numpy(), np.maximum(W, 0))
    unit = constraints.UnitNorm(axis=1)(tf.constant(W)).numpy()
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), np.ones(2), rtol=1e-5)
    mm = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(tf.constant(W)).numpy()
    norms = np.linalg.norm(W, axis=0)
    desired = 0.5 * np.clip(norms, 1.0, 2.0) + 0.5 * norms
    np.testing.assert_allclose(mm, W * desired / (1e-7 + norms), rtol=1e-6)


def test_constraints_match_keras():
    w = np.random.default_rng(1).normal(size=(4, 3)).astype("float32") * 3
    pairs = [
        (constraints.MaxNorm(1.5, axis=1), keras.constraints.MaxNorm(1.5, axis=1)),
        (constraints.UnitNorm(), keras.constraints.UnitNorm()),
        (constraints.NonNeg(), keras.constraints.NonNeg()),
        (constraints.MinMaxNorm(0.5, 1.0, 0.7), keras.constraints.MinMaxNorm(0.5, 1.0, 0.7)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(
            ours(tf.constant(w)).numpy(), np.asarray(theirs(tf.constant(w))), rtol=1e-6
        )


def test_constraint_get_and_round_trip():
    assert isinstance(constraints.get("max_norm"), constraints.MaxNorm)
    assert isinstance(constraints.get("NonNeg"), constraints.NonNeg)
    with pytest.raises(ValueError, match="'maxnorm'") as info:
        constraints.get("maxnorm")
    assert "'max_norm'" in str(info.value)
    c = constraints.MinMaxNorm(0.1, 3.0, 0.5, axis=[0, 1])
    restored = constraints.deserialize(json.loads(json.dumps(constraints.serialize(c))))
    assert isinstance(restored, constraints.MinMaxNorm)
    assert restored.get_config() == c.get_config()
