"""`MeanIoU`: mean intersection over union of classes."""

import tensorflow as tf

from kerascore import backend
from kerascore.metrics.metric import Metric
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin
class MeanIoU(Metric):
    """Mean intersection-over-union over classes, from an accumulated confusion matrix.

    Classes absent from both labels and predictions are left out of the mean.

    Args:
        num_classes: Number of classes (the confusion matrix is `num_classes` square).
        name: Name of the metric.
        dtype: Dtype of the confusion matrix; defaults to int64 (the result is float32).
        ignore_class: A label value whose samples are not counted.
        sparse_y_true: Whether labels are class ids (else one-hot, reduced by argmax).
        sparse_y_pred: Whether predictions are class ids (else scores, reduced by argmax).
        axis: Class axis for the argmax of non-sparse inputs.

    Raises:
        ValueError: if `num_classes` is not an integer >= 1.
    """

    _direction = "up"

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
        super().__init__(name=name, dtype=dtype or "int64")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.target_class_ids = list(range(num_classes))
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
        valid = denominator > 1e-9
        iou = tf.where(valid, true_positives / (denominator + backend.epsilon()), 0.0)
        num_valid = tf.reduce_sum(tf.cast(valid, "float32"))
        return tf.reduce_sum(iou, axis=self.axis) / (num_valid + backend.epsilon())

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
