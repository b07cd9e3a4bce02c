"""Helpers about symbolic tensors and dtypes: `is_keras_tensor`, `get_source_inputs`,
`standardize_dtype`."""

from kerascore import backend

# The dtypes Keras 3 accepts, and the names it gives Python types (TensorFlow backend).
ALLOWED_DTYPES = (
    "float16",
    "float32",
    "float64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "bfloat16",
    "bool",
    "string",
    "float8_e4m3fn",
    "float8_e5m2",
    "complex64",
    "complex128",
)
_PYTHON_DTYPES = {
    bool: "bool",
    int: "int64",
    float: "float32",
    str: "string",
    complex: "complex128",
}
_ALIASES = {"int": "int64"}


def standardize_dtype(dtype):
    """Returns the Keras name of `dtype` (a string, Python type, NumPy or TensorFlow dtype).

    `None` is `keras.config.floatx()`; `int` and `"int"` are `"int64"` and `float` is
    `"float32"`, as on Keras's TensorFlow backend.

    Raises:
        ValueError: if `dtype` is not one Keras supports.
    """
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, type) and dtype in _PYTHON_DTYPES:
        return _PYTHON_DTYPES[dtype]
    if isinstance(dtype, str):
        dtype = _ALIASES.get(dtype, dtype)
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or dtype
    if name == "str":
        name = "string"
    if name not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected one of {ALLOWED_DTYPES}.")
    return name


def is_keras_tensor(x):
    """Returns whether `x` is a symbolic `KerasTensor` (from `keras.Input` or a layer called on
    one), as opposed to concrete data."""
    from kerascore.models.functional import KerasTensor

    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """Returns the input tensors (from `keras.Input`) that `tensor` is computed from.

    Args:
        tensor: a `KerasTensor`.

    Returns:
        A list of `KerasTensor`s, each once, in the order the graph reaches them. A value that
        is not a `KerasTensor` is returned as it is.
    """
    if not hasattr(tensor, "_keras_history"):
        return tensor
    history = tensor._keras_history
    if not history or not history[0]._inbound_nodes:
        return [tensor]
    layer, node_index, _ = history
    node = layer._inbound_nodes[node_index]
    if not node.input_tensors:
        # An input layer's node: the recursion stops here.
        return list(node.output_tensors)
    sources = []
    for input_tensor in node.input_tensors:
        for source in get_source_inputs(input_tensor):
            if all(source is not seen for seen in sources):
                sources.append(source)
    return sources
