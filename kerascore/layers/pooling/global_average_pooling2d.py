"""`GlobalAveragePooling2D`: average over the 2 spatial axes."""

from kerascore.layers.pooling.base_global_pooling import (
    BaseGlobalAveragePooling,
    global_pooling_doc,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class GlobalAveragePooling2D(BaseGlobalAveragePooling):
    __doc__ = global_pooling_doc(2, "average", "GlobalAveragePooling2D")
    rank = 2


GlobalAvgPool2D = GlobalAveragePooling2D
