"""`SeparableConv1D`: 1D separable convolution."""

from kerascore.layers.convolutional.base_separable_conv import SEPARABLE_DOC, BaseSeparableConv
from kerascore.saving.serialization import register_builtin


@register_builtin
class SeparableConv1D(BaseSeparableConv):
    __doc__ = SEPARABLE_DOC.format(rank=1, spatial="steps", new_spatial="new_steps", example="5")
    rank = 1


SeparableConvolution1D = SeparableConv1D
