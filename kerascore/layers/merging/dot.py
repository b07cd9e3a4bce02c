"""`Dot` and `dot`: dot products between samples of two inputs."""

import numpy as np
import tensorflow as tf

from kerascore.layers.merging.base_merge import Merge, check_list
from kerascore.saving.serialization import register_builtin


@register_builtin
class Dot(Merge):
    """The dot product of two tensors along `axes`, sample by sample.

    For inputs `(batch, n)` and `(batch, n)` with `axes=1` the output is `(batch, 1)`; in
    general the output has `x`'s axes less the summed one, then `y`'s less its batch and
    summed axes.

    Args:
        axes: int or pair of ints, the axis of each input to sum over (not the batch axis).
        normalize: whether to L2-normalize both inputs along the summed axes first, which
            makes the output the cosine similarity.

    Example:
        layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 3))]).shape  # (2, 1)
    """

    exact_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)

        def is_int(value):
            return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

        valid = is_int(axes) or (
            isinstance(axes, (list, tuple)) and len(axes) == 2 and all(is_int(a) for a in axes)
        )
        if not valid:
            raise ValueError(
                "Invalid value for argument `axes`: expected an int or a list of two ints. "
                f"Received: axes={axes!r}"
            )
        self.axes = int(axes) if is_int(axes) else [int(a) for a in axes]
        self.normalize = bool(normalize)

    def _resolved_axes(self, shape1, shape2):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        resolved = [axes[0] % len(shape1), axes[1] % len(shape2)]
        if 0 in resolved:
            raise ValueError(
                f"`Dot` cannot sum over the batch axis. Received: axes={self.axes} for input "
                f"shapes {tuple(shape1)}, {tuple(shape2)}"
            )
        return resolved

    def compute_output_shape(self, input_shape):
        check_list(self, input_shape, exactly=2)
        shape1, shape2 = (list(shape) for shape in input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                "`Dot` needs inputs of rank >= 2. Received shapes "
                f"{tuple(shape1)} and {tuple(shape2)}"
            )
        axis1, axis2 = self._resolved_axes(shape1, shape2)
        if (
            shape1[axis1] is not None
            and shape2[axis2] is not None
            and (shape1[axis1] != shape2[axis2])
        ):
            raise ValueError(
                f"Incompatible input shapes: axis values {shape1[axis1]} (at axis {axis1}) != "
                f"{shape2[axis2]} (at axis {axis2}). Full input shapes: {tuple(shape1)}, "
                f"{tuple(shape2)}"
            )
        shape1.pop(axis1)
        shape2.pop(axis2)
        output = shape1 + shape2[1:]
        return tuple(output + [1] if len(output) == 1 else output)

    def call(self, inputs):
        x, y = inputs
        axis1, axis2 = self._resolved_axes(x.shape, y.shape)
        if self.normalize:
            x = tf.math.l2_normalize(x, axis=axis1, epsilon=1e-14)
            y = tf.math.l2_normalize(y, axis=axis2, epsilon=1e-14)
        letters = "abcdefghijklmnopqrstuvw"
        x_subscripts = list(letters[: x.shape.rank])
        y_subscripts = ["z", *letters[x.shape.rank : x.shape.rank + y.shape.rank - 1]]
        y_subscripts[0] = x_subscripts[0]
        y_subscripts[axis2] = x_subscripts[axis1]
        kept = [s for i, s in enumerate(x_subscripts) if i != axis1] + [
            s for i, s in enumerate(y_subscripts) if i not in (0, axis2)
        ]
        output = tf.einsum(
            f"{''.join(x_subscripts)},{''.join(y_subscripts)}->{''.join(kept)}", x, y
        )
        return tf.expand_dims(output, -1) if output.shape.rank == 1 else output

    def compute_mask(self, inputs, previous_mask):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `dot([a, b], axes=1)`."""
    return Dot(axes=axes, **kwargs)(inputs)
