"""`Sequential`: a plain stack of layers, one input and one output."""

from kerascore.layers.core.input_layer import Input, InputLayer
from kerascore.layers.layer import Layer
from kerascore.models.functional import Functional, KerasTensor
from kerascore.models.model import Model
from kerascore.saving.serialization import register_builtin


@register_builtin
class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: a list of layers; it may start with `keras.Input(shape)`.
        name: the model name.

    Example:
        model = keras.Sequential([
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10),
        ])
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._functional = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def _untracked_attributes(self):
        return (*super()._untracked_attributes(), "_functional")

    def add(self, layer, rebuild=True):
        """Appends a layer (or an `Input` tensor) to the stack."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError(
                "Only layers can be added to a Sequential model. Received: "
                f"{layer!r} of type {type(layer).__name__}"
            )
        if isinstance(layer, InputLayer) and self._stack:
            raise ValueError(
                f"An Input can only be the first entry of Sequential model '{self.name}'."
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"All layers of a Sequential model need unique names; '{layer.name}' is used twice."
            )
        self._stack.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self.layers:
            raise ValueError(f"Sequential model '{self.name}' has no layer to pop.")
        layer = self._stack.pop()
        self._functional = None
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self):
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def _declared_input(self):
        if not self._stack:
            return None
        first = self._stack[0]
        if isinstance(first, InputLayer):
            return first.batch_shape, first.dtype, first
        if first._declared_batch_shape is not None:
            return first._declared_batch_shape, first.dtype, None
        return None

    def _maybe_rebuild(self):
        declared = self._declared_input()
        if declared is not None and len(self._stack) > (1 if declared[2] is not None else 0):
            self._build_graph(declared[0], declared[1], declared[2])

    def _build_graph(self, batch_shape, dtype, input_layer=None):
        inputs = (
            input_layer.output
            if input_layer is not None
            else Input(batch_shape=batch_shape, dtype=dtype, name=f"{self.name}_input")
        )
        outputs = inputs
        for layer in self.layers:
            outputs = layer(outputs)
        self._functional = Functional(inputs, outputs, name=f"{self.name}_functional")
        self.inputs = self._functional.inputs
        self.outputs = self._functional.outputs
        self.built = True
        self._build_shapes = batch_shape

    def build(self, input_shape=None):
        """Builds the stack for inputs of `input_shape` (batch dimension included)."""
        if input_shape is None:
            declared = self._declared_input()
            if declared is None:
                raise ValueError(
                    f"Sequential model '{self.name}' cannot be built without an input shape. "
                    "Start it with `keras.Input(shape)` or call `build((None, ...))`."
                )
            input_shape = declared[0]
        if not self.layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers to build.")
        input_shape = tuple(input_shape)
        self._build_graph((None, *input_shape[1:]), "float32")

    def _maybe_build(self, input_shapes):
        if self.built:
            return
        self.build(input_shapes)

    def call(self, inputs, training=None, mask=None):
        if self._functional is not None:
            return self._functional(inputs, training=training)
        outputs = inputs
        for layer in self.layers:
            outputs = layer(outputs, training=training)
        return outputs

    @property
    def input_shape(self):
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' is not built yet.")
        return self._functional.input_shape

    @property
    def output_shape(self):
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' is not built yet.")
        return self._functional.output_shape

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):
        from kerascore.saving.serialization import serialize_keras_object

        layer_configs = [serialize_keras_object(layer) for layer in self._stack]
        config = {"name": self.name, "trainable": self.trainable, "layers": layer_configs}
        if self._functional is not None and not isinstance(self._stack[0], InputLayer):
            config["build_input_shape"] = list(self._build_shapes)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerascore.saving.serialization import deserialize_keras_object

        layers = [
            deserialize_keras_object(layer_config, custom_objects=custom_objects)
            for layer_config in config["layers"]
        ]
        model = cls(layers, name=config.get("name"), trainable=config.get("trainable", True))
        if not model.built and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model
