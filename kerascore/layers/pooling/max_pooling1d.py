"""`MaxPooling1D`: 1D max pooling."""

from kerascore.layers.pooling.base_pooling import BasePooling, pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class MaxPooling1D(BasePooling):
    __doc__ = pooling_doc(1, "max", "MaxPooling1D")
    pool_mode = "max"
    rank = 1


MaxPool1D = MaxPooling1D
