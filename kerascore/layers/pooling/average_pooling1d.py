"""`AveragePooling1D`: 1D average pooling."""

from kerascore.layers.pooling.base_pooling import BasePooling, pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class AveragePooling1D(BasePooling):
    __doc__ = pooling_doc(1, "average", "AveragePooling1D")
    pool_mode = "average"
    rank = 1


AvgPool1D = AveragePooling1D
