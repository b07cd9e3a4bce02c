"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images of 10 classes."""

import os

import numpy as np

from kerascore.datasets._cifar import load_batch
from kerascore.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """Loads the CIFAR-10 dataset (downloaded and extracted once into the Keras cache).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 channels-last images of shape
        `(50000, 32, 32, 3)` and `(10000, 32, 32, 3)`, uint8 labels 0-9 of shape `(50000, 1)`
        and `(10000, 1)`.
    """
    path = get_file(
        fname="cifar-10-batches-py-target", origin=ORIGIN, extract=True, file_hash=FILE_HASH
    )
    path = os.path.join(path, "cifar-10-batches-py")
    batches = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in batches]).astype("uint8")
    y_train = np.concatenate([np.asarray(labels) for _, labels in batches]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1)).astype("uint8")
    # kerascore's image layers are channels-last, Keras's default image_data_format.
    x_train = x_train.transpose(0, 2, 3, 1)
    x_test = x_test.transpose(0, 2, 3, 1).astype("uint8")
    return (x_train, y_train), (x_test, y_test)
