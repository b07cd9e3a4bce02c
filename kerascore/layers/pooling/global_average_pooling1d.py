"""`GlobalAveragePooling1D`: average over the 1 spatial axes."""

import tensorflow as tf

from kerascore.layers.pooling.base_global_pooling import (
    BaseGlobalAveragePooling,
    global_pooling_doc,
)
from kerascore.saving.serialization import register_builtin


@register_builtin
class GlobalAveragePooling1D(BaseGlobalAveragePooling):
    __doc__ = global_pooling_doc(
        1,
        "average",
        "GlobalAveragePooling1D",
        mask_note=(
            "\n\n    Call arguments:\n        mask: optional boolean `(batch, steps)`; masked "
            "steps are left out of\n            the average (passed on by "
            "`Embedding(mask_zero=True)` or `Masking`)."
        ),
    )

    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes()[0]
        mask = tf.expand_dims(tf.cast(mask, tf.bool), 2 if steps_axis == 1 else 1)
        total = tf.reduce_sum(
            tf.where(mask, inputs, tf.zeros_like(inputs)), axis=steps_axis, keepdims=self.keepdims
        )
        count = tf.reduce_sum(tf.cast(mask, inputs.dtype), axis=steps_axis, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs, previous_mask):
        return None


GlobalAvgPool1D = GlobalAveragePooling1D
