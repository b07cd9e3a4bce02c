"""Tests for kerascore.utils.audio_dataset_from_directory against Keras 3 on tiny WAV folders."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerascore


def _write_wav(path, samples, channels=1, rate=8000):
    audio = np.linspace(-0.5, 0.5, samples * channels, dtype="float32").reshape(samples, channels)
    tf.io.write_file(str(path), tf.audio.encode_wav(audio, rate))


@pytest.fixture
def audio_dir(tmp_path):
    lengths = {"no": [40, 55, 31], "yes": [47, 60, 38, 52]}
    for name, sizes in lengths.items():
        folder = tmp_path / name
        folder.mkdir()
        for index, size in enumerate(sizes):
            _write_wav(folder / f"clip_{index}.wav", size)
    (tmp_path / "yes" / "readme.txt").write_text("not audio")
    return tmp_path


def _collect(dataset):
    audio, labels = [], []
    for batch_audio, batch_labels in dataset:
        if isinstance(batch_audio, tf.RaggedTensor):
            audio.extend(row.numpy() for row in batch_audio)
        else:
            audio.extend(batch_audio.numpy())
        labels.extend(batch_labels.numpy())
    return audio, labels


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 3, "seed": 5},
        {"batch_size": 2, "shuffle": False, "output_sequence_length": 45},
        {"batch_size": 4, "seed": 1, "ragged": True, "label_mode": "categorical"},
        {"batch_size": None, "shuffle": False, "label_mode": "binary"},
    ],
)
def test_audio_dataset_matches_keras(audio_dir, options):
    ours = kerascore.utils.audio_dataset_from_directory(str(audio_dir), verbose=False, **options)
    theirs = keras.utils.audio_dataset_from_directory(str(audio_dir), verbose=False, **options)
    assert ours.class_names == theirs.class_names == ["no", "yes"]
    if options["batch_size"] is None:
        ours, theirs = ours.batch(1), theirs.batch(1)
    our_audio, our_labels = _collect(ours)
    their_audio, their_labels = _collect(theirs)
    assert len(our_audio) == len(their_audio) == 7
    for mine, other in zip(our_audio, their_audio):
        np.testing.assert_allclose(mine, other, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(our_labels), np.asarray(their_labels))


def test_padded_batches_and_labels(audio_dir):
    dataset = kerascore.utils.audio_dataset_from_directory(
        str(audio_dir), batch_size=7, shuffle=False, verbose=False
    )
    audio, labels = next(iter(dataset))
    assert audio.shape == (7, 60, 1) and audio.dtype == tf.float32
    np.testing.assert_array_equal(labels.numpy(), [0, 0, 0, 1, 1, 1, 1])
    # The 40-sample clip is zero-padded to the batch's longest clip.
    np.testing.assert_array_equal(audio.numpy()[0, 40:], 0.0)
    assert len(dataset.file_paths) == 7


def test_validation_split_both_subsets(audio_dir):
    train, validation = kerascore.utils.audio_dataset_from_directory(
        str(audio_dir), validation_split=0.3, subset="both", seed=3, verbose=False
    )
    keras_train, keras_validation = keras.utils.audio_dataset_from_directory(
        str(audio_dir), validation_split=0.3, subset="both", seed=3, verbose=False
    )
    for ours, theirs in ((train, keras_train), (validation, keras_validation)):
        assert _collect(ours)[1] == _collect(theirs)[1]
    assert len(validation.file_paths) == 2 and len(train.file_paths) == 5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sampling_rate": 16000}, "sampling_rate=16000"),
        ({"ragged": True, "output_sequence_length": 10}, "Cannot set both"),
        ({"label_mode": "sparse"}, "label_mode='sparse'"),
        ({"labels": "folders"}, "labels='folders'"),
    ],
)
def test_invalid_arguments_name_the_value(audio_dir, options, message):
    with pytest.raises(ValueError, match=message):
        kerascore.utils.audio_dataset_from_directory(str(audio_dir), verbose=False, **options)


def test_folder_without_wav_files(tmp_path):
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match="No audio files found"):
        kerascore.utils.audio_dataset_from_directory(str(tmp_path), verbose=False)
