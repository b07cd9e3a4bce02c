"""The `Layer` base class: weights, sublayer tracking, lazy build, the call contract.

Why one file of ~750 lines: one class, the contract every layer follows; `__call__` below
says in order what a call does. `InputSpec` lives beside it in `input_spec.py`;
`RematScope`, which decides how a layer's call is rematerialized, is here because only
`Layer.__init__` and `Layer.__call__` read it.
"""

import collections
import contextlib
import functools
import inspect
import math
import re
import threading

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.saving.serialization import register_builtin
from kerascore.utils.naming import reset_unique_names, to_snake_case, unique_name

_CALL_CONTEXT = threading.local()
_REMAT_SCOPES = threading.local()

_REMAT_MODES = ("full", "activations", "larger_than", "list_of_layers", None)

RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


class RematScope:
    """Rematerializes the calls of the layers created inside it, as `keras.RematScope`.

    Rematerialization (gradient checkpointing) keeps fewer activations for the backward pass
    and recomputes them there (`tf.recompute_grad`): less memory, more compute, the same
    gradients. The scope active when a layer is *created* decides how its calls run.

    Args:
        mode: `"full"` (every layer), `"activations"` (only the `activation` of layers that
            have one, such as `Dense(..., activation="relu")`), `"larger_than"` (layers whose
            outputs hold more than `output_size_threshold` values, a `None` dimension
            counting as 1), `"list_of_layers"` (the layers named in `layer_names`), or `None`
            (no rematerialization, also inside an outer scope).
        output_size_threshold: the output size above which `"larger_than"` rematerializes.
        layer_names: the names of the layers `"list_of_layers"` rematerializes.

    Raises:
        ValueError: if `mode` is not one of the above.

    Example:
        >>> with RematScope(mode="list_of_layers", layer_names=["big"]):
        ...     big = keras.layers.Dense(4096, name="big")
        ...     small = keras.layers.Dense(8, name="small")  # runs as usual
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _REMAT_MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []

    def __enter__(self):
        if not hasattr(_REMAT_SCOPES, "stack"):
            _REMAT_SCOPES.stack = []
        _REMAT_SCOPES.stack.append(self)
        return self

    def __exit__(self, *exc_info):
        _REMAT_SCOPES.stack.remove(self)


def current_remat_mode():
    """The `RematMode` of the innermost active `RematScope`, or None outside any."""
    stack = getattr(_REMAT_SCOPES, "stack", None)
    if not stack:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def _as_function_of_tensors(function, args, kwargs):
    """`function` as a function of the tensors among `args` and `kwargs`, taken positionally,
    the other values bound as they are; returns it and those tensors."""
    flat = tf.nest.flatten((args, kwargs))
    positions = [index for index, value in enumerate(flat) if tf.is_tensor(value)]

    def on_tensors(*tensors):
        values = list(flat)
        for position, tensor in zip(positions, tensors):
            values[position] = tensor
        call_args, call_kwargs = tf.nest.pack_sequence_as((args, kwargs), values)
        return function(*call_args, **call_kwargs)

    return on_tensors, [flat[position] for position in positions]


def _recompute_on_backward(function, args, kwargs):
    """`function(*args, **kwargs)` under `tf.recompute_grad` (the tensors passed
    positionally: a custom gradient takes no keyword arguments in a graph)."""
    on_tensors, tensors = _as_function_of_tensors(function, args, kwargs)
    # The backward pass recomputes after this call has returned; sublayers read `training`
    # from the call context, so the recomputation runs inside the context of the forward.
    context = current_call_context()

    def in_forward_context(*tensors):
        _push_context(context)
        try:
            return on_tensors(*tensors)
        finally:
            _pop_context()

    return tf.recompute_grad(in_forward_context)(*tensors)


def clear_session():
    """Resets the automatic layer names (`dense`, `dense_1`, ...) and releases the kernels
    TensorFlow cached for models that no longer exist."""
    import gc

    reset_unique_names()
    gc.collect()
    backend.release_cached_kernels()


class CallContext:
    """What an outer `__call__` passes down to sublayers: the training flag."""

    def __init__(self, training):
        self.training = training


def current_call_context():
    stack = getattr(_CALL_CONTEXT, "stack", None)
    return stack[-1] if stack else None


def _push_context(context):
    if not hasattr(_CALL_CONTEXT, "stack"):
        _CALL_CONTEXT.stack = []
    _CALL_CONTEXT.stack.append(context)


def _pop_context():
    _CALL_CONTEXT.stack.pop()


def _shape_of(value):
    if hasattr(value, "shape"):
        shape = value.shape
        if isinstance(shape, tf.TensorShape):
            return tuple(shape.as_list()) if shape.rank is not None else None
        return tuple(shape)
    return None


def standardize_shape(shape):
    """Converts a shape given as TensorShape, list or tuple to a tuple of ints/None."""
    if shape is None:
        return None
    if isinstance(shape, tf.TensorShape):
        return tuple(shape.as_list())
    if isinstance(shape, int):
        return (shape,)
    result = []
    for dim in shape:
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise ValueError(
                f"Expected a shape of ints or None. Received: shape={shape!r} "
                f"(entry {dim!r} of type {type(dim).__name__})"
            )
        if dim is not None and dim < 0:
            raise ValueError(f"Negative dimensions are not allowed. Received: shape={shape!r}")
        result.append(None if dim is None else int(dim))
    return tuple(result)


def cast_to_compute(variable, compute_dtype):
    """Returns `variable` in the layer's compute dtype (float16 weights under mixed precision)."""
    if variable.dtype != compute_dtype and variable.dtype.is_floating:
        return tf.cast(variable, compute_dtype)
    return variable


