"""What the merging layers share: list checks, shape broadcasting, masks."""

import tensorflow as tf

from kerascore.layers.layer import Layer


def check_list(layer, input_shape, exactly=None):
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


class Merge(Layer):
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
        check_list(self, input_shape, self.exact_inputs)
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


def masked_merge(op, inputs, masks):
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


def masked_sum(inputs):
    """The sum of `inputs`, added left to right."""
    output = inputs[0]
    for x in inputs[1:]:
        output = output + x
    return output


class MaskedExtremum(Merge):
    """Maximum or minimum (`extremum`), where a masked entry takes the other operand's value."""

    extremum = None

    def _merge(self, inputs, masks):
        return masked_merge(self.extremum, inputs, masks)


MERGE_DOC = """{summary}

    Call it on a list of {count} tensors of the same shape (sizes of 1 broadcast; inputs
    of lower rank get size-1 axes inserted after the batch axis).

    Input shape:
        A list of tensors `(batch, ...)`.

    Output shape:
        `(batch, ...)`, the broadcast shape.

    Example:
        layers.{name}()([np.ones((2, 3)), np.ones((2, 3))]).shape  # (2, 3)
    """


def functional_form(layer_class):
    """`name(inputs, **kwargs)`: builds a `layer_class(**kwargs)` and calls it on `inputs`."""
    name = layer_class.__name__.lower()

    def merge(inputs, **kwargs):
        return layer_class(**kwargs)(inputs)

    merge.__name__ = merge.__qualname__ = name
    merge.__doc__ = f"Functional form of `{layer_class.__name__}`: `{name}([a, b])`."
    return merge
