"""Merging layers: combine a list of tensors into one (Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate, Dot) and their functional forms (`add([a, b])`, ...)."""

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]

import numpy as np
import tensorflow as tf

from kerascore.models.layer import Layer
from kerascore.saving.serialization import register_builtin


def _check_list(layer, input_shape, exactly=None):
    is_list = isinstance(input_shape, (list, tuple)) and all(
        isinstance(shape, (list, tuple)) for shape in input_shape
    )
    if not is_list or not input_shape:
        raise ValueError(
            f"A `{type(layer).__name__}` layer should be called on a list of inputs. "
            f"Received: input_shape={input_shape}"
        )
    if exactly is not None and len(input_shape) != exactly:
        raise ValueError(
            f"A `{type(layer).__name__}` layer should be called on exactly {exactly} inputs. "
            f"Received {len(input_shape)} inputs with shapes {[tuple(s) for s in input_shape]}"
        )


def _broadcast_shapes(shape1, shape2, all_shapes):
    """Keras's element-wise output shape (without batch) of two right-aligned shapes."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    output = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2) :], shape2):
        if i is None or j is None:
            output.append(None)
        elif i == 1 or j == 1:
            output.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(
                "Inputs have incompatible shapes. Received shapes "
                f"{[tuple(s) for s in all_shapes]}; element-wise merging needs equal sizes "
                "(or 1) in each non-batch dimension."
            )
        else:
            output.append(i)
    return tuple(output)


class _Merge(Layer):
    """Base of the element-wise merges: shape checks, rank alignment, mask combination."""

    exact_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _build_takes_list(self):
        return True

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        _check_list(self, input_shape, self.exact_inputs)
        batch_sizes = {shape[0] for shape in input_shape if len(shape)} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                "Cannot merge tensors with different batch sizes. Received tensors with "
                f"shapes {[tuple(s) for s in input_shape]}"
            )
        output = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output = _broadcast_shapes(output, tuple(shape[1:]), input_shape)
        return (batch_sizes.pop() if batch_sizes else None, *output)

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"A `{type(self).__name__}` layer should be called on a list of inputs. "
                f"Received: inputs={inputs!r}"
            )
        inputs = list(inputs)
        rank = max(x.shape.rank for x in inputs)
        for index, x in enumerate(inputs):
            for _ in range(rank - x.shape.rank):
                x = tf.expand_dims(x, 1)
            inputs[index] = x
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        return self._merge(inputs, masks)

    def _merge(self, inputs, masks):
        raise NotImplementedError

    def compute_mask(self, inputs, previous_mask):
        if not isinstance(previous_mask, (list, tuple)) or any(m is None for m in previous_mask):
            return None
        output = tf.cast(previous_mask[0], tf.bool)
        for m in previous_mask[1:]:
            output = tf.logical_or(output, tf.cast(m, tf.bool))
        return output


def _masked_merge(op, inputs, masks):
    """Keras's rule for maximum/minimum: a masked entry takes the other operand's value."""
    output, output_mask = None, None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = tf.broadcast_to(tf.expand_dims(tf.cast(mask, tf.bool), -1), tf.shape(x))
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = tf.where(mask, x, output)
        if output_mask is not None:
            output = tf.where(output_mask, output, x)
        output_mask = (
            tf.logical_or(output_mask, mask)
            if mask is not None and output_mask is not None
            else None
        )
        output = op(output, x)
    return output


def _sum(inputs):
    """The sum of `inputs`, added left to right."""
    output = inputs[0]
    for x in inputs[1:]:
        output = output + x
    return output


class _MaskedExtremum(_Merge):
    """Maximum or minimum (`extremum`), where a masked entry takes the other operand's value."""

    extremum = None

    def _merge(self, inputs, masks):
        return _masked_merge(self.extremum, inputs, masks)


