"""Weight constraints: `constraint(w)` returns `w` projected back into the allowed set.

The optimizer applies a variable's constraint (`var.constraint`) after each update.
"""

import tensorflow as tf

from kerascore import backend
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    resolve_identifier,
    serialize_keras_object,
)
from kerascore.utils.naming import to_snake_case


@register_builtin
class Constraint:
    """Base class of constraints: `__call__(w)` returns the constrained weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds a constraint from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _norms(w, axis):
    return tf.sqrt(tf.reduce_sum(tf.square(w), axis=axis, keepdims=True))


@register_builtin
class MaxNorm(Constraint):
    """Rescales weights whose L2 norm along `axis` exceeds `max_value`.

    Args:
        max_value: Maximum norm.
        axis: Axis (or axes) the norm is computed over; 0 for the inputs of a `Dense` kernel.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = tf.clip_by_value(norms, 0, self.max_value)
        return tf.cast(w, norms.dtype) * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@register_builtin
class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        return tf.maximum(w, tf.zeros_like(w))


@register_builtin
class UnitNorm(Constraint):
    """Rescales weights to unit L2 norm along `axis`.

    Args:
        axis: Axis (or axes) the norm is computed over.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        return tf.cast(w, norms.dtype) / (backend.epsilon() + norms)

    def get_config(self):
        return {"axis": self.axis}


@register_builtin
class MinMaxNorm(Constraint):
    """Moves the L2 norm of weights along `axis` into `[min_value, max_value]`.

    Args:
        min_value: Minimum norm.
        max_value: Maximum norm.
        rate: Fraction of the way to move towards the clipped norm per call (1 = fully).
        axis: Axis (or axes) the norm is computed over.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = (
            self.rate * tf.clip_by_value(norms, self.min_value, self.max_value)
            + (1 - self.rate) * norms
        )
        return tf.cast(w, norms.dtype) * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})

max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm


def serialize(constraint):
    """Returns the JSON-able config of a constraint."""
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """Rebuilds a constraint from `serialize`'s output or a name."""
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns a constraint from a name (`"max_norm"`), a config, an object or a callable.

    Raises:
        ValueError: if `identifier` cannot be interpreted; the message lists valid names.
    """
    return resolve_identifier(
        identifier, "constraint", ALL_OBJECTS_DICT, expected="a name, a config or a callable"
    )
