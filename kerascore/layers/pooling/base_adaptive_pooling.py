"""What the adaptive pooling layers share: PyTorch-style bins that tile the input into a
fixed number of windows along each spatial axis."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.ops import image as image_ops


def adaptive_bins(length, output_length):
    """The `[start, end)` windows of bin `i`: `floor(i L / n)` to `ceil((i + 1) L / n)`."""
    return [
        (index * length // output_length, -(-(index + 1) * length // output_length))
        for index in range(output_length)
    ]


class BaseAdaptivePooling(Layer):
    """Pools each spatial axis of `rank` into `output_size` windows of (nearly) equal size.

    Args:
        output_size: an int (every spatial axis) or a tuple with one int per spatial axis.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    rank = None
    reduce = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        sizes = (output_size,) * self.rank if isinstance(output_size, int) else output_size
        if (
            not isinstance(sizes, (tuple, list))
            or len(sizes) != self.rank
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes)
        ):
            raise ValueError(
                f"`output_size` must be a positive int or a tuple of {self.rank} positive ints. "
                f"Received: output_size={output_size!r}"
            )
        self.output_size = tuple(int(s) for s in sizes)
        self.data_format = image_ops.standardize_data_format(data_format)

    def _spatial_axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self.rank))

    def call(self, inputs):
        outputs = inputs
        for axis, output_length in zip(self._spatial_axes(), self.output_size):
            length = outputs.shape[axis]
            if length is None:
                raise ValueError(
                    f"Layer '{self.name}' needs statically known spatial sizes. Received: "
                    f"inputs.shape={tuple(inputs.shape)}"
                )
            windows = [
                type(self).reduce(
                    tf.gather(outputs, tf.range(start, end), axis=axis), axis=axis, keepdims=True
                )
                for start, end in adaptive_bins(length, output_length)
            ]
            outputs = tf.concat(windows, axis=axis)
        return outputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, output_length in zip(self._spatial_axes(), self.output_size):
            shape[axis] = output_length
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": list(self.output_size),
            "data_format": self.data_format,
        }
