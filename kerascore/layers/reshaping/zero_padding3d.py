"""`ZeroPadding3D`."""

from kerascore.layers.reshaping.base_zero_padding import BaseZeroPadding
from kerascore.saving.serialization import register_builtin


@register_builtin
class ZeroPadding3D(BaseZeroPadding):
    """Pads the three spatial axes of volumes with zeros.

    Args:
        padding: int, triple of ints or triple of (before, after) pairs.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.ZeroPadding3D(1)(np.ones((2, 2, 2, 2, 1))).shape  # (2, 4, 4, 4, 1)
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, padding, data_format, **kwargs)
