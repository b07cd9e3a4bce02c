"""IMDB movie reviews: 25,000 training and 25,000 test reviews as word-index sequences, labelled
positive (1) or negative (0)."""

import json

import numpy as np

from kerascore.datasets._sequences import drop_long, limit_vocabulary, shift_indices
from kerascore.datasets._storage import ORIGIN_FOLDER, load_npz
from kerascore.utils.file_utils import get_file

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_FILE_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Loads the IMDB dataset (downloaded once into the Keras cache).

    Word indices are ranked by frequency (1 is the most frequent word in the raw file) and
    shifted by `index_from`, which leaves 0 for padding, `start_char` and `oov_char`.

    Args:
        path: File name of the dataset in the cache.
        num_words: Keep only indices below `num_words` (others become `oov_char`); `None`
            keeps all.
        skip_top: Indices below `skip_top` also become `oov_char`.
        maxlen: Drop the sequences of `maxlen` words or more (start character included).
        seed: Seed of the shuffle of each split.
        start_char: Index put at the start of every sequence; `None` for none.
        oov_char: Index replacing the words cut by `num_words` or `skip_top`; `None` drops them.
        index_from: Offset added to every word index.
        **kwargs: Accepted for compatibility and ignored.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints and int64 labels
        0 or 1.

    Raises:
        ValueError: if `maxlen` leaves no sequence in a split.
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}imdb.npz", file_hash=FILE_HASH)
    arrays = load_npz(path)
    rng = np.random.RandomState(seed)
    splits = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        indices = np.arange(len(arrays[x_key]))
        rng.shuffle(indices)
        splits.append((arrays[x_key][indices], arrays[y_key][indices]))
    (x_train, labels_train), (x_test, labels_test) = splits

    x_train = shift_indices(x_train, start_char, index_from)
    x_test = shift_indices(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was "
                "kept. Increase maxlen."
            )
    labels = np.concatenate([labels_train, labels_test])
    sequences = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    cut = len(x_train)
    return (
        (np.array(sequences[:cut], dtype="object"), labels[:cut]),
        (np.array(sequences[cut:], dtype="object"), labels[cut:]),
    )


def get_word_index(path="imdb_word_index.json"):
    """Returns the `{word: index}` dict of the IMDB dataset (indices before `index_from`).

    Args:
        path: File name of the word index in the cache.
    """
    path = get_file(
        fname=path,
        origin=f"{ORIGIN_FOLDER}imdb_word_index.json",
        file_hash=WORD_INDEX_FILE_HASH,
    )
    with open(path) as f:
        return json.load(f)
