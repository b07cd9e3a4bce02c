"""`Maximum` and `maximum`: element-wise maximum of a list of inputs."""

import tensorflow as tf

from kerascore.layers.merging.base_merge import MERGE_DOC, MaskedExtremum, functional_form
from kerascore.saving.serialization import register_builtin


@register_builtin
class Maximum(MaskedExtremum):
    __doc__ = MERGE_DOC.format(
        summary="The element-wise maximum of a list of tensors.",
        count="two or more",
        name="Maximum",
    )
    extremum = staticmethod(tf.maximum)


maximum = functional_form(Maximum)
