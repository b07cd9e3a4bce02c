"""`DepthwiseConv2D`: 2D depthwise convolution."""

from kerascore.layers.convolutional.base_depthwise_conv import DEPTHWISE_DOC, BaseDepthwiseConv
from kerascore.saving.serialization import register_builtin


@register_builtin
class DepthwiseConv2D(BaseDepthwiseConv):
    __doc__ = DEPTHWISE_DOC.format(
        rank=2, spatial="rows, cols", new_spatial="new_rows, new_cols", example="5, 5"
    )
    rank = 2
