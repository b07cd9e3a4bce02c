"""`ZeroPadding2D`."""

from kerascore.layers.reshaping.base_zero_padding import BaseZeroPadding
from kerascore.saving.serialization import register_builtin


@register_builtin
class ZeroPadding2D(BaseZeroPadding):
    """Pads rows and columns of images with zeros.

    Args:
        padding: int, pair of ints (symmetric rows, cols) or pair of pairs
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.ZeroPadding2D(1)(np.ones((2, 3, 3, 1))).shape  # (2, 5, 5, 1)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(2, padding, data_format, **kwargs)
