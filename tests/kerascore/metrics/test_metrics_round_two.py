"""IoU variants, correlation metrics and rate-at-floor metrics against Keras 3."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import layers, metrics, models

RNG = np.random.default_rng(3)
Y_TRUE = RNG.random((16, 5)).astype("float32")
Y_PRED = (Y_TRUE + 0.3 * RNG.normal(size=(16, 5))).astype("float32")
SCORES = np.clip(Y_PRED, 0, 1)
BINARY = (Y_TRUE > 0.5).astype("float32")
ONE_HOT = np.eye(4, dtype="float32")[RNG.integers(0, 4, 16)]
CLASS_SCORES = RNG.random((16, 4)).astype("float32")
SPARSE = RNG.integers(0, 4, (16, 1))
SPARSE_PRED = RNG.integers(0, 4, (16, 1))
WEIGHTS = RNG.integers(1, 3, 16).astype("float32")

CASES = [
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, SPARSE, SPARSE_PRED),
    (
        "IoU",
        {"num_classes": 4, "target_class_ids": [1], "sparse_y_pred": False, "ignore_class": 3},
        SPARSE,
        CLASS_SCORES,
    ),
    ("BinaryIoU", {}, BINARY[:, 0], SCORES[:, 0]),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, BINARY[:, 1], SCORES[:, 1]),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 3]}, ONE_HOT, CLASS_SCORES),
    ("OneHotMeanIoU", {"num_classes": 4}, ONE_HOT, CLASS_SCORES),
    ("OneHotMeanIoU", {"num_classes": 4, "ignore_class": 0}, ONE_HOT, CLASS_SCORES),
    ("PearsonCorrelation", {}, Y_TRUE, Y_PRED),
    ("PearsonCorrelation", {"axis": 1}, Y_TRUE[:, :, None], Y_PRED[:, :, None]),
    ("ConcordanceCorrelation", {}, Y_TRUE, Y_PRED),
    ("PrecisionAtRecall", {"recall": 0.6}, BINARY, SCORES),
    ("PrecisionAtRecall", {"recall": 0.3, "num_thresholds": 1}, BINARY, SCORES),
    ("RecallAtPrecision", {"precision": 0.7, "num_thresholds": 50}, BINARY, SCORES),
    ("SensitivityAtSpecificity", {"specificity": 0.8}, BINARY, SCORES),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "class_id": 2}, BINARY, SCORES),
    ("SpecificityAtSensitivity", {"sensitivity": 0.9, "num_thresholds": 20}, BINARY, SCORES),
]


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES)
def test_metric_matches_keras_over_two_batches(name, kwargs, y_true, y_pred):
    for sample_weight in (None, WEIGHTS):
        ours = getattr(metrics, name)(**kwargs)
        theirs = getattr(keras.metrics, name)(**kwargs)
        for batch in (slice(0, 8), slice(8, 16)):
            sw = None if sample_weight is None else sample_weight[batch]
            ours.update_state(y_true[batch], y_pred[batch], sample_weight=sw)
            theirs.update_state(y_true[batch], y_pred[batch], sample_weight=sw)
        np.testing.assert_allclose(
            np.asarray(ours.result()), np.asarray(theirs.result()), rtol=1e-5, atol=1e-6
        )
        ours.reset_state()
        assert all(not np.any(v.numpy()) for v in ours.variables)


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES)
def test_config_matches_keras_and_round_trips(name, kwargs, y_true, y_pred):
    metric = getattr(metrics, name)(**kwargs)
    expected = getattr(keras.metrics, name)(**kwargs).get_config()
    config = metric.get_config()
    assert set(config) == set(expected)
    assert {k: v for k, v in config.items() if k not in ("name", "dtype")} == {
        k: v for k, v in expected.items() if k not in ("name", "dtype")
    }
    restored = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(restored) is type(metric)
    restored.update_state(y_true, y_pred)
    metric.update_state(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(restored.result()), np.asarray(metric.result()))


@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_correlation_functions_match_keras(name, axis):
    np.testing.assert_allclose(
        np.asarray(getattr(metrics, name)(Y_TRUE, Y_PRED, axis=axis)),
        np.asarray(getattr(keras.metrics, name)(Y_TRUE, Y_PRED, axis=axis)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_metrics_accumulate_inside_tf_function():
    def build():
        return [
            metrics.OneHotMeanIoU(4),
            metrics.PrecisionAtRecall(0.5),
            metrics.PearsonCorrelation(),
        ]

    def update(metric_list, start):
        metric_list[0].update_state(ONE_HOT[start : start + 8], CLASS_SCORES[start : start + 8])
        metric_list[1].update_state(BINARY[start : start + 8], SCORES[start : start + 8])
        metric_list[2].update_state(Y_TRUE[start : start + 8], Y_PRED[start : start + 8])

    compiled, eager = build(), build()
    compiled_update = tf.function(lambda start: update(compiled, start))
    for start in (0, 8):
        compiled_update(start)
        update(eager, start)
    for ours, reference in zip(compiled, eager, strict=True):
        np.testing.assert_allclose(float(ours.result()), float(reference.result()), rtol=1e-6)


def test_metrics_in_model_compile():
    model = models.Sequential([layers.Input((5,)), layers.Dense(5, activation="sigmoid")])
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=[
            metrics.BinaryIoU(),
            metrics.RecallAtPrecision(0.5),
            metrics.SpecificityAtSensitivity(0.5),
            metrics.PearsonCorrelation(),
            metrics.ConcordanceCorrelation(),
        ],
    )
    history = model.fit(Y_TRUE, BINARY, epochs=2, batch_size=8, verbose=0)
    for name in (
        "binary_io_u",
        "recall_at_precision",
        "specificity_at_sensitivity",
        "pearson_correlation",
        "concordance_correlation",
    ):
        assert name in history.history, sorted(history.history)
        assert np.all(np.isfinite(history.history[name]))


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match=r"target_class_ids=\[0, 4\]"):
        metrics.IoU(num_classes=4, target_class_ids=[0, 4])
    with pytest.raises(ValueError, match="recall=1.5"):
        metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match="specificity=-0.1"):
        metrics.SensitivityAtSpecificity(-0.1)
    with pytest.raises(ValueError, match="num_thresholds=0"):
        metrics.RecallAtPrecision(0.5, num_thresholds=0)
