"""`Metric`: the base of stateful metrics.

A `Metric` owns non-trainable `tf.Variable`s created eagerly in `__init__`, so that
`update_state` can run inside a `tf.function`. `result()` reads the accumulated value and
`reset_state()` zeroes it. The variables are `ON_READ`/`SUM` variables, so under a
`tf.distribute` strategy each replica accumulates locally and reads sum over replicas.
"""

import tensorflow as tf

from kerascore import backend, initializers
from kerascore.saving.serialization import (
    register_builtin,
)
from kerascore.utils.naming import to_snake_case

_AGGREGATIONS = {
    "sum": tf.VariableAggregation.SUM,
    "mean": tf.VariableAggregation.MEAN,
    "only_first_replica": tf.VariableAggregation.ONLY_FIRST_REPLICA,
    "none": tf.VariableAggregation.NONE,
    None: tf.VariableAggregation.NONE,
}


@register_builtin
class Metric:
    """Base class of metrics: `update_state(...)` accumulates, `result()` reads.

    Subclasses create their state with `add_variable` in `__init__` and implement
    `update_state` and `result`.

    Args:
        name: Name of the metric; defaults to the snake-case class name.
        dtype: Dtype of the metric's state and result; defaults to `backend.floatx()`.
    """

    _direction = None

    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = backend.standardize_dtype(dtype)
        self._variables = []

    @property
    def dtype(self):
        """The dtype of the metric's state and result."""
        return self._dtype

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state variable of the metric.

        Args:
            shape: Shape of the variable.
            initializer: Initializer name or object.
            dtype: Dtype; defaults to the metric's dtype.
            aggregation: How replicas combine on read (`"sum"`, `"mean"`, ...).
            name: Name of the variable.

        Returns:
            The `tf.Variable`.
        """
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}.__init__() must call super().__init__() before "
                "add_variable()."
            )
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Expected `aggregation` in {list(_AGGREGATIONS)}. "
                f"Received: aggregation={aggregation!r}"
            )
        initializer = initializers.get(initializer)
        dtype = backend.standardize_dtype(dtype or self.dtype)
        shape = tuple(int(d) for d in shape)
        with tf.init_scope():
            variable = tf.Variable(
                initial_value=lambda: initializer(shape, dtype=dtype),
                dtype=dtype,
                trainable=False,
                name=name or "variable",
                synchronization=tf.VariableSynchronization.ON_READ,
                aggregation=_AGGREGATIONS[aggregation],
            )
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` with a zeros default."""
        return self.add_variable(
            shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name
        )

    @property
    def variables(self):
        """The state variables, in creation order (those of sub-metrics follow)."""
        found = list(self._variables)
        for value in self.__dict__.values():
            if isinstance(value, Metric) and value is not self:
                found.extend(value.variables)
        return found

    def update_state(self, *args, **kwargs):
        """Accumulates statistics from one batch."""
        raise NotImplementedError

    def result(self):
        """Returns the metric value from the accumulated state."""
        raise NotImplementedError

    def reset_state(self):
        """Resets every state variable to zeros."""
        for v in self.variables:
            v.assign(tf.zeros(v.shape, dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Builds a metric from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


def check_2d(metric_name, y_true_shape, y_pred_shape):
    if len(y_pred_shape) != 2 or len(y_true_shape) != 2 or y_pred_shape[-1] is None:
        raise ValueError(
            f"{metric_name} expects 2D inputs with shape (batch_size, output_dim), with "
            f"output_dim fully defined. Received input shapes: y_pred.shape={y_pred_shape} "
            f"and y_true.shape={y_true_shape}."
        )
