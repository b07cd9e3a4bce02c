"""Weight initializers, resolvable by name with `get("glorot_uniform")`.

Seeding follows Keras 3: an initializer built with an integer `seed` draws from
`tf.random.stateless_*` with the seed `[seed, 0]`, so it returns the same values on every
call (and the same values as Keras 3 itself). With `seed=None` it uses TensorFlow's stateful
random ops, so `tf.random.set_seed(s)` makes a run reproducible.
"""

import math

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    resolve_identifier,
    serialize_keras_object,
)
from kerascore.utils.naming import to_snake_case

_INT32_MAX = 2**31 - 1


def _stateless_seed(seed):
    # Same derivation as Keras 3's TensorFlow backend: int64 [seed, 0], folded into int32.
    seed = tf.constant([seed, 0], dtype="int64")
    return tf.cast(tf.math.floormod(seed, _INT32_MAX - 1), "int32")


def _random_normal(shape, mean, stddev, dtype, seed):
    if seed is None:
        return tf.random.normal(shape, mean=mean, stddev=stddev, dtype=dtype)
    return tf.random.stateless_normal(
        shape, mean=mean, stddev=stddev, dtype=dtype, seed=_stateless_seed(seed)
    )


def _random_truncated_normal(shape, mean, stddev, dtype, seed):
    if seed is None:
        return tf.random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype)
    return tf.random.stateless_truncated_normal(
        shape, mean=mean, stddev=stddev, dtype=dtype, seed=_stateless_seed(seed)
    )


def _random_uniform(shape, minval, maxval, dtype, seed):
    minval, maxval = tf.cast(minval, dtype), tf.cast(maxval, dtype)
    if seed is None:
        return tf.random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype)
    return tf.random.stateless_uniform(
        shape, minval=minval, maxval=maxval, dtype=dtype, seed=_stateless_seed(seed)
    )


def _shape_tuple(shape):
    return tuple(int(d) for d in shape)


@register_builtin
class Initializer:
    """Base class of initializers: `initializer(shape, dtype=None)` returns a tensor.

    Subclasses implement `__call__` and, when they take arguments, `get_config`.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds an initializer from `get_config()`'s output."""
        return cls(**config)

    def clone(self):
        """Returns a new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register_builtin
class Zeros(Initializer):
    """Initializes to 0."""

    def __call__(self, shape, dtype=None):
        return tf.zeros(_shape_tuple(shape), dtype=backend.standardize_dtype(dtype))


@register_builtin
class Ones(Initializer):
    """Initializes to 1."""

    def __call__(self, shape, dtype=None):
        return tf.ones(_shape_tuple(shape), dtype=backend.standardize_dtype(dtype))


@register_builtin
class Constant(Initializer):
    """Initializes every element to `value`.

    Args:
        value: A Python scalar.
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = backend.standardize_dtype(dtype)
        return tf.cast(self.value, dtype) * tf.ones(_shape_tuple(shape), dtype=dtype)

    def get_config(self):
        return {"value": serialize_keras_object(self.value)}

    @classmethod
    def from_config(cls, config):
        return cls(deserialize_keras_object(config["value"]))


@register_builtin(name="initializers.Identity")
class Identity(Initializer):
    """Initializes a 2D matrix to `gain` times the identity.

    Args:
        gain: Multiplier of the identity matrix.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape_tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = backend.standardize_dtype(dtype)
        return self.gain * tf.eye(*shape, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of random initializers; validates and stores `seed` (an int or `None`)."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(
                f"Expected an integer or None for argument `seed`. Received: seed={seed!r}"
            )
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


@register_builtin
class RandomNormal(RandomInitializer):
    """Draws from a normal distribution.

    Args:
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution.
        seed: Integer for reproducible values, or `None`.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dtype = backend.standardize_dtype(dtype)
        return _random_normal(_shape_tuple(shape), self.mean, self.stddev, dtype, self.seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@register_builtin
class TruncatedNormal(RandomInitializer):
    """Draws from a normal distribution, redrawing values beyond two standard deviations.

    Args:
        mean: Mean of the distribution.
        stddev: Standard deviation before truncation.
        seed: Integer for reproducible values, or `None`.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dtype = backend.standardize_dtype(dtype)
        return _random_truncated_normal(
            _shape_tuple(shape), self.mean, self.stddev, dtype, self.seed
        )

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@register_builtin
class RandomUniform(RandomInitializer):
    """Draws from a uniform distribution on `[minval, maxval)`.

    Args:
        minval: Lower bound.
        maxval: Upper bound (excluded).
        seed: Integer for reproducible values, or `None`.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dtype = backend.standardize_dtype(dtype)
        return _random_uniform(_shape_tuple(shape), self.minval, self.maxval, dtype, self.seed)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None):
    """Returns `(fan_in, fan_out)` of a weight shape, as Keras computes them.

    Args:
        shape: The weight shape.
        input_axes: Optional axes whose sizes multiply into `fan_in`.
        output_axes: Optional axes whose sizes multiply into `fan_out`.

    Returns:
        A tuple of two ints.
    """
    shape = _shape_tuple(shape)
    if input_axes is not None and output_axes is not None:
        return int(math.prod(shape[a] for a in input_axes)), int(
            math.prod(shape[a] for a in output_axes)
        )
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


