import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import metrics

RNG = np.random.default_rng(0)
Y_TRUE = RNG.random((16, 5)).astype("float32")
Y_PRED = RNG.random((16, 5)).astype("float32") + 0.01
ONE_HOT = np.eye(5, dtype="float32")[RNG.integers(0, 5, 16)]
SPARSE = RNG.integers(0, 5, (16, 1))
PROBS = Y_PRED / Y_PRED.sum(-1, keepdims=True)
BINARY = (Y_TRUE > 0.5).astype("float32")
WEIGHTS = RNG.random(16).astype("float32")

PARITY_CASES = [
    ("Accuracy", {}, np.round(Y_TRUE), np.round(Y_PRED)),
    ("BinaryAccuracy", {"threshold": 0.3}, BINARY, Y_PRED),
    ("CategoricalAccuracy", {}, ONE_HOT, PROBS),
    ("SparseCategoricalAccuracy", {}, SPARSE, PROBS),
    ("TopKCategoricalAccuracy", {"k": 2}, ONE_HOT, PROBS),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, SPARSE, PROBS),
    ("MeanSquaredError", {}, Y_TRUE, Y_PRED),
    ("MeanAbsoluteError", {}, Y_TRUE, Y_PRED),
    ("RootMeanSquaredError", {}, Y_TRUE, Y_PRED),
    ("MeanAbsolutePercentageError", {}, Y_TRUE, Y_PRED),
    ("CosineSimilarity", {}, Y_TRUE, Y_PRED),
    ("LogCoshError", {}, Y_TRUE, Y_PRED),
    ("Hinge", {}, BINARY, Y_PRED),
    ("KLDivergence", {}, PROBS, PROBS[::-1]),
    ("BinaryCrossentropy", {"from_logits": True}, BINARY, Y_PRED * 4 - 2),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS),
    ("SparseCategoricalCrossentropy", {}, SPARSE, PROBS),
    ("Precision", {}, BINARY, Y_PRED),
    ("Precision", {"top_k": 2}, BINARY, Y_PRED),
    ("Recall", {"thresholds": [0.2, 0.7]}, BINARY, Y_PRED),
    ("Recall", {"class_id": 1}, BINARY, Y_PRED),
    ("AUC", {}, BINARY, Y_PRED),
    ("AUC", {"curve": "PR"}, BINARY, Y_PRED),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, BINARY, Y_PRED),
    ("AUC", {"multi_label": True}, BINARY, Y_PRED),
    ("AUC", {"thresholds": [0.1, 0.5, 0.9]}, BINARY, Y_PRED),
]


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", PARITY_CASES)
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


def test_accuracies_match_numpy():
    acc = metrics.SparseCategoricalAccuracy()
    acc.update_state(SPARSE, PROBS)
    expected = (PROBS.argmax(-1) == SPARSE[:, 0]).mean()
    np.testing.assert_allclose(float(acc.result()), expected, rtol=1e-6)
    bin_acc = metrics.BinaryAccuracy()
    bin_acc.update_state(BINARY, Y_PRED, sample_weight=WEIGHTS)
    per_sample = ((Y_PRED > 0.5) == BINARY).mean(-1)
    np.testing.assert_allclose(
        float(bin_acc.result()), (per_sample * WEIGHTS).sum() / WEIGHTS.sum(), rtol=1e-5
    )


def test_precision_recall_match_numpy():
    predicted = Y_PRED > 0.5
    tp = (predicted & (BINARY == 1)).sum()
    precision = metrics.Precision()
    precision.update_state(BINARY, Y_PRED)
    recall = metrics.Recall()
    recall.update_state(BINARY, Y_PRED)
    np.testing.assert_allclose(float(precision.result()), tp / predicted.sum(), rtol=1e-6)
    np.testing.assert_allclose(float(recall.result()), tp / (BINARY == 1).sum(), rtol=1e-6)


def test_mean_sum_and_rmse_match_numpy():
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0])
    mean.update_state([5.0], sample_weight=[3.0])
    assert float(mean.result()) == pytest.approx((1 + 2 + 3 + 15) / 6)
    total = metrics.Sum()
    total.update_state([[1.0, 2.0], [3.0, 4.0]])
    assert float(total.result()) == pytest.approx(10.0)
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(Y_TRUE, Y_PRED)
    assert float(rmse.result()) == pytest.approx(np.sqrt(((Y_TRUE - Y_PRED) ** 2).mean()), 1e-5)


def test_metric_accumulates_inside_tf_function():
    metric = metrics.MeanSquaredError()

    @tf.function
    def update(y_true, y_pred):
        metric.update_state(y_true, y_pred)

    for batch in (slice(0, 8), slice(8, 16)):
        update(tf.constant(Y_TRUE[batch]), tf.constant(Y_PRED[batch]))
    np.testing.assert_allclose(float(metric.result()), ((Y_TRUE - Y_PRED) ** 2).mean(), rtol=1e-6)
    assert [v.name.split(":")[0] for v in metric.variables] == ["total", "count"]
    assert all(not v.trainable for v in metric.variables)


def test_reset_state_zeroes_variables():
    metric = metrics.AUC()
    metric.update_state(BINARY, Y_PRED)
    assert float(metric.result()) > 0
    metric.reset_state()
    assert all(np.all(v.numpy() == 0) for v in metric.variables)
    assert float(metric.result()) == 0.0


def test_call_updates_and_returns_result():
    metric = metrics.Accuracy()
    assert float(metric([1, 2, 3, 4], [1, 2, 0, 0])) == pytest.approx(0.5)
    assert float(metric([1], [1])) == pytest.approx(0.6)


def test_custom_metric_subclass():
    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(tf.reduce_sum(tf.cast(y_pred > 0, self.dtype)))

        def result(self):
            return self.count

    metric = CountPositives()
    metric.update_state(None, tf.constant([1.0, -1.0, 2.0]))
    assert float(metric.result()) == 2.0
    assert metric.get_config() == {"name": "count_positives", "dtype": "float32"}


def test_mean_metric_wrapper_with_function():
    def abs_error(y_true, y_pred):
        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    wrapper = metrics.MeanMetricWrapper(abs_error)
    wrapper.update_state(Y_TRUE, Y_PRED)
    assert wrapper.name == "abs_error"
    np.testing.assert_allclose(float(wrapper.result()), np.abs(Y_TRUE - Y_PRED).mean(), 1e-6)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.BinaryAccuracy(threshold=0.7),
        metrics.SparseTopKCategoricalAccuracy(k=3),
        metrics.MeanSquaredError(name="mse_metric"),
        metrics.Precision(thresholds=[0.3, 0.6], class_id=1),
        metrics.AUC(curve="PR", num_thresholds=50),
        metrics.CategoricalCrossentropy(label_smoothing=0.1),
        metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.2),
    ],
)
def test_config_round_trip_through_json(metric):
    config = json.loads(json.dumps(metrics.serialize(metric)))
    restored = metrics.deserialize(config)
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()


def test_get_resolves_names_like_keras():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy


def test_get_unknown_lists_valid_names():
    with pytest.raises(ValueError, match="'acuracy'") as info:
        metrics.get("acuracy")
    assert "'accuracy'" in str(info.value) and "'mse'" in str(info.value)


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match="1.5"):
        metrics.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match="curve='XY'"):
        metrics.AUC(curve="XY")
