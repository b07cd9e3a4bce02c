"""California housing prices: 20,640 districts, 8 features and a median house value in $."""

import numpy as np

from kerascore.datasets._storage import ORIGIN_FOLDER, split_train_test
from kerascore.utils.file_utils import get_file

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California housing dataset (downloaded once into the Keras cache).

    Args:
        version: `"large"` (all 20,640 samples) or `"small"` (the first 600).
        path: File name of the dataset in the cache.
        test_split: Fraction of the data kept for test, in `[0, 1)`.
        seed: Seed of the shuffle before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 features of shape `(n, 8)` and float32
        targets of shape `(n,)`.

    Raises:
        ValueError: if `test_split` is outside `[0, 1)` or `version` is unknown.
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. "
            "It must be between 0 and 1 (exclusive of 1)."
        )
    path = get_file(path, origin=f"{ORIGIN_FOLDER}california_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    return split_train_test(x, y, test_split, seed)
