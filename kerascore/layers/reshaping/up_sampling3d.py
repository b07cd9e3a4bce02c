"""`UpSampling3D`."""

from kerascore.layers.reshaping.base_up_sampling import BaseUpSampling
from kerascore.saving.serialization import register_builtin


@register_builtin
class UpSampling3D(BaseUpSampling):
    """Upsamples volumes by repeating along the three spatial axes.

    Args:
        size: int or triple of ints, the factors.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.UpSampling3D(2)(np.ones((1, 2, 2, 2, 1))).shape  # (1, 4, 4, 4, 1)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(3, size, data_format, **kwargs)
