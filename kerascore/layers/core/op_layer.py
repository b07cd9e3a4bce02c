"""`OpLayer`: a `keras.ops` call recorded as a node of a functional model.

Keras 3 records an op called on `KerasTensor`s (`ops.concatenate([a, b])`, `x + 1`, `x[:, 0]`)
as an `Operation` node of the functional graph; here that node is an `OpLayer`, saved as the
op's name and its non-tensor arguments. `SymbolicOp`, the class that older archives name for
`x + 1` and `x[:, 0]`, is kept as an alias that builds the equivalent `OpLayer`.
"""

from kerascore.layers.layer import Layer, unique_name
from kerascore.ops.symbolic import decode_arguments, registered_op
from kerascore.saving.serialization import register_builtin


@register_builtin
class OpLayer(Layer):
    """A `keras.ops` function applied to symbolic tensors in a functional model.

    Created by calling an op, or an operator (`+`, `-`, `*`, `/`, `**`, unary `-`, `[]`), on
    `KerasTensor`s; it is saved as the op name and the op's non-tensor arguments.

    Args:
        op_name: the registered op name, e.g. `"concatenate"`.
        arguments: `{"args": [...], "kwargs": {...}}` in the encoded form, where
            `{"__tensor__": i}` stands for the layer's i-th input tensor.

    Example:

    >>> inputs = keras.Input((4,))
    >>> outputs = ops.concatenate([inputs, inputs * 2.0], axis=-1)
    >>> type(outputs._keras_history[0]).__name__
    'OpLayer'
    """

    def __init__(self, op_name, arguments=None, **kwargs):
        registered_op(op_name)
        kwargs.setdefault("name", unique_name(op_name.replace(".", "_")))
        # Ops apply their own dtype rules, as in Keras; the layer policy must not cast inputs.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.op_name = op_name
        self.arguments = arguments or {"args": [], "kwargs": {}}

    def call(self, inputs):
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        args = decode_arguments(self.arguments.get("args", []), tensors)
        kwargs = decode_arguments(self.arguments.get("kwargs", {}), tensors)
        return registered_op(self.op_name)(*args, **kwargs)

    def _build_takes_list(self):
        return True

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)
        return {**config, "op_name": self.op_name, "arguments": self.arguments}


_LEGACY_OPS = ("add", "subtract", "multiply", "divide", "power", "negative", "getitem")


@register_builtin(name="SymbolicOp")
def SymbolicOp(op, operand=None, reverse=False, **kwargs):  # noqa: N802 - the old class name
    """Returns the `OpLayer` that an older `SymbolicOp` layer stood for.

    Archives written before the two were merged name `SymbolicOp` for `x + 1`, `a * b`,
    `-x` and `x[:, 0]`; loading them calls this with the saved config.

    Args:
        op: one of `add`, `subtract`, `multiply`, `divide`, `power`, `negative`, `getitem`.
        operand: the constant other operand (or the index for `getitem`, in the old encoding),
            or None when both operands are tensors.
        reverse: whether the constant comes first (`1 - x`).
        **kwargs: the base layer arguments (`name`, `trainable`, `dtype`).

    Returns:
        An `OpLayer` that computes the same function of its input tensor(s).

    Raises:
        ValueError: if `op` is not one of the names above.
    """
    if op not in _LEGACY_OPS:
        raise ValueError(f"Expected op in {sorted(_LEGACY_OPS)}. Received: op={op!r}")
    first, second = {"__tensor__": 0}, {"__tensor__": 1}
    if op == "getitem":
        op, args = "get_item", [first, _legacy_key(operand)]
    elif op == "negative":
        args = [first]
    elif operand is None:
        args = [first, second]
    else:
        args = [operand, first] if reverse else [first, operand]
    return OpLayer(op, {"args": args, "kwargs": {}}, **kwargs)


def _legacy_key(value):
    """Translates an index saved by `SymbolicOp` into `OpLayer`'s argument encoding."""
    if isinstance(value, dict):
        if "tuple" in value:
            return {"__tuple__": [_legacy_key(item) for item in value["tuple"]]}
        if "slice" in value:
            return {"__slice__": value["slice"]}
        if value.get("ellipsis"):
            return {"__ellipsis__": True}
    return value
