"""`GlobalMaxPooling1D`: max over the 1 spatial axes."""

from kerascore.layers.pooling.base_global_pooling import BaseGlobalMaxPooling, global_pooling_doc
from kerascore.saving.serialization import register_builtin


@register_builtin
class GlobalMaxPooling1D(BaseGlobalMaxPooling):
    __doc__ = global_pooling_doc(1, "max", "GlobalMaxPooling1D")
    rank = 1


GlobalMaxPool1D = GlobalMaxPooling1D