_MERGE_DOC = """{summary}

    Call it on a list of {count} tensors of the same shape (sizes of 1 broadcast; inputs
    of lower rank get size-1 axes inserted after the batch axis).

    Input shape:
        A list of tensors `(batch, ...)`.

    Output shape:
        `(batch, ...)`, the broadcast shape.

    Example:
        layers.{name}()([np.ones((2, 3)), np.ones((2, 3))]).shape  # (2, 3)
    """


@register_builtin
class Add(_Merge):
    __doc__ = _MERGE_DOC.format(summary="Adds a list of tensors.", count="two or more", name="Add")

    def _merge(self, inputs, masks):
        return _sum(inputs)


@register_builtin
class Subtract(_Merge):
    __doc__ = _MERGE_DOC.format(
        summary="Subtracts the second tensor from the first.", count="exactly two", name="Subtract"
    )
    exact_inputs = 2

    def _merge(self, inputs, masks):
        return inputs[0] - inputs[1]


@register_builtin
class Multiply(_Merge):
    __doc__ = _MERGE_DOC.format(
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


@register_builtin
class Average(_Merge):
    __doc__ = _MERGE_DOC.format(
        summary="Averages a list of tensors element-wise.", count="two or more", name="Average"
    )

    def _merge(self, inputs, masks):
        return _sum(inputs) / len(inputs)


@register_builtin
class Maximum(_MaskedExtremum):
    __doc__ = _MERGE_DOC.format(
        summary="The element-wise maximum of a list of tensors.",
        count="two or more",
        name="Maximum",
    )
    extremum = staticmethod(tf.maximum)


@register_builtin
class Minimum(_MaskedExtremum):
    __doc__ = _MERGE_DOC.format(
        summary="The element-wise minimum of a list of tensors.",
        count="two or more",
        name="Minimum",
    )
    extremum = staticmethod(tf.minimum)


@register_builtin
class Concatenate(_Merge):
    """Concatenates a list of tensors along `axis`.

    Args:
        axis: the axis to concatenate along; all other sizes must match.

    Input shape:
        A list of tensors of the same rank.

    Output shape:
        The common shape, with the sizes along `axis` summed.

    Example:
        layers.Concatenate()([np.ones((2, 3)), np.ones((2, 4))]).shape  # (2, 7)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValueError(f"Expected an int for the argument `axis`. Received: axis={axis!r}")
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        _check_list(self, input_shape)
        shapes = [tuple(shape) for shape in input_shape]
        ranks = {len(shape) for shape in shapes}
        message = (
            "A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis (axis={self.axis}). Received: input_shape={shapes}"
        )
        if len(ranks) != 1:
            raise ValueError(message)
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"axis={self.axis} is out of bounds for inputs of rank {rank}. Received: "
                f"input_shape={shapes}"
            )
        axis = self.axis % rank
        output = list(shapes[0])
        for position in range(rank):
            sizes = [shape[position] for shape in shapes]
            if position == axis:
                output[position] = None if None in sizes else sum(sizes)
            else:
                known = {size for size in sizes if size is not None}
                if len(known) > 1:
                    raise ValueError(message)
                output[position] = known.pop() if known else None
        return tuple(output)

    def call(self, inputs):
        return tf.concat(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, previous_mask):
        if not isinstance(previous_mask, (list, tuple)) or all(m is None for m in previous_mask):
            return None
        masks = []
        for x, mask in zip(inputs, previous_mask):
            if mask is None:
                masks.append(tf.ones_like(x, dtype=tf.bool))
            elif mask.shape.rank < x.shape.rank:
                masks.append(
                    tf.logical_or(
                        tf.expand_dims(tf.cast(mask, tf.bool), -1), tf.zeros_like(x, dtype=tf.bool)
                    )
                )
            else:
                masks.append(tf.cast(mask, tf.bool))
        return tf.reduce_any(tf.concat(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@register_builtin
class Dot(_Merge):
    """The dot product of two tensors along `axes`, sample by sample.

    For inputs `(batch, n)` and `(batch, n)` with `axes=1` the output is `(batch, 1)`; in
    general the output has `x`'s axes less the summed one, then `y`'s less its batch and
    summed axes.

    Args:
        axes: int or pair of ints, the axis of each input to sum over (not the batch axis).
        normalize: whether to L2-normalize both inputs along the summed axes first, which
            makes the output the cosine similarity.

    Example:
        layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 3))]).shape  # (2, 1)
    """

    exact_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)

        def is_int(value):
            return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

        valid = is_int(axes) or (
            isinstance(axes, (list, tuple)) and len(axes) == 2 and all(is_int(a) for a in axes)
        )
        if not valid:
            raise ValueError(
                "Invalid value for argument `axes`: expected an int or a list of two ints. "
                f"Received: axes={axes!r}"
            )
        self.axes = int(axes) if is_int(axes) else [int(a) for a in axes]
        self.normalize = bool(normalize)

    def _resolved_axes(self, shape1, shape2):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        resolved = [axes[0] % len(shape1), axes[1] % len(shape2)]
        if 0 in resolved:
            raise ValueError(
                f"`Dot` cannot sum over the batch axis. Received: axes={self.axes} for input "
                f"shapes {tuple(shape1)}, {tuple(shape2)}"
            )
        return resolved

    def compute_output_shape(self, input_shape):
        _check_list(self, input_shape, exactly=2)
        shape1, shape2 = (list(shape) for shape in input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                "`Dot` needs inputs of rank >= 2. Received shapes "
                f"{tuple(shape1)} and {tuple(shape2)}"
            )
        axis1, axis2 = self._resolved_axes(shape1, shape2)
        if (
            shape1[axis1] is not None
            and shape2[axis2] is not None
            and (shape1[axis1] != shape2[axis2])
        ):
            raise ValueError(
                f"Incompatible input shapes: axis values {shape1[axis1]} (at axis {axis1}) != "
                f"{shape2[axis2]} (at axis {axis2}). Full input shapes: {tuple(shape1)}, "
                f"{tuple(shape2)}"
            )
        shape1.pop(axis1)
        shape2.pop(axis2)
        output = shape1 + shape2[1:]
        return tuple(output + [1] if len(output) == 1 else output)

    def call(self, inputs):
        x, y = inputs
        axis1, axis2 = self._resolved_axes(x.shape, y.shape)
        if self.normalize:
            x = tf.math.l2_normalize(x, axis=axis1, epsilon=1e-14)
            y = tf.math.l2_normalize(y, axis=axis2, epsilon=1e-14)
        letters = "abcdefghijklmnopqrstuvw"
        x_subscripts = list(letters[: x.shape.rank])
        y_subscripts = ["z", *letters[x.shape.rank : x.shape.rank + y.shape.rank - 1]]
        y_subscripts[0] = x_subscripts[0]
        y_subscripts[axis2] = x_subscripts[axis1]
        kept = [s for i, s in enumerate(x_subscripts) if i != axis1] + [
            s for i, s in enumerate(y_subscripts) if i not in (0, axis2)
        ]
        output = tf.einsum(
            f"{''.join(x_subscripts)},{''.join(y_subscripts)}->{''.join(kept)}", x, y
        )
        return tf.expand_dims(output, -1) if output.shape.rank == 1 else output

    def compute_mask(self, inputs, previous_mask):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _functional_form(layer_class):
    """`name(inputs, **kwargs)`: builds a `layer_class(**kwargs)` and calls it on `inputs`."""
    name = layer_class.__name__.lower()

    def merge(inputs, **kwargs):
        return layer_class(**kwargs)(inputs)

    merge.__name__ = merge.__qualname__ = name
    merge.__doc__ = f"Functional form of `{layer_class.__name__}`: `{name}([a, b])`."
    return merge


add = _functional_form(Add)
subtract = _functional_form(Subtract)
multiply = _functional_form(Multiply)
average = _functional_form(Average)
maximum = _functional_form(Maximum)
minimum = _functional_form(Minimum)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `concatenate([a, b], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `dot([a, b], axes=1)`."""
    return Dot(axes=axes, **kwargs)(inputs)
