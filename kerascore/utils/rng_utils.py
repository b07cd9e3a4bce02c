"""Global seeding for reproducible runs."""

import random

import numpy as np
import tensorflow as tf

_GLOBAL_SEED = None


def set_random_seed(seed):
    """Seeds Python's `random`, NumPy and TensorFlow so that a run can be repeated.

    Weight initialization, dropout and shuffling then give the same values run after run.

    Args:
        seed: Integer in `[0, 2**32)`.

    Raises:
        ValueError: if `seed` is not an integer or is outside that range.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"Expected an integer seed. Received: seed={seed!r} of type {type(seed).__name__}"
        )
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"Expected a seed in [0, 2**32). Received: seed={seed}")
    global _GLOBAL_SEED
    _GLOBAL_SEED = seed
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    from kerascore import random as kerascore_random

    # Unseeded kerascore.random draws restart too, as in Keras.
    kerascore_random._reset_global_seed_generator()


def get_random_seed():
    """Returns the seed last given to `set_random_seed`, or `None`."""
    return _GLOBAL_SEED
