"""`Cropping3D`."""

from kerascore.layers.reshaping.base_cropping import BaseCropping
from kerascore.saving.serialization import register_builtin


@register_builtin
class Cropping3D(BaseCropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: int, triple of ints or triple of (before, after) pairs.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.Cropping3D(1)(np.ones((2, 4, 4, 4, 1))).shape  # (2, 2, 2, 2, 1)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, cropping, data_format, **kwargs)
