"""Ops on symbolic tensors: an op called on a `KerasTensor` becomes an `OpLayer` node.

`keras.ops.concatenate([a, b], axis=-1)` on the outputs of `keras.Input` records a layer in
the functional graph that calls the same op on real tensors later. The op is stored by name
with its non-tensor arguments, so the model saves and loads like any other. The layer itself,
`OpLayer`, lives in `layers/core/op_layer.py`: ops sit below layers.
"""

import functools

import numpy as np
import tensorflow as tf

_OPS = {}
_KERAS_TENSOR = []


def _keras_tensor_class():
    if not _KERAS_TENSOR:
        from kerascore.models.functional import KerasTensor

        _KERAS_TENSOR.append(KerasTensor)
    return _KERAS_TENSOR[0]


def _has_symbolic(values, keras_tensor, depth=0):
    for value in values:
        if isinstance(value, keras_tensor):
            return True
        if (
            depth < 3
            and isinstance(value, (list, tuple))
            and _has_symbolic(value, keras_tensor, depth + 1)
        ):
            return True
    return False


def op(name):
    """Registers an op function under `name` and makes it accept symbolic tensors.

    Args:
        name: the name the op is saved under, e.g. `"concatenate"` or `"image.resize"`.

    Returns:
        A decorator.
    """

    def decorate(function):
        _OPS[name] = function

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            keras_tensor = _keras_tensor_class()
            if _has_symbolic(args, keras_tensor) or _has_symbolic(kwargs.values(), keras_tensor):
                return _symbolic_call(name, args, kwargs)
            return function(*args, **kwargs)

        wrapper._kerascore_op_name = name
        return wrapper

    return decorate


def named_op(name, function, doc):
    """Registers `function` as the op `name`, giving it that name and docstring `doc`.

    For ops built by a factory from a shared inner function.
    """
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return op(name)(function)


def _encode(value, tensors, keras_tensor):
    if isinstance(value, keras_tensor):
        tensors.append(value)
        return {"__tensor__": len(tensors) - 1}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(item, tensors, keras_tensor) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item, tensors, keras_tensor) for item in value]}
    if isinstance(value, dict):
        return {"__dict__": {str(k): _encode(v, tensors, keras_tensor) for k, v in value.items()}}
    if isinstance(value, tf.DType):
        return {"__dtype__": value.name}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    if isinstance(value, slice):
        return {"__slice__": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, (np.ndarray, np.generic)) or tf.is_tensor(value):
        array = np.asarray(value)
        return {"__array__": array.tolist(), "dtype": array.dtype.name}
    raise ValueError(
        f"Cannot record an op on symbolic tensors with argument {value!r} of type "
        f"{type(value).__name__}; pass tensors, numbers, strings, lists, tuples or arrays."
    )


def decode_arguments(value, tensors):
    """Rebuilds recorded op arguments, with `{"__tensor__": i}` replaced by `tensors[i]`."""
    if isinstance(value, list):
        return [decode_arguments(item, tensors) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return tensors[value["__tensor__"]]
    if "__tuple__" in value:
        return tuple(decode_arguments(item, tensors) for item in value["__tuple__"])
    if "__dict__" in value:
        return {k: decode_arguments(v, tensors) for k, v in value["__dict__"].items()}
    if "__dtype__" in value:
        return value["__dtype__"]
    if "__slice__" in value:
        return slice(*value["__slice__"])
    if "__ellipsis__" in value:
        return Ellipsis
    if "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    return value


def registered_op(name):
    """Returns the op function registered as `name`.

    Raises:
        ValueError: if no op is registered under `name`.
    """
    if name not in _OPS:
        raise ValueError(
            f"Unknown op. Expected a name registered in kerascore.ops. Received: op_name={name!r}"
        )
    return _OPS[name]


def _symbolic_call(name, args, kwargs):
    # Imported here, not at load time: `OpLayer` is a layer, and layers import ops.
    from kerascore.layers.core.op_layer import OpLayer

    tensors = []
    keras_tensor = _keras_tensor_class()
    arguments = {
        "args": [_encode(arg, tensors, keras_tensor) for arg in args],
        "kwargs": {key: _encode(value, tensors, keras_tensor) for key, value in kwargs.items()},
    }
    return OpLayer(name, arguments)(tensors)
