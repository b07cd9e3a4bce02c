"""`UpSampling1D`."""

from kerascore.layers.reshaping.base_up_sampling import BaseUpSampling
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import positive_int


@register_builtin
class UpSampling1D(BaseUpSampling):
    """Repeats each step `size` times: `(batch, steps, features)` → `(batch, steps * size,
    features)`.

    Args:
        size: positive int, the upsampling factor.

    Example:
        layers.UpSampling1D(2)(np.ones((2, 3, 4))).shape  # (2, 6, 4)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(1, positive_int("size", size), **kwargs)
