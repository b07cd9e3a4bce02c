"""`Softmax`: softmax over an axis, with an optional mask."""

import numpy as np
import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


def _large_negative_number(dtype):
    return -3e4 if dtype == tf.float16 else -1e9


@register_builtin
class Softmax(Layer):
    """Softmax over `axis`: `exp(x) / sum(exp(x), axis)`.

    Args:
        axis: int or list of ints, the axes to normalize over.

    Call arguments:
        mask: optional tensor broadcastable to the inputs; positions where it is False
            (or <= 0.5) get probability 0 and the others share the mass.

    Example:
        layers.Softmax()(np.array([[1.0, 1.0]]))  # [[0.5, 0.5]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        valid = isinstance(axis, (int, np.integer)) or (
            isinstance(axis, (list, tuple))
            and axis
            and all(isinstance(a, (int, np.integer)) for a in axis)
        )
        if not valid or isinstance(axis, bool):
            raise ValueError(
                f"Expected an int or a list of ints for `axis` of Softmax. Received: axis={axis!r}"
            )
        self.axis = int(axis) if isinstance(axis, (int, np.integer)) else [int(a) for a in axis]
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = tf.convert_to_tensor(mask)
            if mask.shape.rank > inputs.shape.rank or any(
                m is not None and i is not None and m not in (1, i)
                for m, i in zip(mask.shape.as_list()[::-1], inputs.shape.as_list()[::-1])
            ):
                raise ValueError(
                    "The `mask` must be broadcastable to `inputs`. Received: "
                    f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
                )
            if mask.dtype != tf.bool:
                mask = mask > tf.cast(0.5, mask.dtype)
            inputs = tf.where(
                mask, inputs, tf.cast(_large_negative_number(inputs.dtype), inputs.dtype)
            )
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = tf.exp(inputs - tf.reduce_logsumexp(inputs, axis=self.axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = tf.nn.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = tf.where(mask, outputs, tf.zeros_like(outputs))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
