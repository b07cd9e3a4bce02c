"""Metrics counted from a confusion matrix at thresholds: TP/FP/TN/FN, precision, recall, AUC,
and one rate at a floor on another (`PrecisionAtRecall`, `SensitivityAtSpecificity`, ...)."""

from enum import Enum

import numpy as np
import tensorflow as tf

from kerascore import activations, backend
from kerascore.losses import (
    squeeze_or_expand_to_same_rank,
)
from kerascore.metrics.metric import Metric
from kerascore.saving.serialization import (
    register_builtin,
)

NEG_INF = -1e10


class ConfusionMatrix(Enum):
    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


def _parse_thresholds(thresholds, default_threshold):
    if thresholds is None:
        return [default_threshold]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: thresholds={invalid}")
    return values


def _filter_top_k(x, k):
    _, top_k_idx = tf.math.top_k(x, k)
    mask = tf.reduce_sum(tf.one_hot(top_k_idx, tf.shape(x)[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def update_confusion_matrix_variables(
    variables_to_update,
    y_true,
    y_pred,
    thresholds,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """Adds the (weighted) true/false positive/negative counts at each threshold.

    Args:
        variables_to_update: Dict from `ConfusionMatrix` to a variable of shape
            `(num_thresholds,)` (or `(num_thresholds, num_labels)` when `multi_label`).
        y_true: Binary labels.
        y_pred: Scores in `[0, 1]`.
        thresholds: List of thresholds; a prediction counts as positive above one.
        top_k: Only the `top_k` scores of each sample may count as positive.
        class_id: Restricts the counts to one class column.
        sample_weight: Optional per-sample weights.
        multi_label: Whether to keep one count per label.
        label_weights: Optional per-label weights (not with `multi_label`).
    """
    dtype = next(iter(variables_to_update.values())).dtype
    y_true = tf.cast(y_true, dtype)
    y_pred = tf.cast(y_pred, dtype)
    thresholds_t = tf.constant(np.asarray(thresholds), dtype=dtype)
    num_thresholds = len(thresholds)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = tf.expand_dims(tf.cast(sample_weight, dtype), axis=-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if len(y_pred.shape) == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes). Received: y_pred.shape={y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    if multi_label:
        preds = tf.expand_dims(y_pred, 0)
        labels = tf.expand_dims(tf.cast(y_true, "bool"), 0)
        thresh = tf.reshape(thresholds_t, [num_thresholds, 1, 1])
    else:
        preds = tf.reshape(y_pred, [1, -1])
        labels = tf.reshape(tf.cast(y_true, "bool"), [1, -1])
        thresh = tf.reshape(thresholds_t, [num_thresholds, 1])
    pred_is_pos = tf.greater(preds, thresh)
    label_is_pos = tf.broadcast_to(labels, tf.shape(pred_is_pos))

    weights = None
    if sample_weight is not None:
        weights = tf.broadcast_to(sample_weight, tf.shape(y_pred))
    if label_weights is not None and not multi_label:
        lw = tf.broadcast_to(tf.expand_dims(tf.cast(label_weights, dtype), 0), tf.shape(y_pred))
        weights = lw if weights is None else weights * lw
    if weights is not None:
        weights = tf.expand_dims(weights, 0) if multi_label else tf.reshape(weights, [1, -1])

    def add(label, pred, variable):
        hit = tf.logical_and(label, pred)
        if weights is None:
            counts = tf.cast(hit, dtype)
        else:
            counts = tf.where(hit, tf.broadcast_to(weights, tf.shape(hit)), tf.zeros_like(weights))
        variable.assign_add(tf.reduce_sum(counts, axis=1))

    pred_is_neg = tf.logical_not(pred_is_pos)
    label_is_neg = tf.logical_not(label_is_pos)
    pairs = {
        ConfusionMatrix.TRUE_POSITIVES: (label_is_pos, pred_is_pos),
        ConfusionMatrix.FALSE_POSITIVES: (label_is_neg, pred_is_pos),
        ConfusionMatrix.TRUE_NEGATIVES: (label_is_neg, pred_is_neg),
        ConfusionMatrix.FALSE_NEGATIVES: (label_is_pos, pred_is_neg),
    }
    for key, variable in variables_to_update.items():
        add(*pairs[key], variable)


class _ThresholdedRate(Metric):
    """Shared body of `Precision` and `Recall`."""

    _direction = "up"
    _other = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default_threshold=default)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), name="true_positives")
        self._other_counts = self.add_variable(shape=(n,), name=self._other.name.lower())

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion counts of one batch."""
        update_confusion_matrix_variables(
            {
                ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
                self._other: self._other_counts,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self):
        result = tf.math.divide_no_nan(
            self.true_positives, self.true_positives + self._other_counts
        )
        return result[0] if len(self.thresholds) == 1 else result

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


@register_builtin
class Precision(_ThresholdedRate):
    """Precision: true positives / predicted positives.

    Args:
        thresholds: Threshold or list of thresholds in `[0, 1]` (default 0.5); with a list
            the result has one value per threshold.
        top_k: Only the `top_k` scores of each sample count as positive.
        class_id: Computes the precision of one class.
        name: Name of the metric.
        dtype: Dtype of the metric.
    """

    _other = ConfusionMatrix.FALSE_POSITIVES

    @property
    def false_positives(self):
        """Accumulated false positives, one per threshold."""
        return self._other_counts


@register_builtin
class Recall(_ThresholdedRate):
    """Recall: true positives / actual positives.

    Args:
        thresholds: Threshold or list of thresholds in `[0, 1]` (default 0.5); with a list
            the result has one value per threshold.
        top_k: Only the `top_k` scores of each sample count as positive.
        class_id: Computes the recall of one class.
        name: Name of the metric.
        dtype: Dtype of the metric.
    """

    _other = ConfusionMatrix.FALSE_NEGATIVES

    @property
    def false_negatives(self):
        """Accumulated false negatives, one per threshold."""
        return self._other_counts


@register_builtin
class AUC(Metric):
    """Area under the ROC or precision-recall curve, from thresholded confusion counts.

    Args:
        num_thresholds: Number of evenly spaced thresholds (> 1).
        curve: `"ROC"`, `"PR"` or `"PRGAIN"`.
        summation_method: `"interpolation"`, `"minoring"` or `"majoring"`.
        name: Name of the metric.
        dtype: Dtype of the metric.
        thresholds: Optional explicit thresholds (overrides `num_thresholds`).
        multi_label: Whether to compute one AUC per label and average them.
        num_labels: Number of labels, to create the state eagerly when `multi_label`.
        label_weights: Optional per-label weights.
        from_logits: Whether predictions are logits (a sigmoid is applied).

    Raises:
        ValueError: for an invalid `num_thresholds`, `curve` or `summation_method`.
    """

    _direction = "up"
    _CURVES = ("ROC", "PR", "PRGAIN")
    _SUMMATIONS = ("interpolation", "minoring", "majoring")

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        if str(curve).upper() not in self._CURVES:
            raise ValueError(f"Expected `curve` in {self._CURVES}. Received: curve={curve!r}")
        if str(summation_method).lower() not in self._SUMMATIONS:
            raise ValueError(
                f"Expected `summation_method` in {self._SUMMATIONS}. "
                f"Received: summation_method={summation_method!r}"
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._thresholds = np.array(
            [0.0 - backend.epsilon()] + list(thresholds) + [1.0 + backend.epsilon()]
        )
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else tf.constant(label_weights, dtype=self.dtype)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, including the two end points."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. "
                    f"Received: y_pred.shape={shape}"
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(variable_shape, name="true_positives")
        self.false_positives = self.add_variable(variable_shape, name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion counts of one batch at every threshold."""
        y_pred = tf.convert_to_tensor(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = activations.sigmoid(y_pred)
        update_confusion_matrix_variables(
            {
                ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
                ConfusionMatrix.TRUE_NEGATIVES: self.true_negatives,
                ConfusionMatrix.FALSE_POSITIVES: self.false_positives,
                ConfusionMatrix.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            tf.clip_by_value(y_pred, 0.0, 1.0),
            self._thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _aggregate(self, per_threshold):
        if not self.multi_label:
            return tf.reduce_sum(per_threshold)
        by_label = tf.reduce_sum(per_threshold, axis=0)
        if self.label_weights is None:
            return tf.reduce_mean(by_label)
        return tf.math.divide_no_nan(
            tf.reduce_sum(by_label * self.label_weights), tf.reduce_sum(self.label_weights)
        )

    def _interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = tf.math.divide_no_nan(dtp, tf.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = tf.where(
            tf.logical_and(p[: n - 1] > 0, p[1:] > 0),
            tf.math.divide_no_nan(p[: n - 1], tf.maximum(p[1:], 0)),
            tf.ones_like(p[1:]),
        )
        increment = tf.math.divide_no_nan(
            prec_slope * (dtp + intercept * tf.math.log(safe_p_ratio)),
            tf.maximum(tp[1:] + fn[1:], 0),
        )
        return self._aggregate(increment)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = tf.math.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = tf.math.divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, tf.math.divide_no_nan(tp, tp + fp)
        else:
            scaling = tf.math.divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * tf.math.divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * tf.math.divide_no_nan(fp, tp)
            zero = tf.equal(tp, 0.0)
            x = tf.maximum(tf.where(zero, tf.zeros_like(recall_gain), recall_gain), 0.0)
            y = tf.where(zero, tf.ones_like(precision_gain), precision_gain)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = tf.minimum(y[: n - 1], y[1:])
        else:
            heights = tf.maximum(y[: n - 1], y[1:])
        return self._aggregate((x[: n - 1] - x[1:]) * heights)

    def get_config(self):
        label_weights = self.label_weights
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if label_weights is None else label_weights.numpy().tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return config


class _ConfusionMatrixConditionCount(Metric):
    """Shared body of `TruePositives`, `FalsePositives`, `TrueNegatives`, `FalseNegatives`."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, default_threshold=0.5)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the (weighted) count of one batch at each threshold."""
        update_confusion_matrix_variables(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            sample_weight=sample_weight,
        )

    def result(self):
        return tf.convert_to_tensor(
            self.accumulator[0] if len(self.thresholds) == 1 else self.accumulator
        )

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


_COUNT_ARGS = """

    Args:
        thresholds: Threshold or list of thresholds in `[0, 1]` (default 0.5); a prediction
            above a threshold is positive. With a list the result has one count per threshold.
        name: Name of the metric.
        dtype: Dtype of the metric.
    """


@register_builtin
class TruePositives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) true positives." + _COUNT_ARGS
    _condition = ConfusionMatrix.TRUE_POSITIVES


@register_builtin
class FalsePositives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) false positives." + _COUNT_ARGS
    _condition = ConfusionMatrix.FALSE_POSITIVES


@register_builtin
class TrueNegatives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) true negatives." + _COUNT_ARGS
    _condition = ConfusionMatrix.TRUE_NEGATIVES


@register_builtin
class FalseNegatives(_ConfusionMatrixConditionCount):
    __doc__ = "Counts (weighted) false negatives." + _COUNT_ARGS
    _condition = ConfusionMatrix.FALSE_NEGATIVES


class SensitivitySpecificityBase(Metric):
    """Shared body of the metrics that maximise one rate subject to a floor on another.

    Confusion counts are kept at `num_thresholds` evenly spaced thresholds in `[0, 1]`; the
    result is the best dependent rate over the thresholds where the constrained rate reaches
    `value`.

    Args:
        value: The floor of the constrained rate, in `[0, 1]`.
        num_thresholds: Number of thresholds (1 gives the single threshold 0.5).
        class_id: Computes the metric for one class column.
        name: Name of the metric.
        dtype: Dtype of the metric.

    Raises:
        ValueError: if `num_thresholds` is not positive.
    """

    _direction = "up"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion counts of one batch at every threshold."""
        update_confusion_matrix_variables(
            {
                ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
                ConfusionMatrix.TRUE_NEGATIVES: self.true_negatives,
                ConfusionMatrix.FALSE_POSITIVES: self.false_positives,
                ConfusionMatrix.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def _rates(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {
            "sensitivity": tf.math.divide_no_nan(tp, tp + fn),
            "specificity": tf.math.divide_no_nan(tn, tn + fp),
            "precision": tf.math.divide_no_nan(tp, tp + fp),
        }

    def result(self):
        rates = self._rates()
        feasible = rates[self._constrained] >= self.value
        dependent = rates[self._dependent]
        return tf.reduce_max(tf.where(feasible, dependent, tf.zeros_like(dependent)))

    def get_config(self):
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_name: self.value,
        }


def _checked_rate(name, value):
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{name}` must be in the range [0, 1]. Received: {name}={value}")
    return value


_AT_ARGS = """
        num_thresholds: Number of evenly spaced thresholds in `[0, 1]` the counts are kept at.
        class_id: Computes the metric for one class column.
        name: Name of the metric.
        dtype: Dtype of the metric.

    Raises:
        ValueError: if the floor is outside `[0, 1]`.
    """


@register_builtin
class SensitivityAtSpecificity(SensitivitySpecificityBase):
    __doc__ = (
        "Best sensitivity (recall) at a threshold whose specificity is >= `specificity`.\n\n"
        "    Args:\n        specificity: The specificity floor, in `[0, 1]`." + _AT_ARGS
    )
    _constrained, _dependent, _value_name = "specificity", "sensitivity", "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.specificity = _checked_rate("specificity", specificity)
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


@register_builtin
class SpecificityAtSensitivity(SensitivitySpecificityBase):
    __doc__ = (
        "Best specificity at a threshold whose sensitivity is >= `sensitivity`.\n\n"
        "    Args:\n        sensitivity: The sensitivity floor, in `[0, 1]`." + _AT_ARGS
    )
    _constrained, _dependent, _value_name = "sensitivity", "specificity", "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.sensitivity = _checked_rate("sensitivity", sensitivity)
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


@register_builtin
class PrecisionAtRecall(SensitivitySpecificityBase):
    __doc__ = (
        "Best precision at a threshold whose recall is >= `recall`.\n\n"
        "    Args:\n        recall: The recall floor, in `[0, 1]`." + _AT_ARGS
    )
    _constrained, _dependent, _value_name = "sensitivity", "precision", "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.recall = _checked_rate("recall", recall)
        super().__init__(recall, num_thresholds, class_id, name, dtype)


@register_builtin
class RecallAtPrecision(SensitivitySpecificityBase):
    __doc__ = (
        "Best recall at a threshold whose precision is >= `precision`.\n\n"
        "    Args:\n        precision: The precision floor, in `[0, 1]`." + _AT_ARGS
    )
    _constrained, _dependent, _value_name = "precision", "sensitivity", "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.precision = _checked_rate("precision", precision)
        super().__init__(precision, num_thresholds, class_id, name, dtype)
