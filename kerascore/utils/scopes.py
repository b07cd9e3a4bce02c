"""`device`, `name_scope` and `remat`: Keras 3's backend scopes on TensorFlow."""

import tensorflow as tf


def device(device_name):
    """Returns a context manager that places the tensors and variables created in it on
    `device_name` (`"cpu:0"`, `"gpu:1"`, ...), as `keras.device` does on TensorFlow.

    Example:
        >>> with device("cpu:0"):
        ...     x = tf.ones((2,))
        >>> x.device.endswith("CPU:0")
        True
    """
    return tf.device(device_name)


class name_scope:
    """A name scope: variables and ops created in it get names prefixed `name/`.

    Args:
        name: the scope's name.
        caller: the object that opened the scope (with `deduplicate`, a scope opened again by
            the same caller under the same name adds no second prefix).
        deduplicate: whether to skip a scope that repeats its parent's name and caller.
        override_parent: a name to use as the full prefix instead of nesting under the
            enclosing scopes.

    Example:
        >>> with name_scope("block"):
        ...     v = tf.Variable(1.0, name="scale")
        >>> v.name
        'block/scale:0'
    """

    _stack = []

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name!r}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._tf_scope = None

    def __enter__(self):
        parent = name_scope._stack[-1] if name_scope._stack else None
        if (
            self.deduplicate
            and parent is not None
            and self.caller is not None
            and parent.caller is self.caller
            and parent.name == self.name
        ):
            return self
        # A name ending in "/" is absolute for tf.name_scope: it replaces the parents' prefix.
        scope_name = f"{self.override_parent}/{self.name}/" if self.override_parent else self.name
        self._tf_scope = tf.name_scope(scope_name)
        self._tf_scope.__enter__()
        name_scope._stack.append(self)
        return self

    def __exit__(self, *exc_info):
        if self._tf_scope is not None:
            name_scope._stack.pop()
            scope, self._tf_scope = self._tf_scope, None
            scope.__exit__(*exc_info)


def remat(f):
    """Wraps `f` so that the backward pass recomputes its activations instead of keeping
    them (rematerialization), trading compute for memory; on TensorFlow this is
    `tf.recompute_grad`.

    Args:
        f: a function of tensors (or a layer or model).

    Returns:
        A function with the same outputs and gradients as `f`.
    """
    return tf.recompute_grad(f)
