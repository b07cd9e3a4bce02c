"""Core ops: conversion, casting, shapes, control flow, scatter and slice updates."""

import builtins

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.ops.dtypes import result_type
from kerascore.ops.symbolic import _keras_tensor_class, op


def _convert(x, dtype=None):
    """Converts `x` to a tensor, casting where TensorFlow's conversion would refuse to."""
    if isinstance(x, tf.Variable):
        x = x.value()
    if dtype is not None:
        dtype = backend.standardize_dtype(dtype)
    if not tf.is_tensor(x):
        if dtype is None:
            return tf.convert_to_tensor(x)
        return tf.cast(tf.convert_to_tensor(x), dtype)
    if dtype is not None and x.dtype != dtype:
        return tf.cast(x, dtype)
    return x


@op("convert_to_tensor")
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Converts a NumPy array, list or scalar to a tensor.

    Args:
        x: the value to convert.
        dtype: the target dtype; the value's own dtype when omitted.
        sparse, ragged: accepted for Keras compatibility; results are always dense.

    Returns:
        A `tf.Tensor`.
    """
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(x)
    elif isinstance(x, tf.RaggedTensor):
        x = x.to_tensor()
    return _convert(x, dtype)


def convert_to_numpy(x):
    """Returns `x` (a tensor, variable or array) as a NumPy array."""
    if isinstance(x, _keras_tensor_class()):
        raise ValueError(
            "A symbolic KerasTensor has no value to convert to NumPy; it stands for data in a "
            f"model definition. Received: {x!r}"
        )
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(x)
    elif isinstance(x, tf.RaggedTensor):
        x = x.to_tensor()
    return np.array(x)


def is_tensor(x):
    """Whether `x` is a TensorFlow tensor (or variable)."""
    return tf.is_tensor(x)


def shape(x):
    """Returns the shape of `x` as a tuple: ints where known, scalar tensors where dynamic."""
    if isinstance(x, _keras_tensor_class()):
        return x.shape
    if not tf.is_tensor(x):
        x = tf.convert_to_tensor(x)
    if x.shape.rank is None:
        return tf.shape(x)
    dynamic = None
    result = []
    for index, dim in enumerate(x.shape.as_list()):
        if dim is None:
            dynamic = tf.shape(x) if dynamic is None else dynamic
            dim = dynamic[index]
        result.append(dim)
    return tuple(result)


def dtype(x):
    """Returns the dtype name of `x`, e.g. `"float32"`."""
    if isinstance(x, _keras_tensor_class()):
        return x.dtype
    return backend.standardize_dtype(getattr(x, "dtype", None) or _convert(x).dtype)


@op("cast")
def cast(x, dtype):
    """Casts `x` to `dtype`.

    Args:
        x: a tensor or array.
        dtype: the target dtype name or object.

    Returns:
        A tensor of dtype `dtype`.
    """
    return _convert(x, dtype)


@op("saturate_cast")
def saturate_cast(x, dtype):
    """Casts `x` to `dtype`, clipping values to the range the target dtype can hold."""
    return tf.dtypes.saturate_cast(_convert(x), backend.standardize_dtype(dtype))


@op("stop_gradient")
def stop_gradient(variable):
    """Returns `variable` with no gradient flowing back through it."""
    return tf.stop_gradient(variable)


def cond(pred, true_fn, false_fn):
    """Calls `true_fn()` if `pred` is true, else `false_fn()`; works inside compiled steps."""
    return tf.cond(pred, true_fn=true_fn, false_fn=false_fn)


def switch(index, branches, *operands):
    """Calls `branches[index](*operands)`, `index` clamped to the valid range."""
    index = tf.clip_by_value(_convert(index, "int32"), 0, len(branches) - 1)
    return tf.switch_case(index, [lambda fn=fn: fn(*operands) for fn in branches])


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`.

    Args:
        cond: a callable returning a boolean scalar.
        body: a callable returning new loop values of the same structure.
        loop_vars: a tensor, or a tuple or list of them.
        maximum_iterations: optional cap on the number of iterations.

    Returns:
        The final loop values, with the structure of `loop_vars`.
    """
    is_sequence = isinstance(loop_vars, (tuple, list))
    loop_vars = tuple(loop_vars) if is_sequence else (loop_vars,)

    def wrapped_body(*args):
        outputs = body(*args)
        return tuple(outputs) if is_sequence else (outputs,)

    outputs = tf.while_loop(cond, wrapped_body, loop_vars, maximum_iterations=maximum_iterations)
    return outputs if is_sequence else outputs[0]


