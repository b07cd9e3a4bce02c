"""`Conv1DTranspose`: 1D transposed convolution."""

from kerascore.layers.convolutional.base_conv_transpose import CONV_TRANSPOSE_DOC, BaseConvTranspose
from kerascore.saving.serialization import register_builtin


@register_builtin
class Conv1DTranspose(BaseConvTranspose):
    __doc__ = CONV_TRANSPOSE_DOC.format(
        rank=1, spatial="steps", new_spatial="new_steps", example="5", doubled="10"
    )
    rank = 1


Convolution1DTranspose = Conv1DTranspose
