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
    ("TruePositives", {}, BINARY, Y_PRED),
    ("FalsePositives", {"thresholds": [0.2, 0.8]}, BINARY, Y_PRED),
    ("TrueNegatives", {"thresholds": 0.3}, BINARY, Y_PRED),
    ("FalseNegatives", {}, BINARY, Y_PRED),
    ("F1Score", {}, ONE_HOT, PROBS),
    ("F1Score", {"average": "macro", "threshold": 0.5}, BINARY, Y_PRED),
    ("F1Score", {"average": "micro", "threshold": 0.4}, BINARY, Y_PRED),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.6}, BINARY, Y_PRED),
    ("FBetaScore", {"beta": 0.5}, ONE_HOT, PROBS),
    ("R2Score", {}, Y_TRUE, Y_PRED),
    ("R2Score", {"class_aggregation": None}, Y_TRUE, Y_PRED),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, Y_TRUE, Y_PRED),
    ("R2Score", {"num_regressors": 2}, Y_TRUE[:, :1], Y_PRED[:, :1]),
    ("MeanIoU", {"num_classes": 5, "sparse_y_pred": False}, SPARSE, PROBS),
    ("MeanIoU", {"num_classes": 5, "dtype": "float32", "ignore_class": 2}, SPARSE, SPARSE[::-1]),
    (
        "MeanIoU",
        {"num_classes": 5, "sparse_y_true": False, "sparse_y_pred": False},
        ONE_HOT,
        PROBS,
    ),
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
        metrics.TrueNegatives(thresholds=[0.2, 0.4]),
        metrics.F1Score(average="macro", threshold=0.3),
        metrics.FBetaScore(average="weighted", beta=2.0),
        metrics.R2Score(class_aggregation=None, num_regressors=1),
        metrics.MeanIoU(num_classes=3, ignore_class=0, sparse_y_pred=False),
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


def test_f1_r2_and_mean_iou_match_hand_computation():
    f1 = metrics.F1Score(threshold=0.5)
    f1.update_state([[1, 0], [1, 1], [0, 1]], [[0.9, 0.8], [0.2, 0.7], [0.1, 0.6]])
    # Class 0: tp=1, fp=0, fn=1 -> 2/3. Class 1: tp=2, fp=1, fn=0 -> 0.8.
    np.testing.assert_allclose(f1.result().numpy(), [2 / 3, 0.8], rtol=1e-5)

    r2 = metrics.R2Score()
    r2.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [2.0]])
    np.testing.assert_allclose(float(r2.result()), 0.5, rtol=1e-6)

    iou = metrics.MeanIoU(num_classes=3)
    iou.update_state([0, 0, 1, 1], [0, 1, 1, 1])
    # Class 0: 1 / 2, class 1: 2 / 3, class 2 absent and ignored.
    np.testing.assert_allclose(float(iou.result()), (1 / 2 + 2 / 3) / 2, rtol=1e-5)
    iou.reset_state()
    assert float(iou.result()) == 0.0


def test_lazily_built_metrics_work_in_tf_function_and_reject_bad_shapes():
    f1 = metrics.F1Score(average="micro")
    r2 = metrics.R2Score()

    @tf.function
    def update(y_true, y_pred):
        f1.update_state(y_true, y_pred)
        r2.update_state(y_true, y_pred)

    update(tf.constant(ONE_HOT[:8]), tf.constant(PROBS[:8]))
    update(tf.constant(ONE_HOT[8:]), tf.constant(PROBS[8:]))
    keras_f1 = keras.metrics.F1Score(average="micro")
    keras_f1.update_state(ONE_HOT, PROBS)
    np.testing.assert_allclose(float(f1.result()), float(keras_f1.result()), rtol=1e-6)
    assert len(r2.variables) == 5
    with pytest.raises(ValueError, match=r"y_pred.shape=\(4,\)"):
        metrics.F1Score().update_state(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="average='mean'"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match="beta=2"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="class_aggregation='median'"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_classes=0"):
        metrics.MeanIoU(num_classes=0)
