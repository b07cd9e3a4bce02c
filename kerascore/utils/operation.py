"""`Operation` and `Function`: Keras 3's units of computation and graphs of them.

In kerascore every layer is an operation, and a functional model is the graph of the
operations between its inputs and outputs; `Operation` lets a user write a stateless
computation (no weights) that also works on symbolic `KerasTensor`s, and `Function` runs
such a graph without the training machinery of a model.
"""

import tensorflow as tf

from kerascore.utils.naming import to_snake_case, unique_name


def _has_keras_tensors(structure):
    from kerascore.models.functional import KerasTensor

    return any(isinstance(value, KerasTensor) for value in tf.nest.flatten(structure))


class _OperationMeta(type):
    def __instancecheck__(cls, instance):
        # Layers are operations, as in Keras 3 (`isinstance(Dense(1), keras.Operation)`).
        from kerascore.layers.layer import Layer

        return type.__instancecheck__(cls, instance) or (
            cls is Operation and isinstance(instance, Layer)
        )

    def __subclasscheck__(cls, subclass):
        from kerascore.layers.layer import Layer

        return type.__subclasscheck__(cls, subclass) or (
            cls is Operation and issubclass(subclass, Layer)
        )


class Operation(metaclass=_OperationMeta):
    """A computation on tensors that also works on symbolic `KerasTensor`s.

    Subclasses implement `call(*args, **kwargs)`. Called on tensors, an operation runs
    `call`; called on `KerasTensor`s (inside a functional model definition), it records a
    node, so models and `Function`s built from its outputs run it.

    Args:
        name: the operation's name (default: its class name in snake case, numbered).

    Example:
        >>> class Clip(Operation):
        ...     def call(self, x):
        ...         return tf.clip_by_value(x, 0.0, 1.0)
        >>> Clip()(tf.constant([-1.0, 0.5, 2.0])).numpy().tolist()
        [0.0, 0.5, 1.0]
    """

    def __init__(self, name=None):
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(
                f"Argument `name` must be a string without '/'. Received: name={name!r}"
            )
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._symbolic_layer = None

    def __call__(self, *args, **kwargs):
        if _has_keras_tensors((args, kwargs)):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        """The computation; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call`.")

    def symbolic_call(self, *args, **kwargs):
        """Records a call on `KerasTensor`s as a node of the functional graph and returns the
        output `KerasTensor`s."""
        if self._symbolic_layer is None:
            self._symbolic_layer = _OperationLayer(self)
        return self._symbolic_layer(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        """Returns `KerasTensor`s with the shapes and dtypes `call` gives for these
        (symbolic) arguments, found by tracing `call`."""
        from kerascore.models.functional import KerasTensor

        flat = tf.nest.flatten((args, kwargs))
        positions = [i for i, value in enumerate(flat) if isinstance(value, KerasTensor)]

        def run(*tensors):
            values = list(flat)
            for position, tensor in zip(positions, tensors):
                values[position] = tensor
            call_args, call_kwargs = tf.nest.pack_sequence_as((args, kwargs), values)
            return self.call(*call_args, **call_kwargs)

        specs = [flat[i].to_spec() for i in positions]
        outputs = tf.function(run).get_concrete_function(*specs).structured_outputs
        return tf.nest.map_structure(
            lambda t: KerasTensor(tuple(t.shape.as_list()), t.dtype.name), outputs
        )

    def get_config(self):
        """Returns the constructor arguments (`name`); subclasses add theirs."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _operation_layer_class():
    from kerascore.layers.layer import Layer

    class OperationLayer(Layer):
        """The node an `Operation` leaves in a functional graph: calls the operation."""

        def __init__(self, operation):
            super().__init__(name=operation.name, autocast=False)
            self.operation = operation

        def call(self, *args, **kwargs):
            return self.operation.call(*args, **kwargs)

    return OperationLayer


def _OperationLayer(operation):
    return _operation_layer_class()(operation)


class Function:
    """The computation between symbolic `inputs` and `outputs`, callable on data.

    Args:
        inputs: a `KerasTensor` from `keras.Input`, or a list or dict of them.
        outputs: a `KerasTensor` computed from them by layers and operations, or a list or
            dict of them.
        name: the function's name.

    Example:
        >>> import kerascore as keras
        >>> x = keras.Input((2,))
        >>> f = Function(x, keras.ops.sum(x * 2.0, axis=-1))
        >>> f(tf.constant([[1.0, 2.0]])).numpy().tolist()
        [6.0]
    """

    def __init__(self, inputs, outputs, name=None):
        from kerascore.models.functional import Functional

        self.name = name or unique_name("function")
        self._graph = Functional(inputs, outputs, name=self.name)

    @property
    def inputs(self):
        """The input `KerasTensor`s, flattened."""
        return self._graph.inputs

    @property
    def outputs(self):
        """The output `KerasTensor`s, flattened."""
        return self._graph.outputs

    @property
    def operations(self):
        """The layers and operations of the graph, inputs first."""
        return self._graph.layers

    def __call__(self, inputs):
        return self._graph(inputs)

    def call(self, inputs):
        """Runs the graph on `inputs` (tensors or arrays, in the structure of `self.inputs`)."""
        return self._graph(inputs)

    def compute_output_spec(self, inputs):
        """Returns `KerasTensor`s describing the outputs for these symbolic inputs."""
        from kerascore.models.functional import KerasTensor, trace_output_spec

        specs = trace_output_spec(self._graph, args=(inputs,), kwargs={})
        return tf.nest.map_structure(
            lambda s: KerasTensor(tuple(s.shape.as_list()), s.dtype.name), specs
        )
