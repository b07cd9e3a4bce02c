"""`DepthwiseConv1D`: 1D depthwise convolution."""

from kerascore.layers.convolutional.base_depthwise_conv import DEPTHWISE_DOC, BaseDepthwiseConv
from kerascore.saving.serialization import register_builtin


@register_builtin
class DepthwiseConv1D(BaseDepthwiseConv):
    __doc__ = DEPTHWISE_DOC.format(rank=1, spatial="steps", new_spatial="new_steps", example="5")
    rank = 1
