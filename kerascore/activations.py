"""Activation functions, resolvable by name with `get("relu")`.

The maths follow Keras 3 on its TensorFlow backend. `sigmoid` and `softmax` keep their input
on the output as `_keras_logits`, so that crossentropy losses can work from the logits as
Keras does.
"""

import contextlib

import tensorflow as tf

from kerascore.saving.serialization import (
    deserialize_keras_object,
    get_registered_object,
    register_builtin,
    resolve_identifier,
    serialize_keras_object,
)


def _attach_logits(output, logits):
    with contextlib.suppress(AttributeError):
        output._keras_logits = logits
    return output


def _flat_softmax(x, fn, axis):
    # tf.nn treats axis=None as -1; Keras normalises over every element instead.
    if axis is None:
        return tf.reshape(fn(tf.reshape(x, [-1]), axis=-1), tf.shape(x))
    if isinstance(axis, (tuple, list)):
        rank = len(x.shape)
        axis = [a % rank for a in axis]
        kept = [d for d in range(rank) if d not in axis]
        perm = kept + list(axis)
        transposed = tf.transpose(x, perm)
        flat = tf.reshape(transposed, tf.concat([tf.shape(transposed)[: len(kept)], [-1]], 0))
        out = tf.reshape(fn(flat, axis=-1), tf.shape(transposed))
        return tf.transpose(out, sorted(range(rank), key=perm.__getitem__))
    return fn(x, axis=axis)


@register_builtin
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: `max(x, 0)`, with optional slope, cap and threshold.

    Args:
        x: Input tensor.
        negative_slope: Slope for values below the threshold.
        max_value: Upper bound of the output, or `None` for no bound.
        threshold: Values below it are set to zero (or follow `negative_slope`).

    Returns:
        A tensor of the same shape and dtype as `x`.
    """
    x = tf.convert_to_tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return tf.nn.leaky_relu(x, alpha=negative_slope)
        negative_part = tf.nn.relu(-x + threshold) if threshold != 0 else tf.nn.relu(-x)
    else:
        negative_part = 1
    clip_max = max_value is not None
    if threshold != 0:
        x = tf.where(x > tf.cast(threshold, x.dtype), x, tf.zeros_like(x))
    elif max_value == 6:
        x = tf.nn.relu6(x)
        clip_max = False
    else:
        x = tf.nn.relu(x)
    if clip_max:
        x = tf.clip_by_value(x, tf.cast(0.0, x.dtype), tf.cast(max_value, x.dtype))
    if negative_slope != 0.0:
        x -= negative_slope * negative_part
    return x


@register_builtin
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `x` if `x > 0` else `negative_slope * x`."""
    return tf.nn.leaky_relu(x, alpha=negative_slope)


@register_builtin
def relu6(x):
    """ReLU capped at 6: `min(max(x, 0), 6)`."""
    return tf.nn.relu6(x)


@register_builtin
def softmax(x, axis=-1):
    """Softmax over `axis` (an int, a tuple of ints, or `None` for all axes).

    Args:
        x: Input tensor (logits).
        axis: Axis or axes to normalise over.

    Returns:
        Probabilities that sum to one over `axis`.
    """
    x = tf.convert_to_tensor(x)
    return _attach_logits(_flat_softmax(x, tf.nn.softmax, axis), x)


@register_builtin
def log_softmax(x, axis=-1):
    """Logarithm of softmax over `axis`, computed stably."""
    return _flat_softmax(tf.convert_to_tensor(x), tf.nn.log_softmax, axis)


