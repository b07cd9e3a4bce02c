"""Utilities Keras scripts lean on: progress bar, one-hot labels, seeding, sequence padding."""

from kerascore.utils.numerical_utils import normalize, to_categorical
from kerascore.utils.progbar import Progbar
from kerascore.utils.rng_utils import get_random_seed, set_random_seed
from kerascore.utils.sequence_utils import pad_sequences

__all__ = [
    "Progbar",
    "get_random_seed",
    "normalize",
    "pad_sequences",
    "set_random_seed",
    "to_categorical",
]
