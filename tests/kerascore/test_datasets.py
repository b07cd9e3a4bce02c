"""`kerascore.datasets` loaders read tiny files of the real formats from a temporary Keras cache,
offline: shapes, dtypes, the IMDB/Reuters index arithmetic against hand-computed values, and
the same arrays as `keras.datasets` on the same files."""

import gzip
import hashlib
import io
import json
import pickle
import tarfile
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest

from kerascore.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)


def refuse_network(*args, **kwargs):
    raise urllib.error.URLError("network is unreachable")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A temporary `KERAS_HOME`, with every network access refused; yields its `datasets`
    folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse_network)
    folder = tmp_path / "datasets"
    folder.mkdir()
    return folder


@pytest.fixture
def reference(tmp_path, monkeypatch):
    """Keras 3 reading the same temporary cache offline; its hash check is bypassed since the
    tiny files cannot have the real files' hashes."""
    keras = pytest.importorskip("keras")
    from keras.src.backend import config
    from keras.src.utils import file_utils as keras_file_utils

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(keras_file_utils, "validate_file", lambda *args, **kwargs: True)
    monkeypatch.setattr(keras_file_utils, "urlretrieve", refuse_network)
    return keras


def put(path, data, monkeypatch=None, module=None, attribute="FILE_HASH", algorithm="sha256"):
    """Writes `data` at `path` and points `module.attribute` at its hash, so kerascore's own
    hash check passes for the tiny file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if module is not None:
        monkeypatch.setattr(module, attribute, hashlib.new(algorithm, data).hexdigest())


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def ragged(sequences):
    array = np.empty(len(sequences), dtype=object)
    for i, seq in enumerate(sequences):
        array[i] = list(seq)
    return array


def as_lists(x):
    return [list(seq) for seq in x]


def assert_same(ours, theirs):
    for our_split, their_split in zip(ours, theirs):
        for a, b in zip(our_split, their_split):
            assert a.dtype == b.dtype and a.shape == b.shape
            if a.dtype == object:
                assert as_lists(a) == as_lists(b)
            else:
                np.testing.assert_array_equal(a, b)


def test_mnist(cache, monkeypatch, reference):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    put(cache / "mnist.npz", npz_bytes(**arrays), monkeypatch, mnist)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (5, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (5,) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 28, 28) and y_test.shape == (3,)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert_same(mnist.load_data(), reference.datasets.mnist.load_data())


def test_mnist_with_a_wrong_cached_file_reports_both_hashes_offline(cache):
    (cache / "mnist.npz").write_bytes(b"not the real file")
    with pytest.raises(OSError) as error:
        mnist.load_data()
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in str(
        error.value
    )
    assert mnist.FILE_HASH in str(error.value)
    assert (cache / "mnist.npz").read_bytes() == b"not the real file"


def idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes())


def test_fashion_mnist(cache, reference):
    rng = np.random.default_rng(1)
    x_train = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    y_train = np.array([0, 9, 3, 3], dtype=np.uint8)
    x_test = rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)
    y_test = np.array([1, 2], dtype=np.uint8)
    folder = cache / "fashion-mnist"
    put(folder / "train-labels-idx1-ubyte.gz", idx_bytes(y_train, 2049))
    put(folder / "train-images-idx3-ubyte.gz", idx_bytes(x_train, 2051))
    put(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes(y_test, 2049))
    put(folder / "t10k-images-idx3-ubyte.gz", idx_bytes(x_test, 2051))
    (a, b), (c, d) = fashion_mnist.load_data()
    assert a.shape == (4, 28, 28) and a.dtype == np.uint8 and b.shape == (4,)
    assert c.shape == (2, 28, 28) and d.dtype == np.uint8
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(d, y_test)
    assert_same(fashion_mnist.load_data(), reference.datasets.fashion_mnist.load_data())


def cifar_tar(folder_name, batches):
    """A `.tar.gz` holding `folder_name/<name>` pickled dicts with bytes keys, as the real
    archives (written by Python 2, read with `encoding="bytes"`) do."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, batch in batches.items():
            data = pickle.dumps({key.encode(): value for key, value in batch.items()}, protocol=3)
            info = tarfile.TarInfo(f"{folder_name}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_cifar10(cache, monkeypatch):
    rng = np.random.default_rng(2)
    batches = {
        name: {
            "data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
            "labels": [int(v) for v in rng.integers(0, 10, 2)],
            "batch_label": b"tiny",
        }
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    }
    archive = cifar_tar("cifar-10-batches-py", batches)
    put(cache / "cifar-10-batches-py-target_archive", archive, monkeypatch, cifar10)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (2, 32, 32, 3) and x_test.dtype == np.uint8
    assert y_test.shape == (2, 1) and y_test.dtype == np.uint8
    # Rows are stored as 1024 red, then 1024 green, then 1024 blue values.
    first = batches["data_batch_1"]["data"][0]
    assert x_train[0, 5, 7, 1] == first[1024 + 5 * 32 + 7]
    assert y_train[2, 0] == batches["data_batch_2"]["labels"][0]
    # No side-by-side run with Keras here: its loader needs 10,000 images in every batch.


def test_cifar100(cache, monkeypatch, reference):
    rng = np.random.default_rng(3)
    batches = {
        name: {
            "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "fine_labels": [int(v) for v in rng.integers(0, 100, n)],
            "coarse_labels": [int(v) for v in rng.integers(0, 20, n)],
        }
        for name, n in (("train", 4), ("test", 2))
    }
    archive = cifar_tar("cifar-100-python", batches)
    put(cache / "cifar-100-python-target_archive", archive, monkeypatch, cifar100)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode="coarse")
    assert x_train.shape == (4, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (4, 1) and y_train.dtype == np.int64
    assert x_test.shape == (2, 32, 32, 3) and y_test.shape == (2, 1)
    assert y_test[:, 0].tolist() == batches["test"]["coarse_labels"]
    assert_same(cifar100.load_data(), reference.datasets.cifar100.load_data())
    with pytest.raises(ValueError, match="label_mode=medium"):
        cifar100.load_data(label_mode="medium")


IMDB_TRAIN = [[1, 5, 2], [7, 3], [4, 4, 4, 9]]
IMDB_TEST = [[2, 8], [6, 1, 1]]


@pytest.fixture
def imdb_file(cache, monkeypatch):
    # Each label is the sequence's id, so results can be checked whatever the shuffle.
    arrays = {
        "x_train": ragged(IMDB_TRAIN),
        "y_train": np.array([0, 1, 2]),
        "x_test": ragged(IMDB_TEST),
        "y_test": np.array([3, 4]),
    }
    put(cache / "imdb.npz", npz_bytes(**arrays), monkeypatch, imdb)


def by_label(split):
    x, y = split
    return {int(label): list(seq) for seq, label in zip(x, y)}


@pytest.mark.parametrize(
    "kwargs, expected_train, expected_test",
    [
        # Defaults: start 1, indices + 3; num_words=None is the largest index (12), itself
        # excluded as Keras does, so it becomes oov 2.
        (
            {},
            {0: [1, 4, 8, 5], 1: [1, 10, 6], 2: [1, 7, 7, 7, 2]},
            {3: [1, 5, 11], 4: [1, 9, 4, 4]},
        ),
        # maxlen keeps lengths < 4 after the start char; skip_top=2 turns the start char oov.
        ({"num_words": 7, "skip_top": 2, "maxlen": 4}, {1: [2, 2, 6]}, {3: [2, 5, 2]}),
        (
            {"num_words": 5, "oov_char": None, "start_char": None, "index_from": 0},
            {0: [1, 2], 1: [3], 2: [4, 4, 4]},
            {3: [2], 4: [1, 1]},
        ),
    ],
)
def test_imdb_index_arithmetic(imdb_file, reference, kwargs, expected_train, expected_test):
    train, test = imdb.load_data(**kwargs)
    assert by_label(train) == expected_train
    assert by_label(test) == expected_test
    assert train[0].dtype == object and train[1].dtype == np.int64
    assert_same((train, test), reference.datasets.imdb.load_data(**kwargs))


def test_imdb_shuffle_matches_keras_and_maxlen_error(imdb_file, reference):
    assert_same(imdb.load_data(seed=7), reference.datasets.imdb.load_data(seed=7))
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)


