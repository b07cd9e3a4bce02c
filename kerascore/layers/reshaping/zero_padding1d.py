"""`ZeroPadding1D`."""

from kerascore.layers.reshaping.base_zero_padding import BaseZeroPadding
from kerascore.saving.serialization import register_builtin


@register_builtin
class ZeroPadding1D(BaseZeroPadding):
    """Pads the steps axis with zeros.

    Args:
        padding: int or pair of ints, zeros to add at the start and the end.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.ZeroPadding1D(2)(np.ones((2, 3, 4))).shape  # (2, 7, 4)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(1, padding, data_format, **kwargs)
