"""The functional API: symbolic tensors, nodes, and `Functional` models built from them."""

import numpy as np
import tensorflow as tf

from kerascore import backend, ops
from kerascore.layers.layer import Layer, standardize_shape
from kerascore.models.model import Model
from kerascore.saving.serialization import register_builtin


class KerasTensor:
    """A symbolic tensor: a shape and dtype, and the layer call (node) that produced it.

    It stands for data in a model definition; `Model(inputs, outputs)` reads the graph of
    calls between its inputs and outputs.
    """

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = standardize_shape(shape)
        self.dtype = backend.standardize_dtype(dtype)
        self.name = name
        self._keras_history = history

    @property
    def ndim(self):
        return len(self.shape)

    def to_spec(self):
        return tf.TensorSpec(self.shape, self.dtype)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise TypeError(
            "A symbolic KerasTensor has no length; it stands for a batch of data. Use "
            "`tensor.shape` instead."
        )

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor cannot be used as a Python bool (in `if` or `while`). "
            "Move the condition inside a layer's `call`."
        )

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated over.")

    # Operators record the matching `keras.ops` call, an `OpLayer` node, as Keras 3 does.
    def __getitem__(self, key):
        return ops.get_item(self, key)

    def _binary(self, op, other, reverse=False):
        if isinstance(other, np.generic):
            # A NumPy scalar is typed (`np.sqrt(d)` is float64) and would promote the result;
            # as a Python number it takes the tensor's dtype.
            other = other.item()
        return op(other, self) if reverse else op(self, other)

    def __add__(self, other):
        return self._binary(ops.add, other)

    def __radd__(self, other):
        return self._binary(ops.add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ops.subtract, other)

    def __rsub__(self, other):
        return self._binary(ops.subtract, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ops.multiply, other)

    def __rmul__(self, other):
        return self._binary(ops.multiply, other, reverse=True)

    def __truediv__(self, other):
        return self._binary(ops.divide, other)

    def __rtruediv__(self, other):
        return self._binary(ops.divide, other, reverse=True)

    def __pow__(self, other):
        return self._binary(ops.power, other)

    def __neg__(self):
        return ops.negative(self)


class Node:
    """One call of a layer on symbolic inputs: the arguments and the outputs it produced."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.output_tensors = tf.nest.flatten(outputs)
        self.input_tensors = [
            value
            for value in tf.nest.flatten((call_args, call_kwargs))
            if isinstance(value, KerasTensor)
        ]


def trace_output_spec(layer, input_shape=None, args=None, kwargs=None):
    """Returns `tf.TensorSpec`s of `layer`'s outputs by tracing its call on placeholders."""
    if args is None:
        dtype = layer.compute_dtype
        args = (
            tf.nest.map_structure(
                lambda shape: KerasTensor(shape, dtype),
                input_shape,
                check_types=False,
            )
            if not _is_shape(input_shape)
            else KerasTensor(input_shape, dtype),
        )
        kwargs = {}
    flat = tf.nest.flatten((args, kwargs))
    symbolic_positions = [i for i, value in enumerate(flat) if isinstance(value, KerasTensor)]
    specs = [flat[i].to_spec() for i in symbolic_positions]

    def run(*tensors):
        values = list(flat)
        for position, tensor in zip(symbolic_positions, tensors):
            values[position] = tensor
        call_args, call_kwargs = tf.nest.pack_sequence_as((args, kwargs), values)
        return layer(*call_args, **call_kwargs)

    concrete = tf.function(run).get_concrete_function(*specs)
    return tf.nest.map_structure(
        lambda t: tf.TensorSpec(t.shape, t.dtype), concrete.structured_outputs
    )


def adjust_input_rank(value, expected_shape):
    """Adds or drops a trailing dimension of size 1 where only that differs from the input's
    declared shape (`(batch,)` data for an `Input((1,))`), as Keras does."""
    rank = value.shape.rank
    if rank is None:
        return value
    if rank == len(expected_shape) - 1 and expected_shape[-1] == 1:
        return tf.expand_dims(value, -1)
    if rank == len(expected_shape) + 1 and value.shape[-1] == 1:
        return tf.squeeze(value, -1)
    return value


