"""`Conv3DTranspose`: 3D transposed convolution."""

from kerascore.layers.convolutional.base_conv_transpose import CONV_TRANSPOSE_DOC, BaseConvTranspose
from kerascore.saving.serialization import register_builtin


@register_builtin
class Conv3DTranspose(BaseConvTranspose):
    __doc__ = CONV_TRANSPOSE_DOC.format(
        rank=3,
        spatial="d1, d2, d3",
        new_spatial="new_d1, new_d2, new_d3",
        example="5, 5, 5",
        doubled="10, 10, 10",
    )
    rank = 3


Convolution3DTranspose = Conv3DTranspose
