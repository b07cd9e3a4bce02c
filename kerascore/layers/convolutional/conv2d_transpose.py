"""`Conv2DTranspose`: 2D transposed convolution."""

from kerascore.layers.convolutional.base_conv_transpose import CONV_TRANSPOSE_DOC, BaseConvTranspose
from kerascore.saving.serialization import register_builtin


@register_builtin
class Conv2DTranspose(BaseConvTranspose):
    __doc__ = CONV_TRANSPOSE_DOC.format(
        rank=2,
        spatial="rows, cols",
        new_spatial="new_rows, new_cols",
        example="5, 5",
        doubled="10, 10",
    )
    rank = 2


Convolution2DTranspose = Conv2DTranspose
