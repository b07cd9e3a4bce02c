"""`AveragePooling2D`: 2D average pooling."""

from kerascore.layers.pooling.base_pooling import BasePooling, pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class AveragePooling2D(BasePooling):
    __doc__ = pooling_doc(2, "average", "AveragePooling2D")
    pool_mode = "average"
    rank = 2


AvgPool2D = AveragePooling2D
