"""Weight regularizers: `regularizer(weight)` returns a scalar penalty added to the loss."""

import math

import tensorflow as tf

from kerascore import backend
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    resolve_identifier,
    serialize_keras_object,
)
from kerascore.utils.naming import to_snake_case


def validate_float_arg(value, name):
    """Returns `value` as a float if it is a finite non-negative number.

    Raises:
        ValueError: otherwise, naming the argument and the value.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (float, int))
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


@register_builtin
class Regularizer:
    """Base class of regularizers: `__call__(x)` returns a scalar penalty.

    Subclasses implement `__call__` and `get_config`.
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        """Builds a regularizer from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register_builtin
class L1L2(Regularizer):
    """`l1 * sum(abs(x)) + l2 * sum(square(x))`.

    Args:
        l1: L1 factor (non-negative).
        l2: L2 factor (non-negative).
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x):
        regularization = tf.constant(0.0, dtype=x.dtype)
        if self.l1 != 0.0:
            regularization += tf.cast(self.l1, x.dtype) * tf.reduce_sum(tf.abs(x))
        if self.l2 != 0.0:
            regularization += tf.cast(self.l2, x.dtype) * tf.reduce_sum(tf.square(x))
        return regularization

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@register_builtin
class L1(Regularizer):
    """`l1 * sum(abs(x))`.

    Args:
        l1: L1 factor (non-negative).
    """

    def __init__(self, l1=0.01):
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, name="l1")

    def __call__(self, x):
        return tf.cast(self.l1, x.dtype) * tf.reduce_sum(tf.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@register_builtin
class L2(Regularizer):
    """`l2 * sum(square(x))`.

    Args:
        l2: L2 factor (non-negative).
    """

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x):
        return tf.cast(self.l2, x.dtype) * tf.reduce_sum(tf.square(x))

    def get_config(self):
        return {"l2": self.l2}


@register_builtin
class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (or columns) of a 2D weight.

    The penalty is `factor * 0.5 * mean(abs(dot products of distinct normalised rows))`.

    Args:
        factor: Scale of the penalty (non-negative).
        mode: `"rows"` or `"columns"`.

    Raises:
        ValueError: for an invalid `factor` or `mode`, or a weight that is not 2D.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = validate_float_arg(factor, name="factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of ('rows', 'columns'). "
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, inputs):
        if len(inputs.shape) != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. "
                f"Received: inputs.shape={inputs.shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        square_sum = tf.reduce_sum(tf.square(inputs), axis=axis, keepdims=True)
        inv_norm = tf.minimum(tf.math.rsqrt(square_sum), 1.0 / backend.epsilon())
        inputs = inputs * inv_norm
        if self.mode == "rows":
            product = tf.matmul(inputs, inputs, transpose_b=True)
            size = inputs.shape[0]
        else:
            product = tf.matmul(inputs, inputs, transpose_a=True)
            size = inputs.shape[1]
        product_no_diagonal = product * (1.0 - tf.eye(size, dtype=inputs.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * tf.reduce_sum(tf.abs(product_no_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
# Keras 3 only knows "l1l2"; "l1_l2" is the name its documentation and Keras 2 use.
ALL_OBJECTS_DICT["l1_l2"] = L1L2

l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer):
    """Returns the JSON-able config of a regularizer."""
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """Rebuilds a regularizer from `serialize`'s output or a name."""
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns a regularizer from a name (`"l2"`), a config, an object or a callable.

    Raises:
        ValueError: if `identifier` cannot be interpreted; the message lists valid names.
    """
    return resolve_identifier(
        identifier, "regularizer", ALL_OBJECTS_DICT, expected="a name, a config or a callable"
    )
