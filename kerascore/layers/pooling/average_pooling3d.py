"""`AveragePooling3D`: 3D average pooling."""

from kerascore.layers.pooling.base_pooling import BasePooling, pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class AveragePooling3D(BasePooling):
    __doc__ = pooling_doc(3, "average", "AveragePooling3D")
    pool_mode = "average"
    rank = 3


AvgPool3D = AveragePooling3D
