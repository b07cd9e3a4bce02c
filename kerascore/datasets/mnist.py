"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 grayscale images."""

import numpy as np

from kerascore.datasets._storage import ORIGIN_FOLDER
from kerascore.utils.file_utils import get_file

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset (downloaded once into the Keras cache).

    Args:
        path: File name of the dataset in the cache (`~/.keras/datasets` or `$KERAS_HOME`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(60000, 28, 28)` and
        `(10000, 28, 28)` with values 0-255, uint8 digit labels 0-9 of shape `(60000,)` and
        `(10000,)`.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = kerascore.datasets.mnist.load_data()
    ```
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}mnist.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
