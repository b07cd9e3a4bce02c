"""`Add` and `add`: element-wise sum of a list of inputs."""

from kerascore.layers.merging.base_merge import MERGE_DOC, Merge, functional_form, masked_sum
from kerascore.saving.serialization import register_builtin


@register_builtin
class Add(Merge):
    __doc__ = MERGE_DOC.format(summary="Adds a list of tensors.", count="two or more", name="Add")

    def _merge(self, inputs, masks):
        return masked_sum(inputs)


add = functional_form(Add)
