"""Tests for kerascore.utils.dataset_utils, against NumPy and Keras 3 on tiny folders."""

import os

import numpy as np
import pytest
import tensorflow as tf

from kerascore.utils import dataset_utils

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _write_png(path, value, height=6, width=8, channels=3):
    image = np.full((height, width, channels), value, dtype="uint8")
    tf.io.write_file(str(path), tf.io.encode_png(image))


@pytest.fixture
def image_dir(tmp_path):
    for class_index, name in enumerate(["cats", "dogs"]):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(5):
            _write_png(folder / f"img_{i}.png", 40 * class_index + i)
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    return tmp_path


@pytest.fixture
def text_dir(tmp_path):
    for name, words in (("neg", "bad awful"), ("pos", "good great")):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(4):
            (folder / f"t{i}.txt").write_text(f"{words} {i}")
    return tmp_path


def test_image_dataset_labels_shapes_and_values(image_dir):
    dataset = dataset_utils.image_dataset_from_directory(
        image_dir, image_size=(3, 4), batch_size=4, shuffle=False, verbose=False
    )
    assert dataset.class_names == ["cats", "dogs"]
    assert len(dataset.file_paths) == 10
    images, labels = zip(*dataset.as_numpy_iterator())
    images, labels = np.concatenate(images), np.concatenate(labels)
    assert images.shape == (10, 3, 4, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, [0] * 5 + [1] * 5)
    np.testing.assert_allclose(images[:, 0, 0, 0], [0, 1, 2, 3, 4, 40, 41, 42, 43, 44])


def test_image_dataset_matches_keras_split_and_order(image_dir):
    import keras

    kwargs = dict(
        image_size=(3, 4),
        batch_size=3,
        seed=7,
        validation_split=0.3,
        subset="both",
        label_mode="categorical",
        color_mode="grayscale",
    )
    ours = dataset_utils.image_dataset_from_directory(image_dir, verbose=False, **kwargs)
    theirs = keras.utils.image_dataset_from_directory(image_dir, verbose=False, **kwargs)
    for our_ds, their_ds in zip(ours, theirs):
        assert our_ds.file_paths == their_ds.file_paths
        assert our_ds.element_spec[0].shape.as_list() == [None, 3, 4, 1]
    ours_val = np.concatenate([y for _, y in ours[1].as_numpy_iterator()])
    theirs_val = np.concatenate([y for _, y in theirs[1].as_numpy_iterator()])
    np.testing.assert_array_equal(ours_val, theirs_val)
    assert ours_val.shape == (3, 2)


def test_image_dataset_crop_and_binary_labels(image_dir):
    dataset = dataset_utils.image_dataset_from_directory(
        image_dir,
        image_size=(2, 2),
        label_mode="binary",
        crop_to_aspect_ratio=True,
        batch_size=None,
        shuffle=False,
        verbose=False,
    )
    image, label = next(iter(dataset))
    assert image.shape == (2, 2, 3) and label.shape == (1,) and label.dtype == tf.float32


def test_image_dataset_errors(image_dir, tmp_path):
    with pytest.raises(ValueError, match="color_mode"):
        dataset_utils.image_dataset_from_directory(image_dir, color_mode="cmyk")
    with pytest.raises(ValueError, match="seed"):
        dataset_utils.image_dataset_from_directory(
            image_dir, validation_split=0.2, subset="training", verbose=False
        )
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images found"):
        dataset_utils.image_dataset_from_directory(empty, verbose=False)


def test_text_dataset_matches_keras(text_dir):
    import keras

    kwargs = dict(batch_size=2, seed=3, max_length=6)
    ours = dataset_utils.text_dataset_from_directory(text_dir, verbose=False, **kwargs)
    theirs = keras.utils.text_dataset_from_directory(text_dir, verbose=False, **kwargs)
    assert ours.class_names == theirs.class_names == ["neg", "pos"]
    assert len(ours.file_paths) == 8
    our_batches = list(ours.as_numpy_iterator())
    their_batches = list(theirs.as_numpy_iterator())
    our_texts = np.concatenate([x for x, _ in our_batches])
    np.testing.assert_array_equal(our_texts, np.concatenate([x for x, _ in their_batches]))
    assert all(len(text) <= 6 for text in our_texts)
    our_labels = np.concatenate([y for _, y in our_batches])
    for text, label in zip(our_texts, our_labels):
        assert text.startswith(b"bad" if label == 0 else b"good")


def test_timeseries_windows_match_numpy_and_keras():
    import keras

    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(100, 120)
    kwargs = dict(
        sequence_length=4,
        sequence_stride=3,
        sampling_rate=2,
        batch_size=2,
        start_index=1,
        end_index=18,
    )
    ours = list(dataset_utils.timeseries_dataset_from_array(data, targets, **kwargs))
    theirs = list(keras.utils.timeseries_dataset_from_array(data, targets, **kwargs))
    assert len(ours) == len(theirs)
    for (x, y), (kx, ky) in zip(ours, theirs):
        np.testing.assert_array_equal(x, kx)
        np.testing.assert_array_equal(y, ky)
    first_x, first_y = ours[0]
    np.testing.assert_array_equal(first_x[1], data[1 + 3 : 1 + 3 + 8 : 2])
    assert first_y[1] == targets[1 + 3]


def test_timeseries_shuffle_is_seeded_and_errors():
    data = np.arange(30)
    a = np.concatenate(
        list(
            dataset_utils.timeseries_dataset_from_array(
                data, None, 5, shuffle=True, seed=1, batch_size=4
            )
        )
    )
    b = np.concatenate(
        list(
            dataset_utils.timeseries_dataset_from_array(
                data, None, 5, shuffle=True, seed=1, batch_size=4
            )
        )
    )
    np.testing.assert_array_equal(a, b)
    assert sorted(a[:, 0].tolist()) == list(range(26))
    with pytest.raises(ValueError, match="sequence_length"):
        dataset_utils.timeseries_dataset_from_array(data, None, 0)
    with pytest.raises(ValueError, match="too short"):
        dataset_utils.timeseries_dataset_from_array(data[:3], None, 5)


def test_split_dataset_matches_keras():
    import keras

    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    ours = dataset_utils.split_dataset((x, y), left_size=0.7, shuffle=True, seed=5)
    theirs = keras.utils.split_dataset((x, y), left_size=0.7, shuffle=True, seed=5)
    for our_part, their_part in zip(ours, theirs):
        our_items = list(our_part.as_numpy_iterator())
        their_items = list(their_part.as_numpy_iterator())
        assert len(our_items) == len(their_items)
        for (a, b), (c, d) in zip(our_items, their_items):
            np.testing.assert_array_equal(a, c)
            assert b == d


def test_split_batched_dataset_keeps_batching_and_errors():
    dataset = tf.data.Dataset.from_tensor_slices(np.arange(12)).batch(4)
    left, right = dataset_utils.split_dataset(dataset, right_size=3)
    assert [b.shape[0] for b in left] == [4, 4, 1]
    np.testing.assert_array_equal(np.concatenate(list(right)), [9, 10, 11])
    with pytest.raises(ValueError, match="left_size"):
        dataset_utils.split_dataset(np.arange(5))
    with pytest.raises(ValueError, match="left_size"):
        dataset_utils.split_dataset(np.arange(5), left_size=1.5)