def test_imdb_word_index(cache, monkeypatch, reference):
    data = json.dumps({"the": 1, "movie": 2}).encode()
    put(cache / "imdb_word_index.json", data, monkeypatch, imdb, "WORD_INDEX_FILE_HASH", "md5")
    assert imdb.get_word_index() == {"the": 1, "movie": 2}
    assert reference.datasets.imdb.get_word_index() == {"the": 1, "movie": 2}


def test_reuters(cache, monkeypatch, reference):
    sequences = [[1, 2], [3, 4, 5], [6], [2, 2, 2, 2], [7, 1]]
    arrays = {"x": ragged(sequences), "y": np.arange(5)}
    put(cache / "reuters.npz", npz_bytes(**arrays), monkeypatch, reuters)
    train, test = reuters.load_data(num_words=6, test_split=0.4)
    assert len(train[0]) == 3 and len(test[0]) == 2
    assert train[0].dtype == object and train[1].dtype == np.int64
    merged = {**by_label(train), **by_label(test)}
    assert merged == {0: [1, 4, 5], 1: [1, 2, 2, 2], 2: [1, 2], 3: [1, 5, 5, 5, 5], 4: [1, 2, 4]}
    for kwargs in ({}, {"num_words": 6, "test_split": 0.4}, {"maxlen": 4, "skip_top": 3}):
        assert_same(reuters.load_data(**kwargs), reference.datasets.reuters.load_data(**kwargs))
    assert len(reuters.get_label_names()) == 46
    assert reuters.get_label_names() == reference.datasets.reuters.get_label_names()

    data = json.dumps({"said": 1}).encode()
    put(
        cache / "reuters_word_index.json", data, monkeypatch, reuters, "WORD_INDEX_FILE_HASH", "md5"
    )
    assert reuters.get_word_index() == {"said": 1}


