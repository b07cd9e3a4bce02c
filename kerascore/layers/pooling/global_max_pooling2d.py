"""`GlobalMaxPooling2D`: max over the 2 spatial axes."""

from kerascore.layers.pooling.base_global_pooling import BaseGlobalMaxPooling, global_pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class GlobalMaxPooling2D(BaseGlobalMaxPooling):
    __doc__ = global_pooling_doc(2, "max", "GlobalMaxPooling2D")
    rank = 2


GlobalMaxPool2D = GlobalMaxPooling2D
