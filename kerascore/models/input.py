"""The old home of `Input` and `InputLayer`, which live in `kerascore.layers.core.input_layer`
now; kept so that `from kerascore.models.input import Input` in existing code still works."""

from kerascore.layers.core.input_layer import Input, InputLayer

__all__ = ["Input", "InputLayer"]
