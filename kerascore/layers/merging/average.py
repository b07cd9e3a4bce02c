"""`Average` and `average`: element-wise mean of a list of inputs."""

from kerascore.layers.merging.base_merge import MERGE_DOC, Merge, functional_form, masked_sum
from kerascore.saving.serialization import register_builtin


@register_builtin
class Average(Merge):
    __doc__ = MERGE_DOC.format(
        summary="Averages a list of tensors element-wise.", count="two or more", name="Average"
    )

    def _merge(self, inputs, masks):
        return masked_sum(inputs) / len(inputs)


average = functional_form(Average)
