"""Boston housing prices: 506 samples of 13 features and a median price in k$."""

import numpy as np

from kerascore.datasets._storage import ORIGIN_FOLDER, split_train_test
from kerascore.utils.file_utils import get_file

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing dataset (downloaded once into the Keras cache).

    Args:
        path: File name of the dataset in the cache.
        test_split: Fraction of the data kept for test, in `[0, 1)`.
        seed: Seed of the shuffle before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 features of shape `(n, 13)` and float64
        targets of shape `(n,)`.

    Raises:
        ValueError: if `test_split` is outside `[0, 1)`.
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. "
            "It must be between 0 and 1 (exclusive of 1)."
        )
    path = get_file(path, origin=f"{ORIGIN_FOLDER}boston_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return split_train_test(x, y, test_split, seed)
