"""`Cropping2D`."""

from kerascore.layers.reshaping.base_cropping import BaseCropping
from kerascore.saving.serialization import register_builtin


@register_builtin
class Cropping2D(BaseCropping):
    """Crops rows and columns of images.

    Args:
        cropping: int, pair of ints (symmetric rows, cols) or pair of pairs
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.Cropping2D(((1, 1), (2, 0)))(np.ones((2, 6, 6, 3))).shape  # (2, 4, 4, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(2, cropping, data_format, **kwargs)
