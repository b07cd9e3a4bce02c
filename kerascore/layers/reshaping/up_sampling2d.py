"""`UpSampling2D`."""

from kerascore.layers.reshaping.base_up_sampling import BaseUpSampling
from kerascore.saving.serialization import register_builtin


@register_builtin
class UpSampling2D(BaseUpSampling):
    """Upsamples images by `size` along rows and columns.

    Args:
        size: int or pair of ints, the factors for rows and columns.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        interpolation: `"nearest"` (repeat) or one of `"bilinear"`, `"bicubic"`,
            `"lanczos3"`, `"lanczos5"`, `"area"` (resizing as `tf.image.resize`).

    Example:
        layers.UpSampling2D(2, interpolation="bilinear")(np.ones((2, 3, 3, 1))).shape
        # (2, 6, 6, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(2, size, data_format, interpolation, **kwargs)
