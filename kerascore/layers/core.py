"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Embedding, Lambda."""

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "Lambda",
    "Reshape",
    "SymbolicOp",
]

import math

import numpy as np
import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.models.layer import InputSpec, Layer, cast_to_compute, unique_name
from kerascore.saving.serialization import register_builtin, serialize_keras_object


def _check_positive_int(layer_name, argument, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Received an invalid value for argument `{argument}` of layer {layer_name}: "
            f"expected a positive integer. Received: {argument}={value!r}"
        )


@register_builtin
class Dense(Layer):
    """A densely connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: positive int, the size of the output.
        activation: an activation name or function; none (linear) by default.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections applied after each update.

    Input shape:
        `(batch_size, ..., input_dim)`.

    Output shape:
        `(batch_size, ..., units)`.

    Example:
        layer = keras.layers.Dense(4, activation="relu")
        layer(np.ones((2, 3))).shape  # (2, 4)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_positive_int("Dense", "units", units)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' needs a defined last input dimension. Received input "
                f"shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs, training=None):
        kernel = cast_to_compute(self.kernel, self.compute_dtype)
        if inputs.shape.rank == 2:
            outputs = tf.matmul(inputs, kernel)
        else:
            outputs = tf.tensordot(inputs, kernel, axes=[[inputs.shape.rank - 1], [0]])
        if self.bias is not None:
            outputs = tf.nn.bias_add(outputs, cast_to_compute(self.bias, self.compute_dtype))
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            # Keras 3 averages the activity penalty over the batch.
            batch_size = tf.cast(tf.shape(outputs)[0], outputs.dtype)
            self.add_loss(self.activity_regularizer(outputs) / batch_size)
        return outputs

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
            config[key] = regularizers.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_constraint", "bias_constraint"):
            config[key] = constraints.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_initializer", "bias_initializer"):
            if isinstance(config.get(key), dict):
                config[key] = initializers.deserialize(config[key])
        return cls(**config)


@register_builtin
class Activation(Layer):
    """Applies an activation function, e.g. `Activation("relu")`."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


@register_builtin
class Dropout(Layer):
    """Sets a fraction `rate` of inputs to zero during training and scales the rest up.

    Args:
        rate: float in [0, 1), the fraction of inputs to drop.
        noise_shape: the shape of the binary mask, to drop whole features; None for inputs'.
        seed: an int for reproducible masks.

    Call arguments:
        training: drop only when True (fit passes it; inference does not drop).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(
                f"Invalid value received for argument `rate` of Dropout: expected a float in "
                f"[0, 1). Received: rate={rate!r}"
            )
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        noise_shape = None
        if self.noise_shape is not None:
            dynamic = tf.shape(inputs)
            noise_shape = [
                dynamic[i] if dim is None else dim for i, dim in enumerate(self.noise_shape)
            ]
        return tf.nn.dropout(inputs, rate=self.rate, noise_shape=noise_shape, seed=self.seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


@register_builtin
class Flatten(Layer):
    """Flattens each sample to one dimension: `(batch, d1, d2, ...)` → `(batch, d1*d2*...)`."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        shape = inputs.shape
        if self.data_format == "channels_first" and shape.rank > 2:
            inputs = tf.transpose(inputs, [0, *range(2, shape.rank), 1])
        flat = self.compute_output_shape(tuple(shape.as_list()))[1]
        if flat is not None:
            return tf.reshape(inputs, (-1, flat))
        return tf.reshape(inputs, (tf.shape(inputs)[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if not rest:
            return (input_shape[0], 1)
        if any(dim is None for dim in rest):
            return (input_shape[0], None)
        return (input_shape[0], int(math.prod(rest)))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


@register_builtin
class Reshape(Layer):
    """Reshapes each sample to `target_shape` (batch dimension kept; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for dim in target_shape if dim == -1) > 1 or any(
            not isinstance(dim, (int, np.integer)) or (dim < 1 and dim != -1)
            for dim in target_shape
        ):
            raise ValueError(
                "Expected target_shape of positive ints with at most one -1. Received: "
                f"target_shape={target_shape}"
            )
        self.target_shape = target_shape

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        target = list(self.target_shape)
        if any(dim is None for dim in rest):
            return (input_shape[0], *[None if d == -1 else d for d in target])
        total = math.prod(rest)
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if total % known:
                raise ValueError(self._mismatch(input_shape))
            target[target.index(-1)] = total // known
        elif known != total:
            raise ValueError(self._mismatch(input_shape))
        return (input_shape[0], *target)

    def _mismatch(self, input_shape):
        return (
            f"Layer '{self.name}': cannot reshape input of shape {tuple(input_shape)} "
            f"({math.prod(input_shape[1:])} values per sample) to target_shape "
            f"{self.target_shape}."
        )

    def call(self, inputs):
        return tf.reshape(inputs, (tf.shape(inputs)[0], *self.target_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@register_builtin
class Embedding(Layer):
    """Turns non-negative integer ids into dense vectors of size `output_dim`.

    Args:
        input_dim: the vocabulary size (largest id + 1).
        output_dim: the size of each vector.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint: for the table.
        mask_zero: whether id 0 is padding to be masked downstream.
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        **kwargs,
    ):
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        _check_positive_int("Embedding", "input_dim", input_dim)
        _check_positive_int("Embedding", "output_dim", output_dim)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(
            "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        )
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self._initial_weights = weights
        self.autocast = False

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in (tf.int32, tf.int64):
            inputs = tf.cast(inputs, tf.int32)
        return tf.nn.embedding_lookup(cast_to_compute(self.embeddings, self.compute_dtype), inputs)

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        return tf.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("embeddings_initializer"), dict):
            config["embeddings_initializer"] = initializers.deserialize(
                config["embeddings_initializer"]
            )
        if config.get("embeddings_regularizer"):
            config["embeddings_regularizer"] = regularizers.deserialize(
                config["embeddings_regularizer"]
            )
        if config.get("embeddings_constraint"):
            config["embeddings_constraint"] = constraints.deserialize(
                config["embeddings_constraint"]
            )
        return cls(**config)


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


@register_builtin
class Identity(Layer):
    """Returns its input unchanged."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