def fori_loop(lower, upper, body_fun, init_val):
    """Returns `init_val` updated by `val = body_fun(i, val)` for `i` in `[lower, upper)`."""

    def loop_cond(i, _):
        return i < upper

    def loop_body(i, value):
        return i + 1, body_fun(i, value)

    return tf.while_loop(loop_cond, loop_body, (lower, init_val))[1]


def vectorized_map(function, elements):
    """Maps `function` over the first axis of `elements`, vectorised (`tf.vectorized_map`)."""
    return tf.vectorized_map(function, elements)


def map(f, xs):
    """Maps `f` over the first axis of `xs` (a tensor or a structure of tensors).

    Returns:
        The outputs of `f` stacked along a new first axis.
    """
    xs = tf.nest.map_structure(_convert, xs)
    first = tf.nest.map_structure(lambda x: x[0], xs)
    signature = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), f(first))
    return tf.map_fn(f, xs, fn_output_signature=signature)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loops `carry, y = f(carry, x)` over the first axis of `xs`, stacking the `y`s.

    As in Keras, each `y` has the structure, dtypes and shapes of the carry.

    Args:
        f: a callable `(carry, x) -> (carry, y)`.
        init: the initial carry (a tensor or a structure of tensors).
        xs: the sequence(s) to scan over, or None with `length`.
        length: the number of steps when `xs` is None.
        reverse: scan from the last element to the first.
        unroll: accepted for Keras compatibility.

    Returns:
        A tuple `(final_carry, stacked_ys)`.
    """
    if xs is None and length is None:
        raise ValueError("scan needs `xs` to loop over or a `length`. Received neither.")
    xs_flat = [] if xs is None else [_convert(x) for x in tf.nest.flatten(xs)]
    steps = length if length is not None else tf.shape(xs_flat[0])[0]
    carry = [_convert(c) for c in tf.nest.flatten(init)]
    outputs = [tf.TensorArray(c.dtype, size=steps, element_shape=c.shape) for c in carry]

    def body(i, carry, outputs):
        index = steps - 1 - i if reverse else i
        x = None if xs is None else tf.nest.pack_sequence_as(xs, [t[index] for t in xs_flat])
        new_carry, y = f(tf.nest.pack_sequence_as(init, carry), x)
        new_carry = [tf.cast(c, old.dtype) for c, old in zip(tf.nest.flatten(new_carry), carry)]
        outputs = [a.write(index, tf.cast(v, a.dtype)) for a, v in zip(outputs, tf.nest.flatten(y))]
        return i + 1, new_carry, outputs

    _, carry, outputs = tf.while_loop(lambda i, *_: i < steps, body, (0, carry, outputs))
    return (
        tf.nest.pack_sequence_as(init, carry),
        tf.nest.pack_sequence_as(init, [a.stack() for a in outputs]),
    )


def custom_gradient(f):
    """Decorates `f`, returning `(output, grad_fn)`, to use `grad_fn` as its gradient."""
    return tf.custom_gradient(f=f)


@op("unstack")
def unstack(x, num=None, axis=0):
    """Splits `x` along `axis` into a list of tensors."""
    return tf.unstack(x, num=num, axis=axis)


@op("scatter")
def scatter(indices, values, shape):
    """Returns a zero tensor of `shape` with `values` added at `indices` (duplicates sum).

    Args:
        indices: int tensor `(N, k)` of index tuples.
        values: tensor `(N, ...)` of values.
        shape: the output shape.
    """
    return tf.scatter_nd(_convert(indices), _convert(values), shape)


@op("scatter_update")
def scatter_update(inputs, indices, updates, reduction=None):
    """Returns `inputs` with `updates` written (or combined) at `indices`.

    Args:
        inputs: the tensor to update.
        indices: int tensor `(N, k)` of index tuples into `inputs`.
        updates: tensor `(N, ...)` of new values.
        reduction: None to overwrite, or `"add"`, `"max"`, `"min"`, `"mul"` to combine.
    """
    inputs = _convert(inputs)
    indices = _convert(indices)
    updates = _convert(updates, inputs.dtype)
    functions = {
        None: tf.tensor_scatter_nd_update,
        "add": tf.tensor_scatter_nd_add,
        "max": tf.tensor_scatter_nd_max,
        "min": tf.tensor_scatter_nd_min,
    }
    if reduction == "mul":
        count = tf.shape(indices)[0]

        def multiply_one(i, result):
            index = indices[i : i + 1]
            return i + 1, tf.tensor_scatter_nd_update(
                result, index, tf.gather_nd(result, index) * updates[i]
            )

        return tf.while_loop(lambda i, _: i < count, multiply_one, [0, inputs])[1]
    if reduction not in functions:
        raise ValueError(
            "Expected reduction to be None, 'add', 'max', 'min' or 'mul'. Received: "
            f"reduction={reduction!r}"
        )
    return functions[reduction](inputs, indices, updates)


@op("slice")
def slice(inputs, start_indices, shape):
    """Returns the block of `inputs` of size `shape` starting at `start_indices`."""
    return tf.slice(_convert(inputs), start_indices, shape)


@op("slice_update")
def slice_update(inputs, start_indices, updates):
    """Returns `inputs` with the block starting at `start_indices` replaced by `updates`."""
    inputs = _convert(inputs)
    updates = _convert(updates, inputs.dtype)
    rank = len(inputs.shape)
    starts = tf.cast(tf.stack([_convert(s, "int32") for s in start_indices]), "int32")
    update_shape = tf.shape(updates)
    grids = tf.meshgrid(*[tf.range(update_shape[i]) for i in builtins.range(rank)], indexing="ij")
    indices = tf.stack(grids, axis=-1) + starts
    return tf.tensor_scatter_nd_update(inputs, indices, updates)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of `elems` along `axis` with an associative `f(a, b)`.

    `f` combines two structures like `elems` of slices, element-wise; the scan takes
    ceil(log2(n)) rounds of `f` on shifted slices (Hillis-Steele), so the length of `axis`
    must be known statically.

    Args:
        f: an associative function of two structures like `elems`.
        elems: a tensor or nested structure of tensors, all the same length along `axis`.
        reverse: whether to scan from the end.
        axis: the scanned axis.

    Returns:
        A structure like `elems`: element `i` is `f(...f(elems[0], elems[1])..., elems[i])`.

    Raises:
        TypeError: if `f` is not callable.
        ValueError: if the lengths along `axis` differ or are not static.
    """
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f!r}")
    flat = [_convert(e) for e in tf.nest.flatten(elems)]
    lengths = {e.shape[axis] for e in flat}
    if len(lengths) != 1 or None in lengths:
        raise ValueError(
            "Every input of `associative_scan` needs the same static length along `axis`. "
            f"Received lengths: {sorted(lengths, key=str)}, axis={axis}"
        )
    (length,) = lengths
    if reverse:
        flat = [tf.reverse(e, [axis]) for e in flat]

    def take(tensors, start, stop):
        return [tf.gather(t, tf.range(start, stop), axis=axis) for t in tensors]

    def combine(first, second):
        first = tf.nest.pack_sequence_as(elems, first)
        second = tf.nest.pack_sequence_as(elems, second)
        return [_convert(c) for c in tf.nest.flatten(f(first, second))]

    offset = 1
    while offset < length:
        combined = combine(take(flat, 0, length - offset), take(flat, offset, length))
        flat = [
            tf.concat([head, tail], axis=axis)
            for head, tail in zip(take(flat, 0, offset), combined, strict=True)
        ]
        offset *= 2
    if reverse:
        flat = [tf.reverse(e, [axis]) for e in flat]
    return tf.nest.pack_sequence_as(elems, flat)


__all__ = [
    "associative_scan",
    "cast",
    "cond",
    "convert_to_numpy",
    "convert_to_tensor",
    "custom_gradient",
    "dtype",
    "fori_loop",
    "is_tensor",
    "map",
    "result_type",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "shape",
    "slice",
    "slice_update",
    "stop_gradient",
    "switch",
    "unstack",
    "vectorized_map",
    "while_loop",
]
