"""`rearrange`: einops-style axis permutation, splitting and merging, as `keras.ops`."""

import math
import re

import tensorflow as tf

from kerascore.ops.core import _convert
from kerascore.ops.symbolic import op


def _axes_of(pattern):
    return re.findall(r"\w+|\(.*?\)", pattern)


def _groups(axes):
    return [group[1:-1].split() if group.startswith("(") else [group] for group in axes]


@op("rearrange")
def rearrange(tensor, pattern, **axes_lengths):
    """Permutes, splits and merges axes as an einops pattern says.

    Example:

        rearrange(images, "b h w c -> b c h w")
        rearrange(images, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=2)

    Args:
        tensor: the input tensor.
        pattern: `"<input axes> -> <output axes>"`; parentheses group axes to split (input)
            or merge (output).
        **axes_lengths: sizes of the axes a split cannot infer.

    Returns:
        The rearranged tensor.

    Raises:
        ValueError: if the pattern does not have one `->`, or its input side does not match
            the rank of `tensor`.
    """
    tensor = _convert(tensor)
    sides = re.split(r"\s*->\s*", pattern.strip())
    if len(sides) != 2:
        raise ValueError(
            f"Expected a pattern '<input axes> -> <output axes>'. Received: pattern={pattern!r}"
        )
    input_groups = _groups(_axes_of(sides[0]))
    output_groups = _groups(_axes_of(sides[1]))
    if len(input_groups) != tensor.shape.rank:
        raise ValueError(
            f"The pattern names {len(input_groups)} input axes, but the tensor has rank "
            f"{tensor.shape.rank}. Received: pattern={pattern!r}, shape={tuple(tensor.shape)}"
        )
    dynamic = tf.shape(tensor)
    sizes = dict(axes_lengths)
    for index, group in enumerate(input_groups):
        dim = tensor.shape[index] if tensor.shape[index] is not None else dynamic[index]
        unknown = [name for name in group if name not in sizes]
        if len(group) == 1 and unknown:
            sizes[group[0]] = dim
        elif unknown:
            sizes[unknown[0]] = dim // math.prod(sizes[name] for name in group if name in sizes)
    flat_input = [name for group in input_groups for name in group]
    tensor = tf.reshape(tensor, [sizes[name] for name in flat_input])
    flat_output = [name for group in output_groups for name in group]
    tensor = tf.transpose(tensor, [flat_input.index(name) for name in flat_output])
    output_shape = []
    for group in output_groups:
        size = 1
        for name in group:
            size *= sizes[name]
        output_shape.append(size)
    return tf.reshape(tensor, output_shape)


__all__ = ["rearrange"]