@register_builtin
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0` else `alpha * (exp(x) - 1)`."""
    res = tf.nn.elu(x)
    return res if alpha == 1 else tf.where(x > 0, res, alpha * res)


@register_builtin
def selu(x):
    """Scaled exponential linear unit (self-normalising)."""
    return tf.nn.selu(x)


@register_builtin
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(x, 0) + alpha * expm1(min(x, 0) / alpha)`."""
    return tf.maximum(x, 0.0) + alpha * tf.math.expm1(tf.minimum(x, 0.0) / alpha)


@register_builtin
def softplus(x):
    """Softplus: `log(exp(x) + 1)`."""
    return tf.math.softplus(x)


@register_builtin
def softsign(x):
    """Softsign: `x / (abs(x) + 1)`."""
    return tf.nn.softsign(x)


@register_builtin
def silu(x):
    """Sigmoid linear unit (swish): `x * sigmoid(x)`."""
    return tf.nn.silu(x)


swish = silu


@register_builtin
def gelu(x, approximate=False):
    """Gaussian error linear unit; the tanh approximation when `approximate=True`."""
    return tf.nn.gelu(tf.convert_to_tensor(x), approximate=approximate)


@register_builtin
def glu(x, axis=-1):
    """Gated linear unit: splits `x` in two halves `a, b` along `axis`; returns `a * sigmoid(b)`.

    Raises:
        ValueError: if the size of `axis` is odd.
    """
    x = tf.convert_to_tensor(x)
    if x.shape[axis] is not None and x.shape[axis] % 2 != 0:
        raise ValueError(
            f"axis size must be divisible by 2. Received: x.shape={x.shape} with axis={axis}"
        )
    x1, x2 = tf.split(x, num_or_size_splits=2, axis=axis)
    return x1 * tf.sigmoid(x2)


@register_builtin
def tanh(x):
    """Hyperbolic tangent."""
    return tf.nn.tanh(x)


@register_builtin
def tanh_shrink(x):
    """`x - tanh(x)`."""
    return x - tf.math.tanh(x)


@register_builtin
def hard_tanh(x):
    """Tanh approximated by clipping `x` to `[-1, 1]`."""
    return tf.clip_by_value(x, -1.0, 1.0)


@register_builtin
def soft_shrink(x, threshold=0.5):
    """Moves values towards zero by `threshold`; values within it become zero."""
    return tf.where(
        x > threshold, x - threshold, tf.where(x < -threshold, x + threshold, tf.zeros_like(x))
    )


@register_builtin
def hard_shrink(x, threshold=0.5):
    """Sets values with `abs(x) <= threshold` to zero."""
    return tf.where(tf.abs(x) > threshold, x, tf.zeros_like(x))


@register_builtin
def sigmoid(x):
    """Logistic sigmoid: `1 / (1 + exp(-x))`."""
    x = tf.convert_to_tensor(x)
    return _attach_logits(tf.nn.sigmoid(x), x)


@register_builtin
def hard_sigmoid(x):
    """Piecewise linear sigmoid: `relu6(x + 3) / 6`."""
    x = tf.convert_to_tensor(x)
    return tf.nn.relu6(x + tf.constant(3.0, x.dtype)) / tf.constant(6.0, x.dtype)


@register_builtin
def hard_silu(x):
    """Hard swish: `x * hard_sigmoid(x)`."""
    x = tf.convert_to_tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


@register_builtin
def log_sigmoid(x):
    """Logarithm of the sigmoid, computed stably."""
    return tf.math.log_sigmoid(x)


@register_builtin
def exponential(x):
    """Exponential: `exp(x)`."""
    return tf.exp(x)


@register_builtin
def linear(x):
    """Identity: returns `x` unchanged."""
    return x


@register_builtin
def mish(x):
    """Mish: `x * tanh(softplus(x))`."""
    x = tf.convert_to_tensor(x)
    return x * tf.nn.tanh(tf.math.softplus(x))


@register_builtin
def squareplus(x, b=4):
    """Squareplus: `(x + sqrt(x**2 + b)) / 2`."""
    x = tf.convert_to_tensor(x)
    return (x + tf.sqrt(tf.square(x) + tf.cast(b, x.dtype))) / 2


@register_builtin
def sparse_plus(x):
    """Sparse plus: 0 below -1, `(x + 1)**2 / 4` in `[-1, 1)`, `x` above."""
    return tf.where(x <= -1, tf.zeros_like(x), tf.where(x < 1, 0.25 * tf.pow(x + 1, 2), x))


@register_builtin
def sparse_sigmoid(x):
    """Sparse sigmoid: 0 below -1, `(x + 1) / 2` in `(-1, 1)`, 1 above."""
    x = tf.convert_to_tensor(x)
    return tf.where(
        x <= -1,
        tf.constant(0.0, x.dtype),
        tf.where(x >= 1, tf.constant(1.0, x.dtype), 0.5 * (x + 1)),
    )


@register_builtin
def threshold(x, threshold, default_value):
    """Keeps `x` where `x > threshold`, else `default_value`."""
    return tf.where(x > threshold, x, default_value)


ALL_OBJECTS_DICT = {
    fn.__name__: fn
    for fn in (
        relu,
        leaky_relu,
        relu6,
        softmax,
        log_softmax,
        elu,
        selu,
        celu,
        softplus,
        softsign,
        silu,
        gelu,
        glu,
        tanh,
        tanh_shrink,
        hard_tanh,
        soft_shrink,
        hard_shrink,
        sigmoid,
        hard_sigmoid,
        hard_silu,
        log_sigmoid,
        exponential,
        linear,
        mish,
        squareplus,
        sparse_plus,
        sparse_sigmoid,
        threshold,
    )
}
ALL_OBJECTS_DICT["swish"] = silu
ALL_OBJECTS_DICT["hard_swish"] = hard_silu


def serialize(activation):
    """Returns the name of a built-in activation, or the serialized form of a custom one.

    Args:
        activation: An activation function or callable object.

    Returns:
        A string for functions, a config dict for objects with `get_config`.
    """
    for name, fn in ALL_OBJECTS_DICT.items():
        if fn is activation:
            return fn.__name__ if name in ("swish", "hard_swish") else name
    return serialize_keras_object(activation)


def deserialize(config, custom_objects=None):
    """Returns the activation named or described by `config`.

    Raises:
        ValueError: if the name is neither built in nor registered.
    """
    if (
        isinstance(config, str)
        and config not in ALL_OBJECTS_DICT
        and get_registered_object(config, custom_objects) is None
    ):
        raise ValueError(_unknown(config))
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns an activation function from a name, a config, a callable or `None`.

    Args:
        identifier: `None` (gives `linear`), a name such as `"relu"`, a serialized config, or
            a callable (returned as is).

    Returns:
        A callable activation.

    Raises:
        ValueError: if `identifier` cannot be interpreted.
    """
    if identifier is None:
        return linear
    return resolve_identifier(
        identifier,
        "activation function",
        ALL_OBJECTS_DICT,
        expected="a name, a callable or None",
        hint=" Custom functions can be passed directly or registered with "
        "@kerascore.saving.register_keras_serializable().",
    )


def _unknown(name):
    return (
        f"Unknown activation function: {name!r}. Valid names: {sorted(ALL_OBJECTS_DICT)}. "
        "Custom functions can be passed directly or registered with "
        "@kerascore.saving.register_keras_serializable()."
    )
