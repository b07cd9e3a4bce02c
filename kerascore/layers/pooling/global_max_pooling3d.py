"""`GlobalMaxPooling3D`: max over the 3 spatial axes."""

from kerascore.layers.pooling.base_global_pooling import BaseGlobalMaxPooling, global_pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class GlobalMaxPooling3D(BaseGlobalMaxPooling):
    __doc__ = global_pooling_doc(3, "max", "GlobalMaxPooling3D")
    rank = 3


GlobalMaxPool3D = GlobalMaxPooling3D
