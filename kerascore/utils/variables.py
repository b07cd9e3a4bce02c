"""`Variable`: a weight made outside a layer, as `keras.Variable` makes one.

kerascore keeps every weight in a `tf.Variable`; `Variable(...)` creates one with Keras's
arguments and checks, and `isinstance(x, Variable)` holds for every `tf.Variable`, so the
weights of layers, metrics and optimizers count as Keras variables too.
"""

import tensorflow as tf

from kerascore.utils.naming import unique_name
from kerascore.utils.tensor_utils import standardize_dtype

_AGGREGATIONS = {
    "none": tf.VariableAggregation.NONE,
    "mean": tf.VariableAggregation.MEAN,
    "sum": tf.VariableAggregation.SUM,
    "only_first_replica": tf.VariableAggregation.ONLY_FIRST_REPLICA,
}
_SYNCHRONIZATIONS = {
    "none": tf.VariableSynchronization.NONE,
    "on_read": tf.VariableSynchronization.ON_READ,
    "on_write": tf.VariableSynchronization.ON_WRITE,
    "auto": tf.VariableSynchronization.AUTO,
}


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, tf.Variable)


class Variable(metaclass=_VariableMeta):
    """Creates a weight: a `tf.Variable` with Keras 3's arguments.

    Args:
        initializer: the initial value (an array, tensor or number), or an initializer (a
            name such as `"zeros"`, an instance or a callable taking `(shape, dtype)`), which
            then needs `shape`.
        shape: the shape, for an initializer.
        dtype: the dtype; by default the value's own dtype, or `floatx()` for an initializer.
        trainable: whether `tape.gradient` and optimizers treat it as trainable.
        autocast: kept for Keras compatibility (kerascore layers cast weights to their compute
            dtype themselves).
        aggregation: `"none"`, `"mean"`, `"sum"` or `"only_first_replica"`: how replicas'
            updates combine under a distribution strategy.
        synchronization: `"auto"`, `"on_write"`, `"on_read"` or `"none"`.
        name: the variable's name, without `/` (default `variable`, `variable_1`, ...). Its
            `path` is the name under the enclosing `name_scope`s.

    Returns:
        A `tf.Variable` with `path` set, as Keras names it.

    Raises:
        ValueError: for a name with `/`, an unknown aggregation or synchronization, or an
            initializer without `shape`.

    Example:
        >>> v = Variable(initializer="ones", shape=(2,), name="scale")
        >>> v.path, v.numpy().tolist()
        ('scale', [1.0, 1.0])
    """

    def __new__(
        cls,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        **kwargs,
    ):
        name = name or unique_name("variable")
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name!r}"
            )
        aggregation = "none" if aggregation is None else aggregation
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Invalid value for argument `aggregation`. Expected one of {list(_AGGREGATIONS)}"
                f". Received: aggregation={aggregation!r}"
            )
        synchronization = "none" if synchronization is None else synchronization
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(
                "Invalid value for argument `synchronization`. Expected one of "
                f"{list(_SYNCHRONIZATIONS)}. Received: synchronization={synchronization!r}"
            )
        if isinstance(initializer, str):
            from kerascore import initializers

            initializer = initializers.get(initializer)
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    "When creating a Variable from an initializer, the `shape` argument should "
                    f"be specified. Received: initializer={initializer!r} and shape=None"
                )
            dtype = standardize_dtype(dtype)
            with tf.init_scope():
                value = initializer(tuple(shape), dtype=dtype)
        else:
            value = tf.convert_to_tensor(initializer, dtype=None if dtype is None else dtype)
            dtype = standardize_dtype(value.dtype if dtype is None else dtype)
            value = tf.cast(value, dtype)
        with tf.init_scope():
            variable = tf.Variable(
                value,
                trainable=bool(trainable),
                name=name,
                dtype=dtype,
                aggregation=_AGGREGATIONS[aggregation],
                synchronization=_SYNCHRONIZATIONS[synchronization],
            )
        scope = variable.name.rsplit(":", 1)[0].rsplit("/", 1)
        variable.path = f"{scope[0]}/{name}" if len(scope) == 2 else name
        variable._kerascore_name = name
        return variable
