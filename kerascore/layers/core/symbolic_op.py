"""`SymbolicOp`: arithmetic and indexing on symbolic tensors."""

import tensorflow as tf

from kerascore.layers.layer import Layer, unique_name
from kerascore.saving.serialization import register_builtin

_SYMBOLIC_OPS = {
    "add": tf.add,
    "subtract": tf.subtract,
    "multiply": tf.multiply,
    "divide": tf.divide,
    "power": tf.pow,
    "negative": lambda x, _: tf.negative(x),
    "getitem": lambda x, key: x[key],
}


def _encode_key(key):
    if isinstance(key, tuple):
        return {"tuple": [_encode_key(item) for item in key]}
    if isinstance(key, slice):
        return {"slice": [key.start, key.stop, key.step]}
    if key is Ellipsis:
        return {"ellipsis": True}
    if key is None or isinstance(key, (int, float)):
        return key
    raise ValueError(
        f"Cannot use {key!r} of type {type(key).__name__} in an operation on a symbolic tensor; "
        "use ints, slices, None or Ellipsis."
    )


def _decode_key(value):
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(_decode_key(item) for item in value["tuple"])
        if "slice" in value:
            return slice(*value["slice"])
        if value.get("ellipsis"):
            return Ellipsis
    return value


@register_builtin
class SymbolicOp(Layer):
    """An arithmetic operation or indexing applied to symbolic tensors in a functional model
    (`x + 1`, `a * b`, `x[:, 0]`); created by those operators, saved like any layer.

    Args:
        op: one of `add`, `subtract`, `multiply`, `divide`, `power`, `negative`, `getitem`.
        operand: the constant other operand (or the index for `getitem`), or None when both
            operands are tensors.
        reverse: whether the constant comes first (`1 - x`).
    """

    def __init__(self, op, operand=None, reverse=False, **kwargs):
        if op not in _SYMBOLIC_OPS:
            raise ValueError(f"Expected op in {sorted(_SYMBOLIC_OPS)}. Received: op={op!r}")
        kwargs.setdefault("name", unique_name(f"op_{op}"))
        super().__init__(**kwargs)
        self.op = op
        self.operand = operand
        self.reverse = reverse
        self._key = _decode_key(operand) if op == "getitem" else operand

    def call(self, inputs):
        function = _SYMBOLIC_OPS[self.op]
        if isinstance(inputs, (list, tuple)):
            return function(inputs[0], inputs[1])
        if self.reverse:
            return function(tf.cast(self._key, inputs.dtype), inputs)
        return function(inputs, self._key)

    def get_config(self):
        return {
            **super().get_config(),
            "op": self.op,
            "operand": self.operand,
            "reverse": self.reverse,
        }
