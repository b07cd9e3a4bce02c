"""`keras.random`: seeded random tensors.

Every function takes `seed`: an int (the same values every call), a `SeedGenerator` (new
values every call, reproducible from the generator's seed, usable inside compiled steps), or
None (a global generator). The draws are TensorFlow's stateless random ops, so a given seed
gives the same values as Keras 3 on its TensorFlow backend.
"""

import random as python_random

import tensorflow as tf

from kerascore import backend
from kerascore.saving.serialization import register_builtin
from kerascore.utils.naming import unique_name

_GLOBAL_GENERATOR = []


@register_builtin
class SeedGenerator:
    """A seed state that advances on every draw.

    Args:
        seed: an int; a random one when None.
        name: the generator's name.

    Example:
        seed_generator = keras.random.SeedGenerator(42)
        a = keras.random.normal((2, 3), seed=seed_generator)
        b = keras.random.normal((2, 3), seed=seed_generator)  # different from `a`
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
        self.name = name or unique_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = python_random.randint(1, int(1e9))
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        with tf.init_scope():
            self.state = tf.Variable(
                tf.constant([seed, 0], dtype="int64"),
                trainable=False,
                dtype="int64",
                name=f"{self.name}/seed_generator_state",
            )

    def next(self, ordered=True):
        """Returns the current seed state and advances it.

        Args:
            ordered: advance by one step (True) or scramble the state (False).

        Returns:
            An int64 tensor of shape `(2,)`.
        """
        value = self.state.value() * 1
        if ordered:
            self.state.assign_add(tf.constant([0, 1], dtype="int64"))
        else:
            self.state.assign((self.state + 1) * 5387 % 933199)
        return value

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name}, seed={self._initial_seed}>"


def global_seed_generator():
    """Returns the generator used when `seed=None`.

    It is created on first use, and again whenever `keras.utils.set_random_seed` has set a
    different global seed, so unseeded draws repeat from run to run once a seed is set.
    """
    from kerascore.utils.rng_utils import get_random_seed

    seed = get_random_seed()
    if not _GLOBAL_GENERATOR or _GLOBAL_GENERATOR[0][0] != seed:
        _GLOBAL_GENERATOR[:] = [(seed, SeedGenerator(seed, name="global_seed_generator"))]
    return _GLOBAL_GENERATOR[0][1]


def _reset_global_seed_generator():
    """Forgets the global generator; the next unseeded draw starts from the global seed."""
    _GLOBAL_GENERATOR.clear()


def draw_seed(seed):
    """Returns an int32 `(2,)` seed for a stateless op from an int, a SeedGenerator or None.

    Raises:
        ValueError: if `seed` is of another type.
    """
    if isinstance(seed, SeedGenerator):
        value = seed.next()
    elif isinstance(seed, int) and not isinstance(seed, bool):
        value = tf.constant([seed, 0], dtype="int64")
    elif seed is None:
        value = global_seed_generator().next(ordered=False)
    else:
        raise ValueError(
            "Argument `seed` must be an int, a `keras.random.SeedGenerator` or None. "
            f"Received: seed={seed!r} of type {type(seed).__name__}"
        )
    return tf.cast(tf.math.floormod(value, tf.int32.max - 1), "int32")


def _dtype(dtype):
    return backend.standardize_dtype(dtype or backend.floatx())


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution.

    Args:
        shape: the output shape.
        mean, stddev: the distribution's mean and standard deviation.
        dtype: a float dtype, `floatx()` by default.
        seed: an int, a `SeedGenerator` or None.
    """
    return tf.random.stateless_normal(
        shape, seed=draw_seed(seed), mean=mean, stddev=stddev, dtype=_dtype(dtype)
    )


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniformly from `[minval, maxval)`.

    Args:
        shape: the output shape.
        minval, maxval: the bounds.
        dtype: a float dtype, `floatx()` by default.
        seed: an int, a `SeedGenerator` or None.
    """
    dtype = _dtype(dtype)
    if "float" not in dtype:
        raise ValueError(
            "`keras.random.uniform` requires a float dtype; use `randint` for integers. "
            f"Received: dtype={dtype}"
        )
    return tf.random.stateless_uniform(
        shape,
        seed=draw_seed(seed),
        minval=tf.cast(minval, dtype),
        maxval=tf.cast(maxval, dtype),
        dtype=dtype,
    )


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution, redrawing values more than 2 stddevs away."""
    return tf.random.stateless_truncated_normal(
        shape, seed=draw_seed(seed), mean=mean, stddev=stddev, dtype=_dtype(dtype)
    )


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Samples integers uniformly from `[minval, maxval)`."""
    dtype = backend.standardize_dtype(dtype)
    intermediate = dtype if dtype in ("int32", "int64") else "int64"
    values = tf.random.stateless_uniform(
        shape, seed=draw_seed(seed), minval=minval, maxval=maxval, dtype=intermediate
    )
    return tf.cast(values, dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws `num_samples` class ids per row of `logits` `(batch, classes)`."""
    samples = tf.random.stateless_categorical(logits, num_samples, seed=draw_seed(seed))
    return tf.cast(samples, dtype)


def shuffle(x, axis=0, seed=None):
    """Shuffles `x` along `axis`."""
    x = tf.convert_to_tensor(x)
    keys = tf.random.stateless_uniform([tf.shape(x)[axis]], seed=draw_seed(seed))
    return tf.gather(x, tf.argsort(keys), axis=axis)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes a fraction `rate` of `inputs` and scales the rest by `1 / (1 - rate)`.

    Args:
        inputs: the tensor.
        rate: the fraction to drop, in `[0, 1]`.
        noise_shape: shape of the drop mask, broadcast over `inputs`; None entries take the
            input's size.
        seed: an int, a `SeedGenerator` or None.
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"Expected `rate` in [0, 1]. Received: rate={rate}")
    inputs = tf.convert_to_tensor(inputs)
    if rate == 1:
        return tf.zeros_like(inputs)
    if rate == 0:
        return inputs
    shape = tf.shape(inputs)
    if noise_shape is not None:
        shape = [shape[i] if dim is None else dim for i, dim in enumerate(noise_shape)]
    return tf.nn.experimental.stateless_dropout(
        inputs, rate=rate, noise_shape=shape, seed=draw_seed(seed)
    )


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from a gamma distribution with concentration `alpha`."""
    dtype = _dtype(dtype)
    intermediate = "float32" if dtype == "bfloat16" else dtype
    values = tf.random.stateless_gamma(shape, seed=draw_seed(seed), alpha=alpha, dtype=intermediate)
    return tf.cast(values, dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from a binomial distribution."""
    dtype = _dtype(dtype)
    values = tf.random.stateless_binomial(
        shape, seed=draw_seed(seed), counts=counts, probs=probabilities, output_dtype="float32"
    )
    return tf.cast(values, dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a beta distribution, as `X / (X + Y)` of two gamma draws."""
    dtype = _dtype(dtype)
    first = draw_seed(seed)
    second = first + 12
    intermediate = "float32" if dtype == "bfloat16" else dtype
    alpha = tf.broadcast_to(tf.cast(alpha, intermediate), shape)
    beta = tf.broadcast_to(tf.cast(beta, intermediate), shape)
    a = tf.random.stateless_gamma(shape, seed=first, alpha=alpha, dtype=intermediate)
    b = tf.random.stateless_gamma(shape, seed=second, alpha=beta, dtype=intermediate)
    return tf.cast(a / (a + b), dtype)


__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]
