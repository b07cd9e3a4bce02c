"""`MaxPooling3D`: 3D max pooling."""

from kerascore.layers.pooling.base_pooling import BasePooling, pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class MaxPooling3D(BasePooling):
    __doc__ = pooling_doc(3, "max", "MaxPooling3D")
    pool_mode = "max"
    rank = 3


MaxPool3D = MaxPooling3D
