"""Keras 3's type promotion rules: which dtype an operation on mixed inputs returns.

Python `int` and `float` values are "weak": they adopt the dtype of the tensor they meet
(`int32 tensor + 1.5` is `float32`, `float16 tensor + 1.5` stays `float16`).
"""

import functools

import numpy as np
import tensorflow as tf

from kerascore import backend

_INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
_FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")


def _lattice():
    u1, u2, u4, u8, i1, i2, i4, i8 = _INT_TYPES
    bf, f2, f4, f8 = _FLOAT_TYPES
    return {
        "bool": ["int"],
        u1: [i2, u2],
        u2: [i4, u4],
        u4: [i8, u8],
        u8: ["float"],
        "int": [u1, i1, "complex64"],
        i1: [i2],
        i2: [i4],
        i4: [i8],
        i8: ["float"],
        "float": [bf, f2],
        bf: [f4],
        f2: [f4],
        f4: [f8, "complex64"],
        f8: ["complex128"],
        "complex64": ["complex128"],
        "complex128": [],
    }


def _upper_bounds():
    lattice = _lattice()
    bounds = {node: {node} for node in lattice}
    for node in lattice:
        while True:
            grown = set().union(*(lattice[b] for b in bounds[node]))
            if grown.issubset(bounds[node]):
                break
            bounds[node] |= grown
    return bounds


_BOUNDS = _upper_bounds()


@functools.lru_cache(512)
def _least_upper_bound(*nodes):
    nodes = set(nodes)
    common = set.intersection(*(_BOUNDS[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common.issubset(_BOUNDS[c])}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {sorted(nodes)} have no implicit promotion path. Cast the inputs "
            "explicitly to the dtype you want."
        )
    return least.pop()


def _name_and_weakness(value):
    if value is int or value is float:
        return ("int64" if value is int else "float32"), True
    if value is bool:
        return "bool", False
    if isinstance(value, tf.DType):
        return value.name, False
    if isinstance(value, str):
        return tf.as_dtype(value).name, False
    return np.dtype(value).name, False


def _weak(dtype):
    if dtype == "bool":
        return dtype
    if "float" in dtype:
        return "float"
    if "int" in dtype:
        return "int"
    return dtype


def _resolve_weak(dtype):
    precision = backend.floatx()[-2:]
    if dtype == "int":
        return f"int{precision}"
    if dtype == "float":
        return f"float{precision}"
    return dtype


def result_type(*dtypes):
    """Returns the dtype Keras's promotion rules give for inputs of `dtypes`.

    Args:
        *dtypes: dtype names, NumPy or TensorFlow dtypes, or the Python types `int`, `float`
            and `bool` for weakly typed scalars. None counts as `floatx()`.

    Returns:
        A dtype name string.
    """
    if not dtypes:
        return backend.floatx()
    names, weak = zip(*(_name_and_weakness(backend.floatx() if d is None else d) for d in dtypes))
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*set(names)), True
    else:
        out = _least_upper_bound(*{_weak(n) if w else n for n, w in zip(names, weak)})
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        out = _resolve_weak(_weak(out))
    if out == "uint64":
        out = "uint32"
    return out


def dtype_of(value):
    """Returns what `result_type` should see for `value`: its dtype, or a Python type."""
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int
    if isinstance(value, float):
        return float
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return dtype
    return tf.convert_to_tensor(value).dtype