def add_activity_loss(layer, outputs):
    """Adds `activity_regularizer(outputs)` divided by the batch size to `layer`'s losses
    (Keras 3 normalizes by the batch size so the strength does not depend on it)."""
    penalty = layer.activity_regularizer(outputs)
    batch_size = tf.cast(tf.shape(outputs)[0], penalty.dtype)
    layer.add_loss(tf.math.divide_no_nan(penalty, batch_size))


def _collect_masks(inputs):
    """The `_keras_mask` a previous layer attached to `inputs` (a list for list inputs)."""
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(value, "_keras_mask", None) for value in inputs]
        return None if all(mask is None for mask in masks) else masks
    return getattr(inputs, "_keras_mask", None)


def _attach_mask(outputs, mask):
    flat_outputs = tf.nest.flatten(outputs)
    flat_masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(flat_outputs)
    for output, output_mask in zip(flat_outputs, flat_masks):
        # Some outputs (e.g. composite tensors) do not take attributes; they carry no mask.
        with contextlib.suppress(AttributeError):
            output._keras_mask = output_mask


def _is_symbolic(value):
    from kerascore.models.functional import KerasTensor

    return any(isinstance(item, KerasTensor) for item in tf.nest.flatten(value))


@register_builtin
class Layer:
    """The base class every layer and model derives from.

    A layer validates and stores its configuration in `__init__`, creates its weights in
    `build(input_shape)` with `add_weight`, and holds only the math in
    `call(inputs, training=None, mask=None)`. It is built lazily on its first call.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; `dense`, `dense_1`, ... when omitted.
        dtype: the dtype of the weights and of the computation (default `float32`).
    """

    def __init__(self, *, trainable=True, name=None, dtype=None, autocast=True, **kwargs):
        allowed = {"input_shape", "input_dim", "batch_input_shape", "batch_size", "input_length"}
        unknown = set(kwargs) - allowed
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(unknown)}"
            )
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Expected a string for name. Received: name={name!r}")
        object.__setattr__(self, "_tracking_enabled", False)
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._scope_name = re.sub(r"[^A-Za-z0-9_.\-]", "_", self.name).lstrip("_") or "layer"
        self._trainable = bool(trainable)
        from kerascore import mixed_precision

        self.dtype_policy = mixed_precision.resolve(dtype)
        self.compute_dtype = self.dtype_policy.compute_dtype
        self.variable_dtype = self.dtype_policy.variable_dtype
        self.dtype = self.variable_dtype
        self.autocast = autocast
        self.built = False
        self.input_spec = None
        self.supports_masking = False
        self._own_trainable = []
        self._own_non_trainable = []
        self._regularizers = []
        self._losses = []
        self._inbound_nodes = []
        self._build_shapes = None
        self._remat_mode = current_remat_mode()
        self._call_signature = inspect.signature(self.call)
        self._call_takes_training = "training" in self._call_signature.parameters
        self._call_takes_mask = "mask" in self._call_signature.parameters
        input_shape = kwargs.get("input_shape")
        if input_shape is None and kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        if kwargs.get("batch_input_shape") is not None:
            self._declared_batch_shape = tuple(kwargs["batch_input_shape"])
        elif input_shape is not None:
            self._declared_batch_shape = (kwargs.get("batch_size"), *tuple(input_shape))
        else:
            self._declared_batch_shape = None
        object.__setattr__(self, "_tracking_enabled", True)

    # ----------------------------------------------------------------- tracking

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezing or unfreezing a layer does the same to all its sublayers, as in Keras 3."""
        value = bool(value)
        for layer in self._flatten_layers():
            object.__setattr__(layer, "_trainable", value)

    def _tracked_children(self):
        """Sublayers reachable from attributes, also inside lists, tuples and dicts, in order."""
        found = []
        seen = set()

        def visit(value, depth):
            if depth > 4:
                return
            if isinstance(value, Layer):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item, depth + 1)
            elif isinstance(value, dict):
                for item in value.values():
                    visit(item, depth + 1)

        for key, value in self.__dict__.items():
            if key in self._untracked_attributes():
                continue
            visit(value, 0)
        return found

    def _untracked_attributes(self):
        return ("_inbound_nodes", "_outbound_nodes", "_history", "_keras_history", "_compile_state")

    @property
    def _layers(self):
        return self._tracked_children()

    def _flatten_layers(self, include_self=True):
        result = [self] if include_self else []
        seen = {id(self)}
        queue = list(self._layers)
        while queue:
            layer = queue.pop(0)
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            result.append(layer)
            queue = list(layer._layers) + queue
        return result

    # ----------------------------------------------------------------- weights
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        regularizer=None,
        constraint=None,
        name=None,
        aggregation="mean",
        autocast=True,
    ):
        """Creates a weight variable owned by this layer.

        Args:
            shape: the shape of the weight (ints), `()` for a scalar.
            initializer: an initializer name, instance or callable; `glorot_uniform` for
                floats when omitted, `zeros` otherwise.
            dtype: the weight dtype, the layer's `variable_dtype` by default.
            trainable: whether training updates it.
            regularizer: a regularizer whose penalty joins `layer.losses`.
            constraint: a projection applied after each optimizer update.
            name: the weight's name inside the layer.

        Returns:
            The created `tf.Variable`.
        """
        from kerascore import constraints, initializers, regularizers

        shape = standardize_shape(() if shape is None else shape)
        if any(dim is None for dim in shape):
            raise ValueError(
                f"Cannot create weight '{name}' of layer '{self.name}' with an undefined "
                f"dimension. Received: shape={shape}"
            )
        dtype = backend.standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        initializer = initializers.get(initializer)
        constraint = constraints.get(constraint)
        regularizer = regularizers.get(regularizer)
        with tf.init_scope():
            value = initializer(shape, dtype=dtype)
            variable = tf.Variable(
                value,
                trainable=trainable,
                name=f"{self.name}/{name or 'variable'}",
                dtype=dtype,
                constraint=constraint,
            )
        variable._kerascore_name = name or "variable"
        (self._own_trainable if trainable else self._own_non_trainable).append(variable)
        if regularizer is not None:
            self._regularizers.append((variable, regularizer))
        return variable

    def add_variable(
        self, shape, initializer="zeros", dtype=None, trainable=True, name=None, **kwargs
    ):
        """Alias of `add_weight` with a `zeros` default, as in Keras 3."""
        return self.add_weight(
            shape=shape,
            initializer=initializer,
            dtype=dtype,
            trainable=trainable,
            name=name,
            **kwargs,
        )

    @property
    def weights(self):
        result, seen = [], set()
        for variable in self._own_trainable + self._own_non_trainable:
            if id(variable) not in seen:
                seen.add(id(variable))
                result.append(variable)
        for layer in self._layers:
            for variable in layer.weights:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result

    variables = weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        result, seen = [], set()
        for variable in self._own_trainable:
            if id(variable) not in seen:
                seen.add(id(variable))
                result.append(variable)
        for layer in self._layers:
            for variable in layer.trainable_weights:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        trainable_ids = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable_ids]

    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """Returns the weights as a list of NumPy arrays, in the order of `weights`."""
        return [variable.numpy() for variable in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays in the order of `weights`.

        Raises:
            ValueError: if the number of arrays or any shape does not match.
        """
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f"Layer '{self.name}' expected {len(variables)} weights, but received "
                f"{len(weights)} arrays."
            )
        for variable, value in zip(variables, weights):
            value = np.asarray(value)
            if tuple(variable.shape) != value.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{variable.name}' has shape "
                    f"{tuple(variable.shape)}, but the array given has shape {value.shape}."
                )
        for variable, value in zip(variables, weights):
            variable.assign(np.asarray(value, dtype=variable.dtype.as_numpy_dtype))

    def count_params(self):
        """Returns the number of scalars in all weights."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so its weights do not exist. Call it on "
                "an input or call `build(input_shape)` first."
            )
        return int(sum(np.prod(v.shape) for v in self.weights))

    # ----------------------------------------------------------------- losses
    def add_loss(self, loss):
        """Adds a scalar loss term (a tensor) computed in `call`; fit adds it to the loss."""
        self._losses.append(loss)

    @property
    def losses(self):
        """Regularization penalties of all weights plus losses added in the last call."""
        result = []
        for layer in self._flatten_layers():
            result.extend(layer._losses)
            for variable, regularizer in layer._regularizers:
                result.append(regularizer(variable))
        return result

    def _clear_losses(self):
        for layer in self._flatten_layers():
            layer._losses = []

    # ----------------------------------------------------------------- build and call
    def build(self, input_shape):
        """Creates the layer's weights for inputs of `input_shape`; the default creates none."""
        self.built = True

    def _maybe_build(self, input_shapes):
        if self.built:
            return
        self._build_shapes = input_shapes
        with tf.init_scope():
            shape_arg = input_shapes
            if (
                isinstance(shape_arg, (list, tuple))
                and len(shape_arg) == 1
                and not (self._build_takes_list())
            ):
                shape_arg = shape_arg[0]
            self.build(shape_arg)
        self.built = True

    def _build_takes_list(self):
        return False

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; subclasses override it."""
        return inputs

    def __call__(self, *args, **kwargs):
        """Calls the layer on `inputs` (the first argument, or `call`'s first argument given
        by keyword, `layer(logits=...)`): what `layer(x)` does, in order.

        1. Symbolic inputs (`keras.Input` and what came of it) do not run the layer: the call
           is recorded as a node of a functional graph and symbolic outputs are returned.
        2. Inputs are converted to tensors and, with `autocast`, floats are cast to the
           layer's compute dtype.
        3. `training` is resolved: the argument, else the value of the outer layer's call,
           else the default of `call`'s own `training` parameter; it is dropped when `call`
           does not take it.
        4. `mask` is resolved: the argument, else the masks the inputs carry (`_keras_mask`);
           dropped when `call` does not take it.
        5. On the first call the layer builds (`build(input_shape)` creates the weights); on
           every call the inputs are checked against `input_spec`.
        6. The outermost call clears the losses of the previous call (`add_loss` collects
           afresh), then `call` runs under the layer's name scope, with `training` passed down
           to sublayers through the call context; a layer created inside a `RematScope` that
           selects it runs `call` (or its activation) rematerialized.
        7. The output mask (`compute_mask`) is attached to the outputs when masks are in play.

        Returns:
            The outputs of `call`.

        Raises:
            ValueError: when called without inputs, or with inputs `input_spec` rejects.
        """
        if not args:
            # Inputs given by keyword (`layer(logits=..., targets=...)`): the first argument
            # of `call` is the inputs, as in Keras.
            first = self._first_call_argument()
            if first in kwargs:
                args = (kwargs.pop(first),)
            elif "inputs" in kwargs:
                args = (kwargs.pop("inputs"),)
        if not args:
            raise ValueError(
                f"Layer '{self.name}' was called without inputs. Pass the input tensor as the "
                f"first positional argument (or as `{self._first_call_argument()}=`). "
                f"Received keyword arguments: {sorted(kwargs)}"
            )
        # 1. Symbolic call: record a node of the functional graph instead of computing.
        if _is_symbolic(args) or _is_symbolic(kwargs):
            from kerascore.models.functional import symbolic_call

            return symbolic_call(self, args, kwargs)
        # 2. Tensors in the compute dtype.
        inputs = self._convert_inputs(args[0])
        args = (inputs, *args[1:])
        # 3. The training flag: explicit, else inherited from the enclosing call, else the
        # default of `call` (a Dropout called alone at inference gets its own default).
        context = current_call_context()
        outermost = context is None
        training = kwargs.get("training")
        if training is None and context is not None:
            training = context.training
        if training is None and self._call_takes_training:
            default = self._call_signature.parameters["training"].default
            training = None if default is inspect.Parameter.empty else default
        if self._call_takes_training:
            kwargs["training"] = training
        elif "training" in kwargs:
            kwargs.pop("training")
        # 4. The mask: explicit, else what the previous layer attached to its outputs.
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = _collect_masks(inputs)
        if self._call_takes_mask:
            if kwargs.get("mask") is None and previous_mask is not None:
                kwargs["mask"] = previous_mask
        else:
            kwargs.pop("mask", None)
        # 5. Weights exist after the first call; shapes are checked on every call.
        if not self.built:
            self._maybe_build(self._input_shapes_of(inputs))
        self._check_input_spec(inputs)
        # 6. Only the outermost layer clears losses, so sublayers' `add_loss` calls add up.
        if outermost:
            self._clear_losses()
        _push_context(CallContext(training))
        try:
            with tf.name_scope(self._scope_name):
                # A user's `call` goes through AutoGraph when traced, so its Python `if` on
                # tensors works in a graph; kerascore's own layers are written without it.
                call = backend.autograph_user_code(self.call)
                outputs = self._rematerialized_call(call, args, kwargs)
        finally:
            _pop_context()
        # 7. Propagate a mask only when one came in or the layer makes or passes one on.
        if (
            previous_mask is not None
            or self.supports_masking
            or type(self).compute_mask is not (Layer.compute_mask)
        ):
            _attach_mask(outputs, self.compute_mask(inputs, previous_mask))
        return outputs

    def _rematerialized_call(self, call, args, kwargs):
        """Runs `call(*args, **kwargs)` as the `RematScope` active at creation decides, with
        Keras 3's rules (`keras/src/layers/layer.py`, `keras/src/ops/operation.py`)."""
        remat_mode = getattr(self, "_remat_mode", None)
        mode = remat_mode.mode if remat_mode is not None else None
        if mode == "activations" and getattr(self, "activation", None) is not None:
            original_activation = self.activation

            @functools.wraps(original_activation)
            def rematerialized_activation(*activation_args, **activation_kwargs):
                return _recompute_on_backward(
                    original_activation, activation_args, activation_kwargs
                )

            self.activation = rematerialized_activation
            try:
                return call(*args, **kwargs)
            finally:
                self.activation = original_activation
        selected = mode == "full" or (
            mode == "list_of_layers" and self.name in remat_mode.layer_names
        )
        if mode == "larger_than":
            selected = self._output_size(call, args, kwargs) > remat_mode.output_size_threshold
        if selected:
            return _recompute_on_backward(call, args, kwargs)
        return call(*args, **kwargs)

    def _output_size(self, call, args, kwargs):
        """The number of values in the outputs of `call` for these inputs (a `None`
        dimension counts as 1), found by tracing it."""
        on_tensors, tensors = _as_function_of_tensors(call, args, kwargs)
        specs = [tf.TensorSpec(tensor.shape, tensor.dtype) for tensor in tensors]
        outputs = tf.function(on_tensors).get_concrete_function(*specs).structured_outputs
        return sum(
            math.prod(dim or 1 for dim in tensor.shape.as_list())
            for tensor in tf.nest.flatten(outputs)
            if tf.is_tensor(tensor) and tensor.shape.rank is not None
        )

    def _first_call_argument(self):
        """The name of `call`'s first argument, the one that holds the inputs."""
        for parameter in self._call_signature.parameters.values():
            if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                return parameter.name
        return "inputs"

    def _convert_inputs(self, inputs):
        def convert(value):
            if isinstance(value, (np.ndarray, list, float, int, np.generic)) and not isinstance(
                value, bool
            ):
                value = tf.convert_to_tensor(value)
            if (
                self.autocast
                and tf.is_tensor(value)
                and value.dtype.is_floating
                and value.dtype != self.compute_dtype
            ):
                value = tf.cast(value, self.compute_dtype)
            return value

        if isinstance(inputs, (list, tuple, dict)):
            return tf.nest.map_structure(convert, inputs)
        return convert(inputs)

    def _input_shapes_of(self, inputs):
        if isinstance(inputs, dict):
            return {key: _shape_of(value) for key, value in inputs.items()}
        if isinstance(inputs, (list, tuple)):
            return [_shape_of(value) for value in inputs]
        return _shape_of(inputs)

    def _check_input_spec(self, inputs):
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
        flat = tf.nest.flatten(inputs)
        for index, (spec, value) in enumerate(zip(specs, flat)):
            if spec is None:
                continue
            shape = _shape_of(value)
            if shape is not None:
                spec.check(self.name, shape, index)

    def compute_output_shape(self, input_shape):
        """Returns the output shape for `input_shape` by tracing `call` symbolically."""
        from kerascore.models.functional import trace_output_spec

        spec = trace_output_spec(self, input_shape)
        return tf.nest.map_structure(lambda s: tuple(s.shape.as_list()), spec)

    def compute_mask(self, inputs, previous_mask):
        return previous_mask if self.supports_masking else None

    # ----------------------------------------------------------------- config
    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_policy.name}
        if self._declared_batch_shape is not None:
            config["batch_input_shape"] = list(self._declared_batch_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from `get_config()`'s output."""
        try:
            return cls(**config)
        except TypeError as error:
            raise TypeError(
                f"Could not rebuild {cls.__name__} from its config: {error}. A custom layer "
                "whose __init__ takes arguments must return them from get_config() "
                "(`return {**super().get_config(), 'units': self.units}`)."
            ) from error

    def get_build_config(self):
        """Returns what `build_from_config` needs to recreate the weights, or None."""
        if self._build_shapes is None:
            return None
        return {"input_shape": _jsonable_shape(self._build_shapes)}

    def build_from_config(self, config):
        """Builds the layer from `get_build_config()`'s output."""
        if config and config.get("input_shape") is not None and not self.built:
            self._maybe_build(_tupled_shape(config["input_shape"]))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _jsonable_shape(shape):
    if isinstance(shape, dict):
        return {key: _jsonable_shape(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_jsonable_shape(item) for item in shape]
    if shape is None:
        return None
    return list(shape)


def _tupled_shape(shape):
    if isinstance(shape, dict):
        return {key: _tupled_shape(value) for key, value in shape.items()}
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, dict)):
        return [_tupled_shape(item) for item in shape]
    return tuple(shape)
