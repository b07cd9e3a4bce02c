"""Reuters newswires: 11,228 wires as word-index sequences, labelled with one of 46 topics."""

import json

import numpy as np

from kerascore.datasets._sequences import drop_long, limit_vocabulary, shift_indices
from kerascore.datasets._storage import ORIGIN_FOLDER, load_npz
from kerascore.utils.file_utils import get_file

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_FILE_HASH = "4d44cc38712099c9e383dc6e5f11a921"

_LABEL_NAMES = (
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
)


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Loads the Reuters newswire dataset (downloaded once into the Keras cache).

    Word indices are ranked by frequency and shifted by `index_from`, which leaves 0 for
    padding, `start_char` and `oov_char`.

    Args:
        path: File name of the dataset in the cache.
        num_words: Keep only indices below `num_words` (others become `oov_char`); `None`
            keeps all.
        skip_top: Indices below `skip_top` also become `oov_char`.
        maxlen: Drop the sequences of `maxlen` words or more (start character included).
        test_split: Fraction of the wires kept for test.
        seed: Seed of the shuffle before the split.
        start_char: Index put at the start of every sequence; `None` for none.
        oov_char: Index replacing the words cut by `num_words` or `skip_top`; `None` drops them.
        index_from: Offset added to every word index.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints and int64 topic
        labels 0-45.
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}reuters.npz", file_hash=FILE_HASH)
    arrays = load_npz(path)
    indices = np.arange(len(arrays["x"]))
    np.random.RandomState(seed).shuffle(indices)
    sequences, labels = arrays["x"][indices], arrays["y"][indices]

    sequences = shift_indices(sequences, start_char, index_from)
    if maxlen:
        sequences, labels = drop_long(maxlen, sequences, labels)
    sequences = limit_vocabulary(sequences, num_words, skip_top, oov_char)
    cut = int(len(sequences) * (1 - test_split))
    return (
        (np.array(sequences[:cut], dtype="object"), np.array(labels[:cut])),
        (np.array(sequences[cut:], dtype="object"), np.array(labels[cut:])),
    )


def get_word_index(path="reuters_word_index.json"):
    """Returns the `{word: index}` dict of the Reuters dataset (indices before `index_from`).

    Args:
        path: File name of the word index in the cache.
    """
    path = get_file(
        path,
        origin=f"{ORIGIN_FOLDER}reuters_word_index.json",
        file_hash=WORD_INDEX_FILE_HASH,
    )
    with open(path) as f:
        return json.load(f)


def get_label_names():
    """Returns the 46 topic names, indexed by label."""
    return _LABEL_NAMES
