"""`audio_dataset_from_directory`: a `tf.data.Dataset` of WAV clips and labels from class
subfolders, as Keras 3 builds it."""

import numpy as np
import tensorflow as tf

from kerascore.utils.dataset_utils import (
    _check_validation_split,
    _index_directory,
    _labels_dataset,
    _split,
)

AUDIO_FORMATS = (".wav",)


def audio_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    sampling_rate=None,
    output_sequence_length=None,
    ragged=False,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """Returns a `tf.data.Dataset` of `(audio, labels)` from a folder of class subfolders of
    `.wav` files.

    Clips are decoded with `tf.audio.decode_wav` to float32 in [-1, 1], shaped
    `(samples, channels)`. Without `output_sequence_length` or `ragged`, each batch is padded
    with zeros to its longest clip.

    Args:
        directory: the root folder (`directory/class_a/*.wav`, ...).
        labels: `"inferred"` (from the subfolder names), `None` (audio only), or a list of
            integer labels, one per file in sorted path order.
        label_mode: `"int"`, `"categorical"` (one-hot), `"binary"` (float 0/1, two classes) or
            `None` (no labels).
        class_names: with `labels="inferred"`, the subfolders to read, in label order.
        batch_size: clips per batch, or `None` for unbatched clips.
        sampling_rate: must be `None`: kerascore reads clips at their own rate (Keras resamples
            with the tensorflow-io package, which kerascore does not use).
        output_sequence_length: cut or zero-pad every clip to this many samples.
        ragged: yield `tf.RaggedTensor` batches of clips of their own lengths.
        shuffle: whether to shuffle the files (with `seed`).
        seed: the shuffle seed; required with `validation_split` and `shuffle`.
        validation_split: the fraction of files held out for validation.
        subset: `"training"`, `"validation"` or `"both"` (returns both datasets).
        follow_links: whether to follow symbolic links to subfolders.
        verbose: whether to print how many files and classes were found.

    Returns:
        A dataset (or a `(training, validation)` pair with `subset="both"`) with a
        `class_names` attribute.

    Raises:
        ValueError: for invalid arguments, a `sampling_rate`, or a folder without `.wav` files.
    """
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(
            "`labels` must be 'inferred', None, or a list/tuple of integer labels, one per "
            f"audio file. Received: labels={labels!r}"
        )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            "`label_mode` must be 'int', 'categorical', 'binary' or None. Received: "
            f"label_mode={label_mode!r}"
        )
    if ragged and output_sequence_length is not None:
        raise ValueError(
            "Cannot set both `ragged` and `output_sequence_length`. Received: ragged=True, "
            f"output_sequence_length={output_sequence_length}"
        )
    if sampling_rate is not None:
        raise ValueError(
            "kerascore reads WAV clips at their own sampling rate and cannot resample them. "
            f"Received: sampling_rate={sampling_rate!r}. Resample the files beforehand and pass "
            "sampling_rate=None."
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    _check_validation_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = _index_directory(
        directory, labels, AUDIO_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing label_mode="binary", there must be exactly 2 class_names. Received: '
            f"class_names={class_names}"
        )
    num_classes = len(class_names) if class_names else 0
    subsets = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for name in subsets:
        subset_paths, subset_labels = _split(paths, labels, validation_split, name, verbose)
        if not subset_paths:
            raise ValueError(
                f"No audio files found in directory {directory}"
                + (f" for the {name} subset" if name else "")
                + f". Allowed format(s): {AUDIO_FORMATS}"
            )
        dataset = _clips_dataset(
            subset_paths,
            subset_labels,
            label_mode,
            num_classes,
            output_sequence_length,
            ragged,
            shuffle=shuffle and name != "validation",
            shuffle_buffer_size=batch_size * 8 if batch_size is not None else 1024,
            seed=seed,
        )
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
        if batch_size is not None:
            if output_sequence_length is None and not ragged:
                dataset = dataset.padded_batch(batch_size)
            else:
                dataset = dataset.batch(batch_size)
        dataset.class_names = class_names
        dataset.file_paths = list(subset_paths)
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]


def _read_wav(path, output_sequence_length):
    audio, _ = tf.audio.decode_wav(
        tf.io.read_file(path),
        desired_samples=-1 if output_sequence_length is None else output_sequence_length,
    )
    return audio


def _clips_dataset(
    paths,
    labels,
    label_mode,
    num_classes,
    output_sequence_length,
    ragged,
    shuffle,
    shuffle_buffer_size,
    seed,
):
    dataset = tf.data.Dataset.from_tensor_slices(paths)
    if label_mode:
        dataset = tf.data.Dataset.zip((dataset, _labels_dataset(labels, label_mode, num_classes)))
    if shuffle:
        dataset = dataset.shuffle(buffer_size=shuffle_buffer_size, seed=seed)

    def load(path):
        audio = _read_wav(path, output_sequence_length)
        return tf.RaggedTensor.from_tensor(audio) if ragged else audio

    if label_mode:
        return dataset.map(lambda x, y: (load(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