def _keras_tensors_for_shapes(shapes, dtype):
    """KerasTensors for what `compute_output_shape` returned: one shape, or a list/tuple/dict
    of shapes (a tuple of ints is one shape, not a structure)."""
    if isinstance(shapes, tf.TensorShape):
        return KerasTensor(tuple(shapes.as_list()), dtype)
    if _is_shape(shapes):
        return KerasTensor(tuple(shapes), dtype)
    if isinstance(shapes, dict):
        return {key: _keras_tensors_for_shapes(value, dtype) for key, value in shapes.items()}
    return type(shapes)(_keras_tensors_for_shapes(value, dtype) for value in shapes)


def _is_shape(value):
    return isinstance(value, (tuple, list, tf.TensorShape)) and all(
        dim is None or isinstance(dim, int) for dim in value
    )


def _overrides_output_shape(layer):
    return (
        not isinstance(layer, Model)
        and type(layer).compute_output_shape is not Layer.compute_output_shape
    )


def symbolic_call(layer, args, kwargs):
    """Calls `layer` on KerasTensors: builds it, checks shapes, records a node."""
    inputs = args[0]
    input_shapes = tf.nest.map_structure(
        lambda t: t.shape if isinstance(t, KerasTensor) else None, inputs
    )
    if not layer.built:
        layer._maybe_build(input_shapes)
    layer._check_input_spec(inputs)
    output_spec = None
    if hasattr(layer, "compute_output_spec"):
        # A layer that states the shapes and dtypes of its outputs (Keras 3's contract).
        output_spec = layer.compute_output_spec(*args, **kwargs)
    elif _overrides_output_shape(layer) and not kwargs:
        shape_arg = input_shapes
        if isinstance(shape_arg, list) and len(shape_arg) == 1 and not layer._build_takes_list():
            shape_arg = shape_arg[0]
        try:
            shapes = layer.compute_output_shape(shape_arg)
        except NotImplementedError:
            shapes = None
        if shapes is not None:
            dtype = layer.compute_dtype
            output_spec = _keras_tensors_for_shapes(shapes, dtype)
    if output_spec is None:
        try:
            spec = trace_output_spec(layer, args=args, kwargs=kwargs)
        except (ValueError, TypeError) as error:
            raise type(error)(f"Error in layer '{layer.name}': {error}") from error
        output_spec = tf.nest.map_structure(
            lambda s: KerasTensor(tuple(s.shape.as_list()), s.dtype.name), spec
        )
    node_index = len(layer._inbound_nodes)
    flat_outputs = tf.nest.flatten(output_spec)
    outputs = [
        KerasTensor(t.shape, t.dtype, name=f"{layer.name}_{node_index}_{i}")
        for i, t in enumerate(flat_outputs)
    ]
    for index, tensor in enumerate(outputs):
        tensor._keras_history = (layer, node_index, index)
    outputs = tf.nest.pack_sequence_as(output_spec, outputs)
    layer._inbound_nodes.append(Node(layer, args, kwargs, outputs))
    return outputs


def _is_input_tensor(tensor):
    from kerascore.layers.core.input_layer import InputLayer

    return isinstance(tensor._keras_history[0], InputLayer)


def clone_graph_from(inputs, outputs):
    """Returns `(inputs, outputs)` for a model whose inputs may be intermediate tensors.

    As Keras 3's `clone_graph_nodes`: each input that no `Input` produced is replaced by a new
    `Input` of its shape and dtype (named `<tensor name>CLONE`), and every layer call between
    the inputs and the outputs is recorded again on copies of its tensors, so that the new
    graph starts at those inputs while the original tensors keep their history (a model from
    the original `Input`s through the same layers still works).

    Args:
        inputs: KerasTensors (a tensor, or a list or dict of them).
        outputs: KerasTensors computed from `inputs`.

    Returns:
        The new inputs and outputs, in the structures of `inputs` and `outputs`.

    Raises:
        ValueError: if an output depends on an `Input` that is not among `inputs`.
    """
    from kerascore.layers.core.input_layer import Input

    replacements = {}
    for tensor in _flatten_io(inputs):
        if _is_input_tensor(tensor):
            replacements[id(tensor)] = tensor
        else:
            replacements[id(tensor)] = Input(
                batch_shape=tensor.shape, dtype=tensor.dtype, name=f"{tensor.name}CLONE"
            )
    for node in _nodes_between(replacements, _flatten_io(outputs)):
        call_args, call_kwargs = tf.nest.map_structure(
            lambda value: replacements[id(value)] if isinstance(value, KerasTensor) else value,
            (node.call_args, node.call_kwargs),
        )
        layer = node.layer
        node_index = len(layer._inbound_nodes)
        copies = [
            KerasTensor(
                tensor.shape, tensor.dtype, name=tensor.name, history=(layer, node_index, i)
            )
            for i, tensor in enumerate(node.output_tensors)
        ]
        for tensor, copy in zip(node.output_tensors, copies):
            replacements[id(tensor)] = copy
        layer._inbound_nodes.append(
            Node(layer, call_args, call_kwargs, tf.nest.pack_sequence_as(node.outputs, copies))
        )

    def replace(tensor):
        return replacements[id(tensor)]

    if isinstance(inputs, dict):
        new_inputs = {key: replace(tensor) for key, tensor in inputs.items()}
    else:
        new_inputs = tf.nest.map_structure(replace, inputs)
    if isinstance(outputs, dict):
        new_outputs = {key: replace(tensor) for key, tensor in outputs.items()}
    else:
        new_outputs = tf.nest.map_structure(replace, outputs)
    return new_inputs, new_outputs


