"""`Multiply` and `multiply`: element-wise product of a list of inputs."""

import tensorflow as tf

from kerascore.layers.merging.base_merge import MERGE_DOC, Merge, functional_form
from kerascore.saving.serialization import register_builtin


@register_builtin
class Multiply(Merge):
    __doc__ = MERGE_DOC.format(
        summary="Multiplies a list of tensors element-wise.", count="two or more", name="Multiply"
    )

    def _merge(self, inputs, masks):
        has_output_mask = all(mask is not None for mask in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = tf.broadcast_to(tf.expand_dims(tf.cast(mask, tf.bool), -1), tf.shape(x))
                x = tf.where(mask, x, tf.ones_like(x))
                if has_output_mask:
                    output_mask = mask if output_mask is None else tf.logical_or(output_mask, mask)
            output = x if output is None else output * x
        if has_output_mask:
            output = tf.where(output_mask, output, tf.zeros_like(output))
        return output


multiply = functional_form(Multiply)
