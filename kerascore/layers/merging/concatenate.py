"""`Concatenate` and `concatenate`: joins a list of inputs along an axis."""

import numpy as np
import tensorflow as tf

from kerascore.layers.merging.base_merge import Merge, check_list
from kerascore.saving.serialization import register_builtin


@register_builtin
class Concatenate(Merge):
    """Concatenates a list of tensors along `axis`.

    Args:
        axis: the axis to concatenate along; all other sizes must match.

    Input shape:
        A list of tensors of the same rank.

    Output shape:
        The common shape, with the sizes along `axis` summed.

    Example:
        layers.Concatenate()([np.ones((2, 3)), np.ones((2, 4))]).shape  # (2, 7)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValueError(f"Expected an int for the argument `axis`. Received: axis={axis!r}")
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        check_list(self, input_shape)
        shapes = [tuple(shape) for shape in input_shape]
        ranks = {len(shape) for shape in shapes}
        message = (
            "A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis (axis={self.axis}). Received: input_shape={shapes}"
        )
        if len(ranks) != 1:
            raise ValueError(message)
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"axis={self.axis} is out of bounds for inputs of rank {rank}. Received: "
                f"input_shape={shapes}"
            )
        axis = self.axis % rank
        output = list(shapes[0])
        for position in range(rank):
            sizes = [shape[position] for shape in shapes]
            if position == axis:
                output[position] = None if None in sizes else sum(sizes)
            else:
                known = {size for size in sizes if size is not None}
                if len(known) > 1:
                    raise ValueError(message)
                output[position] = known.pop() if known else None
        return tuple(output)

    def call(self, inputs):
        return tf.concat(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, previous_mask):
        if not isinstance(previous_mask, (list, tuple)) or all(m is None for m in previous_mask):
            return None
        masks = []
        for x, mask in zip(inputs, previous_mask):
            if mask is None:
                masks.append(tf.ones_like(x, dtype=tf.bool))
            elif mask.shape.rank < x.shape.rank:
                masks.append(
                    tf.logical_or(
                        tf.expand_dims(tf.cast(mask, tf.bool), -1), tf.zeros_like(x, dtype=tf.bool)
                    )
                )
            else:
                masks.append(tf.cast(mask, tf.bool))
        return tf.reduce_any(tf.concat(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `concatenate([a, b], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