def test_boston_housing(cache, monkeypatch, reference):
    rng = np.random.default_rng(4)
    arrays = {"x": rng.normal(size=(10, 13)), "y": rng.normal(size=10)}
    put(cache / "boston_housing.npz", npz_bytes(**arrays), monkeypatch, boston_housing)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (8, 13) and x_train.dtype == np.float64
    assert y_train.shape == (8,) and x_test.shape == (2, 13) and y_test.shape == (2,)
    assert_same(boston_housing.load_data(), reference.datasets.boston_housing.load_data())
    kwargs = {"test_split": 0.5, "seed": 3}
    assert_same(
        boston_housing.load_data(**kwargs), reference.datasets.boston_housing.load_data(**kwargs)
    )
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


def test_california_housing(cache, monkeypatch, reference):
    rng = np.random.default_rng(5)
    arrays = {
        "x": rng.normal(size=(700, 8)).astype("float32"),
        "y": rng.normal(size=700).astype("float32"),
    }
    put(cache / "california_housing.npz", npz_bytes(**arrays), monkeypatch, california_housing)
    (x_train, y_train), (x_test, _) = california_housing.load_data(version="small")
    assert x_train.shape == (480, 8) and x_train.dtype == np.float32 and x_test.shape == (120, 8)
    assert y_train.dtype == np.float32
    assert_same(california_housing.load_data(), reference.datasets.california_housing.load_data())
    with pytest.raises(ValueError, match="version=medium"):
        california_housing.load_data(version="medium")


def test_tampered_pickle_is_refused(cache, monkeypatch):
    class Exploit:
        def __reduce__(self):
            return (eval, ("1 + 1",))

    npy = io.BytesIO()
    header = {"descr": "|O", "fortran_order": False, "shape": (1,)}
    np.lib.format.write_array_header_1_0(npy, header)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as npz:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            npz.writestr(f"{key}.npy", npy.getvalue() + pickle.dumps(Exploit()))
    put(cache / "imdb.npz", archive.getvalue(), monkeypatch, imdb)
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        imdb.load_data()


def test_kerascore_namespace_lists_the_datasets():
    import kerascore

    assert kerascore.datasets.mnist is mnist
    assert callable(kerascore.utils.get_file)
