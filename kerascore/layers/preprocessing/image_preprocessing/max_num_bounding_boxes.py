"""`MaxNumBoundingBoxes`: pads or truncates bounding boxes to a fixed count."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class MaxNumBoundingBoxes(Layer):
    """Makes every sample hold exactly `max_number` bounding boxes, so batches stack.

    Call it on `{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4),
    "labels": (batch, n)}}`: boxes past `max_number` are dropped, missing ones are filled
    with `fill_value`. Images (and any other key) pass through; a plain image tensor is
    returned as it is.

    Args:
        max_number: the number of boxes per sample, a positive int.
        fill_value: the value of padding boxes and labels.
    """

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or not isinstance(max_number, int) or max_number < 1:
            raise ValueError(
                f"Expected `max_number` to be a positive int. Received: max_number={max_number!r}"
            )
        self.max_number = max_number
        self.fill_value = int(fill_value)
        self.autocast = False

    def call(self, inputs):
        if not isinstance(inputs, dict) or "bounding_boxes" not in inputs:
            return inputs
        boxes_in = inputs["bounding_boxes"]
        if set(boxes_in) - {"boxes", "labels"}:
            raise ValueError(
                "Only 'boxes' and 'labels' are supported in 'bounding_boxes'. Received keys: "
                f"{sorted(boxes_in)}"
            )
        boxes = tf.convert_to_tensor(boxes_in["boxes"])
        labels = tf.convert_to_tensor(boxes_in["labels"])
        pad = tf.maximum(self.max_number - tf.shape(boxes)[1], 0)
        boxes = tf.pad(
            boxes[:, : self.max_number],
            [[0, 0], [0, pad], [0, 0]],
            constant_values=tf.cast(self.fill_value, boxes.dtype),
        )
        labels = tf.pad(
            labels[:, : self.max_number],
            [[0, 0], [0, pad]],
            constant_values=tf.cast(self.fill_value, labels.dtype),
        )
        boxes = tf.ensure_shape(boxes, (None, self.max_number, 4))
        labels = tf.ensure_shape(labels, (None, self.max_number))
        return {**inputs, "bounding_boxes": {"boxes": boxes, "labels": labels}}

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shapes = input_shape["bounding_boxes"]
            return {
                **input_shape,
                "bounding_boxes": {
                    "boxes": (shapes["boxes"][0], self.max_number, 4),
                    "labels": (shapes["labels"][0], self.max_number),
                },
            }
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "max_number": self.max_number,
            "fill_value": self.fill_value,
        }
