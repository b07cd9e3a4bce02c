"""Datasets from folders and arrays: image_dataset_from_directory,
text_dataset_from_directory, timeseries_dataset_from_array and split_dataset.

They return `tf.data.Dataset`s as Keras 3 does (with `class_names` and `file_paths`
attributes for the directory readers), and shuffle the same way for a given seed.
"""

import os
import random

import numpy as np
import tensorflow as tf

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)


def _check_validation_split(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1. Received: "
            f"validation_split={validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(
            "If `subset` is set, `validation_split` must be set, and inversely. Received: "
            f"validation_split={validation_split}, subset={subset!r}"
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be "training", "validation" or "both". Received: subset={subset!r}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, so that the training and validation subsets do not overlap."
        )


def _index_directory(directory, labels, formats, class_names, shuffle, seed, follow_links, verbose):
    """Lists the files under `directory` and their labels, in Keras's order."""
    if not os.path.isdir(directory):
        raise ValueError(f"Directory not found. Received: directory={directory!r}")
    if labels == "inferred":
        subdirs = sorted(
            name for name in os.listdir(directory) if os.path.isdir(os.path.join(directory, name))
        )
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(
                f"`class_names` can only be passed when labels='inferred'. Received: "
                f"class_names={class_names}"
            )
        subdirs = [""]
    filenames, file_labels = [], []
    for index, subdir in enumerate(subdirs):
        root_dir = os.path.join(directory, subdir)
        walk = os.walk(root_dir, followlinks=follow_links)
        for root, _, files in sorted(walk, key=lambda item: item[0]):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    filenames.append(os.path.join(root, name))
                    file_labels.append(index)
    if labels == "inferred":
        labels = np.asarray(file_labels, dtype="int32")
        class_names = list(subdirs)
    elif labels is not None:
        if len(labels) != len(filenames):
            raise ValueError(
                f"Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} "
                f"files in directory {directory}."
            )
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    else:
        class_names = None
    if verbose:
        if labels is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    if shuffle:
        rng = np.random.RandomState(seed)
        rng.shuffle(filenames)
        if labels is not None:
            rng = np.random.RandomState(seed)
            rng.shuffle(labels)
    return filenames, labels, class_names


def _split(samples, labels, validation_split, subset, verbose):
    if not validation_split:
        return samples, labels
    count = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - count} files for training.")
        return samples[:-count], None if labels is None else labels[:-count]
    if verbose:
        print(f"Using {count} files for validation.")
    return samples[-count:], None if labels is None else labels[-count:]


def _labels_dataset(labels, label_mode, num_classes):
    dataset = tf.data.Dataset.from_tensor_slices(labels)
    if label_mode == "binary":
        return dataset.map(lambda x: tf.expand_dims(tf.cast(x, "float32"), -1))
    if label_mode == "categorical":
        return dataset.map(lambda x: tf.one_hot(x, num_classes))
    return dataset


