"""Reading the dataset files without letting a tampered pickle run code."""

import io
import pickle
import zipfile

import numpy as np

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# Rebuilding NumPy arrays (the ragged IMDB/Reuters sequences, the CIFAR batches) needs exactly
# these globals; anything else (os.system, eval, ...) in a pickle is refused.
_ALLOWED_PICKLE_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds NumPy arrays, lists, dicts and scalars."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to deserialize `{module}.{name}` while loading a dataset. "
            "The file may be corrupted or malicious; delete it from the cache to download it again."
        )


def _read_npy(buffer):
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:
        pass
    # An object array (ragged sequences) is a pickle after the header.
    buffer.seek(0)
    major, _ = np.lib.format.read_magic(buffer)
    if major == 1:
        np.lib.format.read_array_header_1_0(buffer)
    elif major in (2, 3):
        # Format 3.0 only changes the header's text encoding; its layout is 2.0's.
        np.lib.format.read_array_header_2_0(buffer)
    else:
        raise ValueError(f"Unsupported .npy format version {major} in a dataset file.")
    return RestrictedUnpickler(buffer).load()


def load_npz(path):
    """Returns a `{name: array}` dict of an `.npz` file, object arrays included."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return arrays


def split_train_test(x, y, test_split, seed):
    """Shuffles `x` and `y` together with `seed`, then keeps the last `test_split` for test."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
