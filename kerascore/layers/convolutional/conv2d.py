"""`Conv2D`: 2D convolution (spatial, over images)."""

from kerascore.layers.convolutional.base_conv import CONV_DOC, BaseConv
from kerascore.saving.serialization import register_builtin


@register_builtin
class Conv2D(BaseConv):
    __doc__ = CONV_DOC.format(
        rank=2,
        axes="height and width",
        paddings='`"valid"` or `"same"`',
        spatial="rows, cols",
        new_spatial="new_rows, new_cols",
        example="5, 5",
    )
    rank = 2


Convolution2D = Conv2D
