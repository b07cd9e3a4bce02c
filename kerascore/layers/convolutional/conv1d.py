"""`Conv1D`: 1D convolution (temporal)."""

from kerascore.layers.convolutional.base_conv import CONV_DOC, BaseConv
from kerascore.saving.serialization import register_builtin


@register_builtin
class Conv1D(BaseConv):
    __doc__ = CONV_DOC.format(
        rank=1,
        axes="steps",
        paddings='`"valid"`, `"same"` or `"causal"` (output[t] sees only inputs up to t)',
        spatial="steps",
        new_spatial="new_steps",
        example="5",
    )
    rank = 1


Convolution1D = Conv1D
