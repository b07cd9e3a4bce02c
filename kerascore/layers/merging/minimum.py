"""`Minimum` and `minimum`: element-wise minimum of a list of inputs."""

import tensorflow as tf

from kerascore.layers.merging.base_merge import MERGE_DOC, MaskedExtremum, functional_form
from kerascore.saving.serialization import register_builtin


@register_builtin
class Minimum(MaskedExtremum):
    __doc__ = MERGE_DOC.format(
        summary="The element-wise minimum of a list of tensors.",
        count="two or more",
        name="Minimum",
    )
    extremum = staticmethod(tf.minimum)


minimum = functional_form(Minimum)