def _nodes_between(input_tensors, flat_outputs):
    """The nodes that compute `flat_outputs` from the tensors whose ids are in
    `input_tensors`, in an order where each node follows the nodes it reads from."""
    ordered, finished = [], set()

    def visit(tensor):
        if id(tensor) in input_tensors:
            return
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in finished:
            return
        if _is_input_tensor(tensor):
            raise ValueError(
                f"The outputs of the model depend on input '{layer.name}', which is not among "
                "the model's inputs (the graph is disconnected). Pass it in `inputs` too."
            )
        finished.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        ordered.append(node)

    for tensor in flat_outputs:
        visit(tensor)
    return ordered


def _flatten_io(structure):
    if isinstance(structure, dict):
        return [structure[key] for key in structure]
    return tf.nest.flatten(structure)


@register_builtin
class Functional(Model):
    """A model defined by the graph of layer calls between `inputs` and `outputs`.

    Args:
        inputs: a KerasTensor from `Input`, or a list or dict of them. As in Keras 3, an
            input may also be a tensor that a layer produced (`FeatureSpace`'s encoded
            features): the model then starts from a new `Input` of that shape and dtype, named
            `<tensor name>CLONE`, and runs only the layers between it and the outputs.
        outputs: a KerasTensor, or a list or dict of them.
        name: the model name.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        flat_inputs = _flatten_io(inputs)
        flat_outputs = _flatten_io(outputs)
        for tensor in flat_inputs + flat_outputs:
            if not isinstance(tensor, KerasTensor):
                raise ValueError(
                    f"Model '{self.name}': inputs and outputs must be symbolic tensors from "
                    f"`keras.Input(...)` and layer calls on them. Received: {tensor!r}"
                )
        if not all(_is_input_tensor(tensor) for tensor in flat_inputs):
            inputs, outputs = clone_graph_from(inputs, outputs)
            self._inputs_struct = inputs
            self._outputs_struct = outputs
            flat_inputs = _flatten_io(inputs)
            flat_outputs = _flatten_io(outputs)
        self.inputs = flat_inputs
        self.outputs = flat_outputs
        self._nodes_in_order, self._graph_layers = self._collect_nodes(flat_inputs, flat_outputs)
        self.built = True
        self._build_shapes = [tensor.shape for tensor in flat_inputs]

    def _untracked_attributes(self):
        return (
            *super()._untracked_attributes(),
            "_inputs_struct",
            "_outputs_struct",
            "inputs",
            "outputs",
            "_nodes_in_order",
        )

    @staticmethod
    def _collect_nodes(flat_inputs, flat_outputs):
        """Returns the nodes in execution order and the layers in Keras's order: by decreasing
        depth from the outputs, ties broken by traversal order (so weights line up with Keras).
        """
        input_ids = {id(t) for t in flat_inputs}
        ordered, in_progress, finished = [], set(), set()
        traversal_index = {}

        def visit(tensor):
            layer, node_index, _ = tensor._keras_history
            node = layer._inbound_nodes[node_index]
            if id(node) in finished:
                return
            if id(node) in in_progress:
                raise ValueError(f"The layer graph has a cycle through layer '{layer.name}'.")
            traversal_index.setdefault(id(layer), len(traversal_index))
            in_progress.add(id(node))
            if id(tensor) not in input_ids:
                for parent in node.input_tensors:
                    visit(parent)
            in_progress.discard(id(node))
            finished.add(id(node))
            ordered.append(node)

        for tensor in flat_outputs:
            visit(tensor)
        for tensor in flat_inputs:
            visit(tensor)
        producer = {}
        for node in ordered:
            for tensor in node.output_tensors:
                producer[id(tensor)] = node
        node_depth, layer_depth = {}, {}
        for node in reversed(ordered):
            depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
            layer_depth[id(node.layer)] = depth
            node_depth[id(node)] = depth
            for parent_tensor in node.input_tensors:
                parent = producer.get(id(parent_tensor))
                if parent is not None:
                    node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
        layers = []
        for node in ordered:
            if node.layer not in layers:
                layers.append(node.layer)
        layers.sort(key=lambda layer: (-layer_depth[id(layer)], traversal_index[id(layer)]))
        return ordered, layers

    @property
    def layers(self):
        return list(self._graph_layers)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self):
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t._keras_history[0].name for t in self.outputs]

    def _flatten_call_inputs(self, inputs):
        if isinstance(self._inputs_struct, dict):
            if not isinstance(inputs, dict):
                flat = tf.nest.flatten(inputs)
                if len(flat) == len(self.inputs):
                    return flat
                raise ValueError(
                    f"Model '{self.name}' expects a dict with keys "
                    f"{list(self._inputs_struct)}. Received: {type(inputs).__name__}"
                )
            return [self._pick_input(inputs, key) for key in self._inputs_struct]
        if isinstance(inputs, dict):
            return [self._pick_input(inputs, name) for name in self.input_names]
        flat = tf.nest.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s) "
                f"{[t.shape for t in self.inputs]}, but it received {len(flat)} input tensors."
            )
        return flat

    def _pick_input(self, inputs, key):
        if key not in inputs:
            raise ValueError(
                f"Model '{self.name}' is missing input '{key}'. Expected keys: "
                f"{list(self._inputs_struct) if isinstance(self._inputs_struct, dict) else self.input_names}. "  # noqa: E501
                f"Received keys: {list(inputs)}"
            )
        return inputs[key]

    def _check_input_shapes(self, flat_values):
        for index, (tensor, value) in enumerate(zip(self.inputs, flat_values)):
            shape = tuple(value.shape.as_list()) if value.shape.rank is not None else None
            if shape is None:
                continue
            expected = tensor.shape
            compatible = len(shape) == len(expected) and all(
                e is None or a is None or e == a for e, a in zip(expected, shape)
            )
            if not compatible:
                raise ValueError(
                    f"Input {index} of model '{self.name}' is incompatible with the model: "
                    f"expected shape={expected}, received shape={shape}."
                )

    def call(self, inputs, training=None, mask=None):
        flat_values = []
        for tensor, value in zip(self.inputs, self._flatten_call_inputs(inputs)):
            value = tf.convert_to_tensor(value) if not tf.is_tensor(value) else value
            value = adjust_input_rank(value, tensor.shape)
            # Each input in its `Input`'s dtype, as Keras converts it (boolean one-hot data
            # into a float32 model); strings are left for the layers to refuse.
            if value.dtype != tensor.dtype and tf.string not in (value.dtype, tensor.dtype):
                value = tf.cast(value, tensor.dtype)
            flat_values.append(value)
        self._check_input_shapes(flat_values)
        values = {id(t): v for t, v in zip(self.inputs, flat_values)}
        from kerascore.layers.core.input_layer import InputLayer

        for node in self._nodes_in_order:
            if isinstance(node.layer, InputLayer):
                continue
            flat = tf.nest.flatten((node.call_args, node.call_kwargs))
            resolved = [values[id(v)] if isinstance(v, KerasTensor) else v for v in flat]
            call_args, call_kwargs = tf.nest.pack_sequence_as(
                (node.call_args, node.call_kwargs), resolved
            )
            outputs = node.layer(*call_args, **call_kwargs)
            for tensor, value in zip(node.output_tensors, tf.nest.flatten(outputs)):
                values[id(tensor)] = value
        return tf.nest.map_structure(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_shape(self, input_shape):
        return tf.nest.map_structure(lambda t: t.shape, self._outputs_struct)

    # ----------------------------------------------------------------- config
    def get_config(self):
        from kerascore.saving.serialization import serialize_keras_object

        node_index_in_model = {}
        layer_configs = []
        for layer in self._graph_layers:
            model_nodes = [n for n in self._nodes_in_order if n.layer is layer]
            for position, node in enumerate(model_nodes):
                node_index_in_model[id(node)] = position
        for layer in self._graph_layers:
            model_nodes = [n for n in self._nodes_in_order if n.layer is layer]
            inbound = []
            for node in model_nodes:
                if not node.input_tensors:
                    continue
                inbound.append(
                    {
                        "args": _encode_tensors(node.call_args, node_index_in_model),
                        "kwargs": _encode_tensors(node.call_kwargs, node_index_in_model),
                    }
                )
            layer_configs.append(
                {**serialize_keras_object(layer), "name": layer.name, "inbound_nodes": inbound}
            )

        def reference(tensor):
            layer, node_index, tensor_index = tensor._keras_history
            node = layer._inbound_nodes[node_index]
            return [layer.name, node_index_in_model[id(node)], tensor_index]

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": _map_io(self._inputs_struct, reference),
            "output_layers": _map_io(self._outputs_struct, reference),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerascore.saving.serialization import deserialize_keras_object

        layers_by_name = {}
        produced = {}
        pending = []
        for layer_config in config["layers"]:
            layer = deserialize_keras_object(
                {k: v for k, v in layer_config.items() if k != "inbound_nodes"},
                custom_objects=custom_objects,
            )
            layers_by_name[layer_config["name"]] = layer
            from kerascore.layers.core.input_layer import InputLayer

            if isinstance(layer, InputLayer):
                produced[(layer.name, 0)] = [layer.output]
            for node_config in layer_config["inbound_nodes"]:
                pending.append((layer, node_config))
        node_counts = {}
        while pending:
            progressed = False
            for item in list(pending):
                layer, node_config = item
                try:
                    args = _decode_tensors(node_config["args"], produced)
                    kwargs = _decode_tensors(node_config["kwargs"], produced)
                except KeyError:
                    continue
                outputs = layer(*args, **kwargs)
                position = node_counts.get(layer.name, 0)
                node_counts[layer.name] = position + 1
                produced[(layer.name, position)] = tf.nest.flatten(outputs)
                pending.remove(item)
                progressed = True
            if not progressed:
                raise ValueError(
                    "Could not rebuild the functional model: the layer graph in the config is "
                    "incomplete or refers to unknown layers."
                )

        def lookup(ref):
            name, node_index, tensor_index = ref
            return produced[(name, node_index)][tensor_index]

        inputs = _map_io(config["input_layers"], lookup, decoding=True)
        outputs = _map_io(config["output_layers"], lookup, decoding=True)
        return cls(
            inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True)
        )


def _is_reference(value):
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
    )


def _map_io(structure, fn, decoding=False):
    if decoding:
        if _is_reference(structure):
            return fn(structure)
        if isinstance(structure, dict):
            return {key: _map_io(value, fn, True) for key, value in structure.items()}
        return [_map_io(value, fn, True) for value in structure]
    if isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, dict):
        return {key: _map_io(value, fn) for key, value in structure.items()}
    return [_map_io(value, fn) for value in structure]


def _encode_tensors(structure, node_index_in_model):
    def encode(value):
        if isinstance(value, KerasTensor):
            layer, node_index, tensor_index = value._keras_history
            node = layer._inbound_nodes[node_index]
            return {"__keras_tensor__": [layer.name, node_index_in_model[id(node)], tensor_index]}
        if isinstance(value, (bool, int, float, str)) or value is None:
            return value
        raise ValueError(
            f"Cannot save a functional model whose layer call received {value!r} of type "
            f"{type(value).__name__}; only tensors and plain values can be saved."
        )

    if isinstance(structure, dict):
        return {
            key: _encode_tensors(value, node_index_in_model) for key, value in structure.items()
        }
    if isinstance(structure, (list, tuple)):
        return [_encode_tensors(value, node_index_in_model) for value in structure]
    return encode(structure)


def _decode_tensors(structure, produced):
    if isinstance(structure, dict):
        if "__keras_tensor__" in structure:
            name, node_index, tensor_index = structure["__keras_tensor__"]
            return produced[(name, node_index)][tensor_index]
        return {key: _decode_tensors(value, produced) for key, value in structure.items()}
    if isinstance(structure, list):
        return [_decode_tensors(value, produced) for value in structure]
    return structure
