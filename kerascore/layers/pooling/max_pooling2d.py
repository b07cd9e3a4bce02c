"""`MaxPooling2D`: 2D max pooling."""

from kerascore.layers.pooling.base_pooling import BasePooling, pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class MaxPooling2D(BasePooling):
    __doc__ = pooling_doc(2, "max", "MaxPooling2D")
    pool_mode = "max"
    rank = 2


MaxPool2D = MaxPooling2D
