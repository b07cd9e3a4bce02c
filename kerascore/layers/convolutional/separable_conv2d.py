"""`SeparableConv2D`: 2D separable convolution."""

from kerascore.layers.convolutional.base_separable_conv import SEPARABLE_DOC, BaseSeparableConv
from kerascore.saving.serialization import register_builtin


@register_builtin
class SeparableConv2D(BaseSeparableConv):
    __doc__ = SEPARABLE_DOC.format(
        rank=2, spatial="rows, cols", new_spatial="new_rows, new_cols", example="5, 5"
    )
    rank = 2


SeparableConvolution2D = SeparableConv2D