def _build(paths, labels, label_mode, num_classes, load, shuffle, seed, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices(paths)
    if label_mode:
        dataset = tf.data.Dataset.zip((dataset, _labels_dataset(labels, label_mode, num_classes)))
    if shuffle:
        dataset = dataset.shuffle(buffer_size=batch_size * 8 if batch_size else 1024, seed=seed)
    if label_mode:
        dataset = dataset.map(lambda x, y: (load(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _from_directory(
    directory,
    labels,
    label_mode,
    class_names,
    batch_size,
    shuffle,
    seed,
    validation_split,
    subset,
    follow_links,
    verbose,
    formats,
    load,
    kind,
):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(
            "`labels` must be 'inferred', None, or a list/tuple of integer labels. Received: "
            f"labels={labels!r}"
        )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            "`label_mode` must be 'int', 'categorical', 'binary' or None. Received: "
            f"label_mode={label_mode!r}"
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    _check_validation_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = _index_directory(
        directory, labels, formats, class_names, shuffle, seed, follow_links, verbose
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
                f"No {kind} found in directory {directory}"
                + (f" for the {name} subset" if name else "")
                + (f". Allowed formats: {formats}" if formats else "")
            )
        dataset = _build(
            subset_paths,
            subset_labels,
            label_mode,
            num_classes,
            load,
            shuffle and name != "validation",
            seed,
            batch_size,
        )
        dataset.class_names = class_names
        dataset.file_paths = list(subset_paths)
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    verbose=True,
):
    """Returns a `tf.data.Dataset` of `(images, labels)` from a folder of class subfolders.

    `directory/class_a/*.png`, `directory/class_b/*.jpg` ... give labels 0, 1, ... in
    alphanumeric order of the subfolders. Images are decoded, resized to `image_size` and
    returned as float32.

    Args:
        directory: the root folder.
        labels: `"inferred"` (from subfolders), None (images only), or a list of labels, one
            per file in sorted path order.
        label_mode: `"int"`, `"categorical"` (one-hot), `"binary"` (float 0/1) or None.
        class_names: the subfolders to use, in this order (with `labels="inferred"`).
        color_mode: `"rgb"`, `"rgba"` or `"grayscale"`.
        batch_size: the batch size; None for single images.
        image_size: `(height, width)` to resize to.
        shuffle: shuffle the files (and each epoch's order).
        seed: the shuffling seed; required with `validation_split` and `shuffle`.
        validation_split: the fraction to hold out.
        subset: `"training"`, `"validation"` or `"both"` (returns a pair).
        interpolation: the resize method.
        follow_links: follow symbolic links to subfolders.
        crop_to_aspect_ratio: crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: pad to the target aspect ratio before resizing.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        verbose: print how many files were found.

    Returns:
        A dataset (or two with `subset="both"`) with `class_names` and `file_paths`
        attributes.

    Raises:
        ValueError: on invalid arguments or when no images are found.
    """
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(
            f'`color_mode` must be "rgb", "rgba" or "grayscale". Received: '
            f"color_mode={color_mode!r}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            f"Expected `image_size` to be a pair of ints. Received: image_size={image_size!r}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Expected interpolation in {_INTERPOLATIONS}. Received: "
            f"interpolation={interpolation!r}"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True."
        )
    data_format = data_format or "channels_last"
    height, width = image_size

    def load(path):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=channels, expand_animations=False
        )
        if crop_to_aspect_ratio:
            image = _crop_to_aspect_ratio(image, height, width)
            image = tf.image.resize(image, image_size, method=interpolation)
        elif pad_to_aspect_ratio:
            image = tf.image.resize_with_pad(image, height, width, method=interpolation)
        else:
            image = tf.image.resize(image, image_size, method=interpolation)
        image = tf.cast(image, "float32")
        if data_format == "channels_first":
            image = tf.transpose(image, (2, 0, 1))
            image.set_shape((channels, height, width))
        else:
            image.set_shape((height, width, channels))
        return image

    return _from_directory(
        directory,
        labels,
        label_mode,
        class_names,
        batch_size,
        shuffle,
        seed,
        validation_split,
        subset,
        follow_links,
        verbose,
        IMAGE_FORMATS,
        load,
        "images",
    )


def _crop_to_aspect_ratio(image, target_height, target_width):
    """The largest centred crop of `image` with the aspect ratio of the target size."""
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    crop_height = tf.cast(tf.cast(width * target_height, "float32") / target_width, "int32")
    crop_width = tf.cast(tf.cast(height * target_width, "float32") / target_height, "int32")
    crop_height = tf.maximum(tf.minimum(height, crop_height), 1)
    crop_width = tf.maximum(tf.minimum(width, crop_width), 1)
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    return image[top : top + crop_height, left : left + crop_width]


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """Returns a `tf.data.Dataset` of `(texts, labels)` from a folder of class subfolders of
    `.txt` files.

    Args:
        directory: the root folder (`directory/class_a/*.txt`, ...).
        labels, label_mode, class_names, batch_size, shuffle, seed, validation_split, subset,
        follow_links, verbose: as in `image_dataset_from_directory`.
        max_length: keep only the first `max_length` bytes of each text.

    Returns:
        A dataset (or two with `subset="both"`) of string tensors and labels, with
        `class_names` and `file_paths` attributes.
    """

    def load(path):
        text = tf.io.read_file(path)
        if max_length is not None:
            text = tf.strings.substr(text, 0, max_length)
        return text

    return _from_directory(
        directory,
        labels,
        label_mode,
        class_names,
        batch_size,
        shuffle,
        seed,
        validation_split,
        subset,
        follow_links,
        verbose,
        (".txt",),
        load,
        "text files",
    )


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
):
    """Returns a dataset of sliding windows over `data` (and the matching `targets`).

    Window `i` holds `data[s, s + r, ..., s + r * (sequence_length - 1)]` with
    `s = start_index + i * sequence_stride` and `r = sampling_rate`; its target is
    `targets[i * sequence_stride]`.

    Args:
        data: an array of timesteps along the first axis.
        targets: an array aligned with the windows, or None.
        sequence_length: timesteps per window.
        sequence_stride: the offset between consecutive windows.
        sampling_rate: the offset between timesteps inside a window.
        batch_size: windows per batch; None for single windows.
        shuffle: shuffle the windows.
        seed: the shuffling seed.
        start_index, end_index: the part of `data` to use (`end_index` excluded).

    Returns:
        A `tf.data.Dataset` of windows, or of `(windows, targets)`.

    Raises:
        ValueError: on invalid sizes or indices.
    """
    for name, value in (
        ("sequence_length", sequence_length),
        ("sequence_stride", sequence_stride),
        ("sampling_rate", sampling_rate),
    ):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
        raise ValueError(f"`batch_size` must be a positive int or None. Received: {batch_size}")
    if start_index is not None and not 0 <= start_index < len(data):
        raise ValueError(
            f"`start_index` must be in [0, {len(data)}). Received: start_index={start_index}"
        )
    if end_index is not None and not (start_index or 0) < end_index <= len(data):
        raise ValueError(
            f"`end_index` must be in ({start_index or 0}, {len(data)}]. Received: "
            f"end_index={end_index}"
        )
    if targets is not None and len(targets) != len(data):
        raise ValueError(
            "Expected data and targets to have the same number of time steps. Received: "
            f"len(data)={len(data)}, len(targets)={len(targets)}"
        )
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    if count <= 0:
        raise ValueError(
            f"The data is too short for one window of sequence_length={sequence_length} and "
            f"sampling_rate={sampling_rate} between start_index={start_index} and "
            f"end_index={end_index}."
        )
    starts = np.arange(0, count, sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    window = np.arange(sequence_length, dtype="int64") * sampling_rate
    segment = tf.convert_to_tensor(np.asarray(data)[start_index:end_index])
    windows = tf.data.Dataset.from_tensor_slices(starts).map(
        lambda start: tf.gather(segment, start + window)
    )
    dataset = windows
    if targets is not None:
        target_segment = tf.convert_to_tensor(np.asarray(targets)[start_index:end_index])
        target_ds = tf.data.Dataset.from_tensor_slices(starts).map(
            lambda start: tf.gather(target_segment, start)
        )
        dataset = tf.data.Dataset.zip((windows, target_ds))
    if batch_size is not None:
        if shuffle:
            dataset = dataset.shuffle(buffer_size=batch_size * 8, seed=seed)
        dataset = dataset.batch(batch_size)
    elif shuffle:
        dataset = dataset.shuffle(buffer_size=1024, seed=seed)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _split_size(value, name, total):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"`{name}` must be an int, a float or None. Received: {name}={value!r} of type "
            f"{type(value).__name__}"
        )
    if (
        isinstance(value, int)
        and not 0 < value < total
        or isinstance(value, float)
        and not (0 < value < 1)
    ):
        raise ValueError(
            f"`{name}` must be a positive int smaller than {total} or a float in (0, 1). "
            f"Received: {name}={value}"
        )
    return round(value * total) if isinstance(value, float) else value


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset (or arrays) into a left and a right `tf.data.Dataset`.

    Args:
        dataset: a `tf.data.Dataset` (batched or not), an array, or a tuple/list/dict of
            arrays with the same length.
        left_size: a fraction in (0, 1) or a number of samples for the left part; None:
            the complement of `right_size`.
        right_size: the same for the right part; None: the complement of `left_size`.
        shuffle: shuffle the samples before splitting.
        seed: the shuffling seed.

    Returns:
        A tuple `(left, right)` of datasets, batched like the input dataset.

    Raises:
        ValueError: if no size is given, or the sizes do not fit the data.
    """
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of `left_size` or `right_size` must be specified. Received: "
            "left_size=None and right_size=None"
        )
    batch_size = None
    if isinstance(dataset, tf.data.Dataset):
        batch_size = getattr(dataset, "_batch_size", None)
        source = dataset.unbatch() if batch_size is not None else dataset
        samples = list(source.as_numpy_iterator())
    elif isinstance(dataset, (list, tuple, dict, np.ndarray)):
        source = tf.data.Dataset.from_tensor_slices(
            tuple(dataset) if isinstance(dataset, list) else dataset
        )
        samples = list(source.as_numpy_iterator())
    else:
        raise TypeError(
            "`dataset` must be a tf.data.Dataset, an array, or a list/tuple/dict of arrays. "
            f"Received: {type(dataset).__name__}"
        )
    total = len(samples)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)
    left = _split_size(left_size, "left_size", total)
    right = _split_size(right_size, "right_size", total)
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total or left <= 0 or right <= 0:
        raise ValueError(
            f"With a dataset of {total} samples, left_size={left_size} and "
            f"right_size={right_size} give sizes {left} and {right}: both must be positive "
            "and add up to at most the number of samples."
        )
    parts = []
    for chunk in (samples[:left], samples[total - right :]):
        stacked = tf.nest.map_structure(lambda *values: np.stack(values), *chunk)
        part = tf.data.Dataset.from_tensor_slices(stacked)
        if batch_size is not None:
            part = part.batch(int(batch_size))
        parts.append(part.prefetch(tf.data.AUTOTUNE))
    return tuple(parts)


__all__ = [
    "image_dataset_from_directory",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
