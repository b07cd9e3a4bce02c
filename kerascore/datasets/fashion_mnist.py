"""Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10 clothing kinds."""

import gzip
import os

import numpy as np

from kerascore.datasets._storage import ORIGIN_FOLDER
from kerascore.utils.file_utils import get_file

FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _read_idx(path, header_bytes):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header_bytes)


def load_data():
    """Loads the Fashion-MNIST dataset (four IDX files, downloaded once into the Keras cache
    under `datasets/fashion-mnist`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(60000, 28, 28)` and
        `(10000, 28, 28)`, uint8 labels 0-9 of shape `(60000,)` and `(10000,)`.
    """
    cache_subdir = os.path.join("datasets", "fashion-mnist")
    paths = [
        get_file(fname, origin=ORIGIN_FOLDER + fname, cache_subdir=cache_subdir) for fname in FILES
    ]
    y_train = _read_idx(paths[0], 8)
    x_train = _read_idx(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], 8)
    x_test = _read_idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
