"""Intersection-over-union metrics: `IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`,
`OneHotMeanIoU`, all read from one accumulated confusion matrix."""

import tensorflow as tf

from kerascore import backend
from kerascore.metrics.metric import Metric
from kerascore.saving.serialization import register_builtin


@register_builtin
class IoU(Metric):
    """Intersection-over-union of chosen classes, averaged over those classes.

    `IoU = true_positives / (true_positives + false_positives + false_negatives)`, from a
    confusion matrix accumulated over batches. Target classes absent from both labels and
    predictions are left out of the mean.

    Args:
        num_classes: Number of classes (the confusion matrix is `num_classes` square).
        target_class_ids: The class ids whose IoU is averaged.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix; defaults to int64 (the result is float32).
        ignore_class: A label value whose samples are not counted.
        sparse_y_true: Whether labels are class ids (else one-hot, reduced by argmax).
        sparse_y_pred: Whether predictions are class ids (else scores, reduced by argmax).
        axis: Class axis for the argmax of non-sparse inputs.

    Raises:
        ValueError: if `num_classes` is not an integer >= 1 or a target class id is out of
            `[0, num_classes)`.
    """

    _direction = "up"

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                "Expected `num_classes` to be an integer >= 1. "
                f"Received: num_classes={num_classes!r}"
            )
        target_class_ids = list(target_class_ids)
        if not target_class_ids or max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Expected `target_class_ids` to be class ids in [0, {num_classes}). "
                f"Received: target_class_ids={target_class_ids}"
            )
        super().__init__(name=name, dtype=dtype or "int64")
        self.num_classes = num_classes
        self.target_class_ids = target_class_ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the (weighted) confusion matrix of one batch; out-of-range ids are dropped."""
        if not self.sparse_y_true:
            y_true = tf.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = tf.argmax(y_pred, axis=self.axis)
        y_true = tf.reshape(tf.cast(y_true, self.dtype), [-1])
        y_pred = tf.reshape(tf.cast(y_pred, self.dtype), [-1])
        sample_weight = tf.cast(1 if sample_weight is None else sample_weight, self.dtype)
        sample_weight = tf.broadcast_to(tf.reshape(sample_weight, [-1]), tf.shape(y_true))
        num_classes = tf.cast(self.num_classes, self.dtype)
        in_bounds = (y_true >= 0) & (y_true < num_classes) & (y_pred >= 0) & (y_pred < num_classes)
        if self.ignore_class is not None:
            in_bounds &= tf.not_equal(y_true, tf.cast(self.ignore_class, self.dtype))
        zeros = tf.zeros_like(y_true)
        y_true = tf.where(in_bounds, y_true, zeros)
        y_pred = tf.where(in_bounds, y_pred, zeros)
        sample_weight = tf.where(in_bounds, sample_weight, tf.zeros_like(sample_weight))
        self.total_cm.assign_add(
            tf.math.confusion_matrix(
                y_true, y_pred, self.num_classes, weights=sample_weight, dtype=self.dtype
            )
        )

    def result(self):
        sum_over_row = tf.cast(tf.reduce_sum(self.total_cm, axis=0), "float32")
        sum_over_col = tf.cast(tf.reduce_sum(self.total_cm, axis=1), "float32")
        true_positives = tf.cast(tf.linalg.diag_part(self.total_cm), "float32")
        denominator = sum_over_row + sum_over_col - true_positives
        target_class_ids = tf.constant(self.target_class_ids, dtype="int32")
        true_positives = tf.gather(true_positives, target_class_ids)
        denominator = tf.gather(denominator, target_class_ids)
        valid = denominator > 1e-9
        iou = tf.where(valid, true_positives / (denominator + backend.epsilon()), 0.0)
        num_valid = tf.reduce_sum(tf.cast(valid, "float32"))
        return tf.reduce_sum(iou, axis=self.axis) / (num_valid + backend.epsilon())

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@register_builtin
class BinaryIoU(IoU):
    """IoU of binary labels against scores thresholded at `threshold`.

    Args:
        target_class_ids: Which of the classes 0 and 1 are averaged.
        threshold: Scores `>= threshold` predict class 1.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Thresholds the scores, then adds the batch's confusion matrix."""
        y_pred = tf.cast(tf.cast(y_pred, "float32") >= self.threshold, self.dtype)
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {
            **Metric.get_config(self),
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
        }


@register_builtin
class MeanIoU(IoU):
    """Mean intersection-over-union over all classes.

    Args:
        num_classes: Number of classes.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix; defaults to int64 (the result is float32).
        ignore_class: A label value whose samples are not counted.
        sparse_y_true: Whether labels are class ids (else one-hot, reduced by argmax).
        sparse_y_pred: Whether predictions are class ids (else scores, reduced by argmax).
        axis: Class axis for the argmax of non-sparse inputs.
    """

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                "Expected `num_classes` to be an integer >= 1. "
                f"Received: num_classes={num_classes!r}"
            )
        super().__init__(
            num_classes=num_classes,
            target_class_ids=range(num_classes),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


@register_builtin
class OneHotIoU(IoU):
    """IoU of chosen classes for one-hot labels and per-class scores.

    Args:
        num_classes: Number of classes.
        target_class_ids: The class ids whose IoU is averaged.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix.
        ignore_class: A class id whose samples are not counted.
        sparse_y_pred: Whether predictions are class ids (else scores, reduced by argmax).
        axis: Class axis.
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@register_builtin
class OneHotMeanIoU(MeanIoU):
    """Mean IoU over all classes for one-hot labels and per-class scores.

    Args:
        num_classes: Number of classes.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix.
        ignore_class: A class id whose samples are not counted.
        sparse_y_pred: Whether predictions are class ids (else scores, reduced by argmax).
        axis: Class axis.
    """

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
