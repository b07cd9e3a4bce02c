"""`GlobalAveragePooling3D`: average over the 3 spatial axes."""

from kerascore.layers.pooling.base_global_pooling import (
    BaseGlobalAveragePooling,
    global_pooling_doc,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class GlobalAveragePooling3D(BaseGlobalAveragePooling):
    __doc__ = global_pooling_doc(3, "average", "GlobalAveragePooling3D")
    rank = 3


GlobalAvgPool3D = GlobalAveragePooling3D
