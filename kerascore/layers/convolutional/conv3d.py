"""`Conv3D`: 3D convolution (over volumes)."""

from kerascore.layers.convolutional.base_conv import CONV_DOC, BaseConv
from kerascore.saving.serialization import register_builtin


@register_builtin
class Conv3D(BaseConv):
    __doc__ = CONV_DOC.format(
        rank=3,
        axes="three spatial axes",
        paddings='`"valid"` or `"same"`',
        spatial="d1, d2, d3",
        new_spatial="new_d1, new_d2, new_d3",
        example="5, 5, 5",
    )
    rank = 3


Convolution3D = Conv3D
