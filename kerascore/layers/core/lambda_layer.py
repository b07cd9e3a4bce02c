"""`Lambda`: wraps a function as a layer (never loaded from a file)."""

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Lambda(Layer):
    """Wraps a Python function as a layer.

    It runs like any layer, but a model holding one cannot be saved: a function's code is
    not data, and loading code from a file is how archives execute attackers' code. Write a
    custom layer registered with `keras.saving.register_keras_serializable` instead.

    Args:
        function: called as `function(inputs, **arguments)`.
        output_shape: optional output shape (without batch dimension) or function.
        arguments: extra keyword arguments for `function`.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda expects a callable. Received: function={function!r}")
        self.function = function
        self._output_shape = output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs, training=None):
        return self.function(inputs, **self.arguments)

    def get_config(self):
        raise ValueError(
            f"Layer '{self.name}' is a Lambda layer; models that contain Lambda layers cannot be "
            "saved because Python functions cannot be stored safely. Replace it with a custom "
            "layer subclass registered with @keras.saving.register_keras_serializable() "
            "(implement call() and get_config())."
        )

    @classmethod
    def from_config(cls, config):
        raise ValueError(
            "Refusing to load a Lambda layer: its config holds Python code, which kerascore "
            "never executes from a file. Rebuild the model in code, or replace the Lambda with "
            "a registered custom layer."
        )
