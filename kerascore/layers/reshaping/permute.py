"""`Permute`: permutes the non-batch axes."""

import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import is_int


@register_builtin
class Permute(Layer):
    """Permutes the non-batch axes of the input.

    Args:
        dims: tuple of ints, a permutation of `1..rank-1` (the batch axis 0 stays in place).

    Example:
        layers.Permute((2, 1))(np.ones((4, 10, 64))).shape  # (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            dims = None
        if (
            dims is None
            or not all(is_int(d) for d in dims)
            or sorted(dims) != list(range(1, len(dims) + 1))
        ):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received: dims={dims!r}"
            )
        self.dims = tuple(int(d) for d in dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return tf.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