@register_builtin
class VarianceScaling(RandomInitializer):
    """Draws with a variance scaled to the weight's fan-in, fan-out or their average.

    Args:
        scale: Positive scaling factor.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"` (or `"normal"`), `"untruncated_normal"` or
            `"uniform"`.
        seed: Integer for reproducible values, or `None`.
        input_axes: Optional axes forming the fan-in.
        output_axes: Optional axes forming the fan-out.

    Raises:
        ValueError: for a non-positive `scale`, or an unknown `mode` or `distribution`.
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        allowed_modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in allowed_modes:
            raise ValueError(f"Expected `mode` in {allowed_modes}. Received: mode={mode!r}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        allowed = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in allowed:
            raise ValueError(
                f"Expected `distribution` in {allowed}. Received: distribution={distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dtype = backend.standardize_dtype(dtype)
        shape = _shape_tuple(shape)
        scale = self.scale
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution == "truncated_normal":
            # Standard deviation of a unit normal truncated to [-2, 2].
            stddev = math.sqrt(scale) / 0.8796256610342398
            return _random_truncated_normal(shape, 0.0, stddev, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _random_normal(shape, 0.0, math.sqrt(scale), dtype, self.seed)
        limit = math.sqrt(3.0 * scale)
        return _random_uniform(shape, -limit, limit, dtype, self.seed)

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    _scale = 1.0
    _mode = "fan_in"
    _distribution = "uniform"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(
            scale=self._scale,
            mode=self._mode,
            distribution=self._distribution,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


@register_builtin
class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: limit `sqrt(6 / (fan_in + fan_out))`.

    Args:
        seed: Integer for reproducible values, or `None`.
    """

    _mode, _distribution = "fan_avg", "uniform"


@register_builtin
class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) truncated normal: stddev `sqrt(2 / (fan_in + fan_out))`.

    Args:
        seed: Integer for reproducible values, or `None`.
    """

    _mode, _distribution = "fan_avg", "truncated_normal"


@register_builtin
class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: limit `sqrt(3 / fan_in)`.

    Args:
        seed: Integer for reproducible values, or `None`.
    """

    _mode, _distribution = "fan_in", "uniform"


@register_builtin
class LecunNormal(_FixedVarianceScaling):
    """LeCun truncated normal: stddev `sqrt(1 / fan_in)`.

    Args:
        seed: Integer for reproducible values, or `None`.
    """

    _mode, _distribution = "fan_in", "truncated_normal"


@register_builtin
class HeUniform(_FixedVarianceScaling):
    """He uniform: limit `sqrt(6 / fan_in)`.

    Args:
        seed: Integer for reproducible values, or `None`.
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


@register_builtin
class HeNormal(_FixedVarianceScaling):
    """He truncated normal: stddev `sqrt(2 / fan_in)`.

    Args:
        seed: Integer for reproducible values, or `None`.
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


@register_builtin
class Orthogonal(RandomInitializer):
    """Initializes to a (semi-)orthogonal matrix, from the QR decomposition of a normal draw.

    Args:
        gain: Multiplier of the orthogonal matrix.
        seed: Integer for reproducible values, or `None`.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape_tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = backend.standardize_dtype(dtype)
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat_shape = (max(num_cols, num_rows), min(num_cols, num_rows))
        a = _random_normal(flat_shape, 0.0, 1.0, dtype, self.seed)
        q, r = tf.linalg.qr(a)
        q *= tf.sign(tf.linalg.diag_part(r))
        if num_rows < num_cols:
            q = tf.transpose(q)
        return self.gain * tf.reshape(q, shape)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


_CLASSES = (
    Initializer,
    Constant,
    Identity,
    Ones,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(
    {
        "IdentityInitializer": Identity,
        "OrthogonalInitializer": Orthogonal,
        "normal": RandomNormal,
        "uniform": RandomUniform,
        "one": Ones,
        "zero": Zeros,
    }
)


def serialize(initializer):
    """Returns the JSON-able config of an initializer."""
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """Rebuilds an initializer from `serialize`'s output or a name."""
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns an initializer from a name, a config, an array, a callable or `None`.

    Args:
        identifier: `None`, a name such as `"glorot_uniform"` or `"GlorotUniform"`, a
            serialized config, a NumPy array or tensor (used as the value), an initializer
            class or a callable.

    Returns:
        An initializer (a callable `(shape, dtype=None) -> tensor`), or `None`.

    Raises:
        ValueError: if `identifier` cannot be interpreted.
    """
    if tf.is_tensor(identifier) or isinstance(identifier, (np.generic, np.ndarray)):
        return _value_initializer(identifier)
    return resolve_identifier(
        identifier,
        "initializer",
        ALL_OBJECTS_DICT,
        expected="a name, a config, an array or a callable",
        hint=" Custom initializers can be passed as objects or registered with "
        "@kerascore.saving.register_keras_serializable().",
    )


def _value_initializer(value):
    def initialize_fn(shape, dtype=None):
        if _shape_tuple(shape) != tuple(value.shape):
            raise ValueError(
                f"Expected `shape` to be {tuple(value.shape)} for a tensor used as "
                f"initializer. Received: shape={shape}"
            )
        return tf.cast(value, backend.standardize_dtype(dtype))

    return initialize_fn
