"""`Cropping1D`."""

from kerascore.layers.reshaping.base_cropping import BaseCropping
from kerascore.saving.serialization import register_builtin


@register_builtin
class Cropping1D(BaseCropping):
    """Crops along the steps axis of `(batch, steps, features)` inputs.

    Args:
        cropping: int or pair of ints, how many steps to remove at the start and the end.

    Example:
        layers.Cropping1D((1, 2))(np.ones((2, 6, 3))).shape  # (2, 3, 3)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(1, cropping, **kwargs)
