"""`Subtract` and `subtract`: the difference of two inputs."""

from kerascore.layers.merging.base_merge import MERGE_DOC, Merge, functional_form
from kerascore.saving.serialization import register_builtin


@register_builtin
class Subtract(Merge):
    __doc__ = MERGE_DOC.format(
        summary="Subtracts the second tensor from the first.", count="exactly two", name="Subtract"
    )
    exact_inputs = 2

    def _merge(self, inputs, masks):
        return inputs[0] - inputs[1]


subtract = functional_form(Subtract)
