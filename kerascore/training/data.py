"""Adapters from what users pass to `fit`/`evaluate`/`predict` to what compiled steps consume.

In-memory arrays stay whole on the device and batches are gathered inside the compiled
function (no `tf.data` pipeline per epoch, no host round trip per batch). `tf.data.Dataset`s
are iterated with prefetch; Python generators become datasets.
"""

import itertools
import math
import random

import numpy as np
import tensorflow as tf

from kerascore.utils.data_utils import unpack_x_y_sample_weight


def _is_array(value):
    return (
        isinstance(value, (np.ndarray, np.generic))
        or tf.is_tensor(value)
        or (hasattr(value, "__array__") and not isinstance(value, (dict, list, tuple, str)))
    )


def _is_array_structure(value):
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_is_array_structure(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_is_array_structure(v) for v in value) and len(value) > 0
    return _is_array(value)


def is_dataset(value):
    return isinstance(value, tf.data.Dataset)


def is_generator(value):
    import types

    return isinstance(value, types.GeneratorType) or (
        hasattr(value, "__next__") and hasattr(value, "__iter__") and not _is_array(value)
    )


def _to_tensor(value):
    if value is None:
        return None
    if tf.is_tensor(value):
        return value
    array = np.asarray(value)
    if array.dtype == object:
        raise ValueError(
            "Expected numeric arrays, but received an array of Python objects (dtype=object), "
            "often from rows of different lengths. Pad them to one shape first "
            "(kerascore.utils.pad_sequences)."
        )
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return tf.convert_to_tensor(array)


def _num_rows(structure):
    counts = {int(t.shape[0]) for t in tf.nest.flatten(structure) if t is not None}
    return counts


class ArrayFeed:
    """In-memory arrays, batched by index inside the compiled step.

    Args:
        x, y, sample_weight: arrays, or lists/dicts of arrays, with the same number of rows.
        batch_size: rows per step.
        shuffle: whether each epoch visits rows in a new random order.
        steps: an upper bound on steps per epoch, or None for all rows.
    """

    kind = "arrays"

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None):
        if isinstance(x, list) and x and not _is_array(x[0]) and not isinstance(x[0], (list, dict)):
            x = np.asarray(x)
        self.x = tf.nest.map_structure(_to_tensor, x)
        self.y = tf.nest.map_structure(_to_tensor, y) if y is not None else None
        self.sample_weight = (
            tf.nest.map_structure(_to_tensor, sample_weight) if sample_weight is not None else None
        )
        counts = {
            "x": _num_rows(self.x),
            "y": _num_rows(self.y) if self.y is not None else set(),
            "sample_weight": (
                _num_rows(self.sample_weight) if self.sample_weight is not None else set()
            ),
        }
        all_counts = set().union(*counts.values())
        if len(all_counts) > 1:
            detail = ", ".join(f"{k} sizes: {sorted(v)}" for k, v in counts.items() if v)
            raise ValueError(
                f"Data cardinality is ambiguous: all arrays need the same number of rows. {detail}"
            )
        if not all_counts or 0 in all_counts:
            raise ValueError("Expected at least one row of data. Received empty arrays.")
        self.num_rows = all_counts.pop()
        if batch_size is None:
            batch_size = 32
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"Expected a positive integer batch_size. Received: {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        full_steps = math.ceil(self.num_rows / self.batch_size)
        self.steps = min(full_steps, steps) if steps else full_steps

    @property
    def data(self):
        """The arrays that exist, by role (`x`, and `y`, `sample_weight` when given)."""
        present = {"x": self.x, "y": self.y, "sample_weight": self.sample_weight}
        return {key: value for key, value in present.items() if value is not None}

    def on_epoch_begin(self):
        """Nothing to do: arrays have no epoch hooks (the row order is drawn per epoch)."""

    def on_epoch_end(self):
        """Nothing to do: arrays have no epoch hooks."""

    def signature(self):
        def spec(t):
            return tf.TensorSpec((None, *t.shape[1:]), t.dtype)

        return tf.nest.map_structure(spec, self.data)

    def epoch_order(self):
        if self.shuffle:
            return tf.random.shuffle(tf.range(self.num_rows, dtype=tf.int32))
        return tf.range(self.num_rows, dtype=tf.int32)

    def element_spec(self):
        signature = self.signature()
        return signature["x"], signature.get("y"), signature.get("sample_weight")

    def distributed(self, strategy):
        """This data as a dataset split across the replicas of `strategy` (cached)."""
        if getattr(self, "_distributed_feed", None) is None:
            dataset = tf.data.Dataset.from_tensor_slices(
                pack_batch(self.x, self.y, self.sample_weight)
            )
            if self.shuffle:
                dataset = dataset.shuffle(self.num_rows, reshuffle_each_iteration=True)
            feed = DatasetFeed(dataset.batch(self.batch_size), steps=self.steps)
            self._distributed_feed = feed.distributed(strategy)
        return self._distributed_feed

    def split(self, fraction):
        """Returns (train, validation) feeds, the validation part being the last `fraction`."""
        split_at = int(self.num_rows * (1.0 - fraction))
        if split_at == 0 or split_at == self.num_rows:
            raise ValueError(
                f"validation_split={fraction} leaves no rows for training or validation with "
                f"{self.num_rows} rows."
            )

        def part(structure, begin, end):
            if structure is None:
                return None
            return tf.nest.map_structure(lambda t: t[begin:end], structure)

        train = ArrayFeed(
            part(self.x, 0, split_at),
            part(self.y, 0, split_at),
            part(self.sample_weight, 0, split_at),
            self.batch_size,
            self.shuffle,
        )
        validation = ArrayFeed(
            part(self.x, split_at, None),
            part(self.y, split_at, None),
            part(self.sample_weight, split_at, None),
            self.batch_size,
            False,
        )
        return train, validation


class DatasetFeed:
    """A batched `tf.data.Dataset` (or a generator turned into one), iterated with prefetch."""

    kind = "dataset"

    def __init__(self, dataset, steps=None, single_pass_source=False):
        self.dataset = dataset.prefetch(tf.data.AUTOTUNE)
        self.single_pass_source = single_pass_source
        cardinality = int(dataset.cardinality())
        self.cardinality = cardinality if cardinality >= 0 else None
        if steps is not None:
            self.steps = int(steps)
        else:
            self.steps = self.cardinality
        self._persistent_iterator = None

    def on_epoch_begin(self):
        """Nothing to do: only a `PyDataset` has epoch hooks (see `PyDatasetFeed`)."""

    def on_epoch_end(self):
        """Nothing to do: only a `PyDataset` has epoch hooks (see `PyDatasetFeed`)."""

    def element_spec(self):
        spec = self.dataset.element_spec
        return unpack_x_y_sample_weight(spec)

    def distributed(self, strategy):
        """This dataset split across the replicas of `strategy` (cached)."""
        if getattr(self, "_distributed_feed", None) is None:
            feed = DatasetFeed.__new__(DatasetFeed)
            feed.__dict__.update(self.__dict__)
            feed.dataset = strategy.experimental_distribute_dataset(self.dataset)
            feed._persistent_iterator = None
            feed._distributed_feed = feed
            self._distributed_feed = feed
        return self._distributed_feed

    def iterator(self):
        if self.single_pass_source or (
            self.steps is not None
            and self.cardinality is not None
            and self.steps < self.cardinality
        ):
            if self._persistent_iterator is None:
                self._persistent_iterator = iter(self.dataset)
            return self._persistent_iterator
        if self.cardinality is None and self.steps is not None:
            if self._persistent_iterator is None:
                self._persistent_iterator = iter(self.dataset.repeat())
            return self._persistent_iterator
        return iter(self.dataset)

    def split(self, fraction):
        if self.cardinality is None:
            raise ValueError(
                "validation_split needs to know the size of the data; this dataset has unknown "
                "cardinality. Pass validation_data=... instead, or use "
                "dataset.apply(tf.data.experimental.assert_cardinality(n))."
            )
        validation_batches = int(self.cardinality * fraction)
        if validation_batches == 0 or validation_batches == self.cardinality:
            raise ValueError(
                f"validation_split={fraction} of {self.cardinality} batches leaves no batch for "
                "training or validation."
            )
        train_batches = self.cardinality - validation_batches
        base = self.dataset
        return (
            DatasetFeed(base.take(train_batches)),
            DatasetFeed(base.skip(train_batches)),
        )


def pack_batch(x, y=None, sample_weight=None):
    """A batch as `train_step` receives it, as in Keras: `x` alone (a tuple or list `x` as
    `(x,)`), `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _spec_from_value(value):
    array = np.asarray(value)
    dtype = tf.float32 if array.dtype == np.float64 else tf.as_dtype(array.dtype)
    return tf.TensorSpec((None, *array.shape[1:]), dtype)


def dataset_from_generator(generator):
    """Wraps a Python generator of batches in a dataset, peeking at its first batch for specs."""
    try:
        first = next(generator)
    except StopIteration as error:
        raise ValueError("The generator passed to fit/evaluate/predict yielded no data.") from error
    if isinstance(first, list):
        first = tuple(first)
    signature = tf.nest.map_structure(_spec_from_value, first)

    def chained():
        yield _cast_like(first)
        for item in generator:
            yield _cast_like(tuple(item) if isinstance(item, list) else item)

    return tf.data.Dataset.from_generator(chained, output_signature=signature)


def _cast_like(structure):
    return tf.nest.map_structure(
        lambda v: np.asarray(v, np.float32) if np.asarray(v).dtype == np.float64 else v, structure
    )


def make_feed(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None):
    """Returns the feed for what was passed: arrays, a dataset or a generator."""
    if x is None:
        raise ValueError("Expected data in `x`. Received: x=None")
    if is_dataset(x):
        _reject_extra_for_dataset(y, sample_weight, "tf.data.Dataset")
        return DatasetFeed(x, steps=steps)
    if is_generator(x):
        _reject_extra_for_dataset(y, sample_weight, "generator")
        return DatasetFeed(dataset_from_generator(x), steps=steps, single_pass_source=True)
    if is_py_dataset(x):
        _reject_extra_for_dataset(y, sample_weight, "PyDataset")
        return PyDatasetFeed(x, shuffle=shuffle, steps=steps)
    if not _is_array_structure(x):
        raise ValueError(
            "Unrecognized data type for x: expected NumPy arrays (or lists/dicts of them), a "
            f"tf.data.Dataset, a PyDataset or a Python generator. Received: {type(x).__name__}"
        )
    return ArrayFeed(x, y, sample_weight, batch_size=batch_size or 32, shuffle=shuffle, steps=steps)


def _reject_extra_for_dataset(y, sample_weight, what):
    if y is not None or sample_weight is not None:
        raise ValueError(
            f"When x is a {what}, it must yield (x, y) or (x, y, sample_weight) itself; do not "
            "pass y or sample_weight separately."
        )


def is_py_dataset(value):
    """Whether `value` serves batches by index as a `PyDataset` (or a Keras `Sequence`) does."""
    from kerascore.utils.py_dataset import PyDataset

    if isinstance(value, PyDataset):
        return True
    return (
        hasattr(value, "__getitem__")
        and hasattr(value, "on_epoch_end")
        and (hasattr(value, "num_batches") or hasattr(value, "__len__"))
        and not _is_array(value)
        and not isinstance(value, (dict, list, tuple, str))
    )


def _num_batches_of(py_dataset):
    """The number of batches of a `PyDataset`, or None when it is infinite."""
    if hasattr(py_dataset, "num_batches"):
        return py_dataset.num_batches
    return len(py_dataset)


class PyDatasetFeed(DatasetFeed):
    """A `PyDataset`'s batches read through a `tf.data` pipeline, with its epoch hooks.

    As in Keras 3, `shuffle=True` visits the batches in a new order every epoch (drawn with
    Python's `random`, which `set_random_seed` seeds), and a dataset whose `num_batches` is
    None is read without end (pass `steps_per_epoch`).

    Args:
        py_dataset: the `PyDataset` (or any object with `__getitem__`, `on_epoch_end` and a
            length or `num_batches`).
        shuffle: whether each epoch reads the batches in a new random order.
        steps: an upper bound on steps per epoch, or None for every batch.
    """

    def __init__(self, py_dataset, shuffle=False, steps=None):
        self.py_dataset = py_dataset
        super().__init__(_dataset_from_py_dataset(py_dataset, shuffle), steps=steps)

    def on_epoch_begin(self):
        """Calls the dataset's `on_epoch_begin` (Keras user datasets may not define it)."""
        hook = getattr(self.py_dataset, "on_epoch_begin", None)
        if hook is not None:
            hook()

    def on_epoch_end(self):
        """Calls the dataset's `on_epoch_end`."""
        self.py_dataset.on_epoch_end()

    def split(self, fraction):
        """Refuses, as Keras 3 does: its batches come from Python, one at a time."""
        raise ValueError(
            "Argument `validation_split` is only supported for tensors or NumPy arrays (and "
            f"kerascore's datasets of known size), not a {type(self.py_dataset).__name__}. "
            f"Pass validation_data=<another PyDataset> instead. Received: "
            f"validation_split={fraction}"
        )


def _dataset_from_py_dataset(py_dataset, shuffle):
    num_batches = _num_batches_of(py_dataset)
    if num_batches == 0:
        raise ValueError(
            f"The {type(py_dataset).__name__} passed to fit/evaluate/predict has no batches "
            "(num_batches=0). Give it at least one batch."
        )
    first = py_dataset[0]
    if isinstance(first, list):
        first = tuple(first)
    signature = tf.nest.map_structure(_spec_from_value, first)

    def batch_indices():
        if num_batches is None:
            return itertools.count()
        indices = list(range(num_batches))
        if shuffle:
            random.shuffle(indices)
        return indices

    def generate():
        for index in batch_indices():
            item = py_dataset[index]
            yield _cast_like(tuple(item) if isinstance(item, list) else item)

    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    if num_batches is None:
        return dataset
    return dataset.apply(tf.data.experimental.assert_cardinality(num_batches))


def class_weight_table(class_weight):
    """Returns a float32 lookup table (index = class id) for a `{class: weight}` dict."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(
            f"Expected class_weight to be a non-empty dict {{class_index: weight}}. "
            f"Received: {class_weight!r}"
        )
    for key in class_weight:
        if not isinstance(key, (int, np.integer)) or key < 0:
            raise ValueError(
                f"class_weight keys must be non-negative class indices. Received key: {key!r}"
            )
    size = max(class_weight) + 1
    table = np.ones(size, dtype=np.float32)
    for key, weight in class_weight.items():
        table[int(key)] = float(weight)
    return tf.constant(table)


def weights_from_classes(y, table):
    """Per-row weights looked up from class ids (sparse labels) or one-hot rows."""
    if y.shape.rank is not None and y.shape.rank > 1 and y.shape[-1] and y.shape[-1] > 1:
        classes = tf.argmax(y, axis=-1, output_type=tf.int32)
    else:
        classes = tf.cast(tf.reshape(y, [-1]) if y.shape.rank and y.shape.rank > 1 else y, tf.int32)
    classes = tf.clip_by_value(classes, 0, tf.shape(table)[0] - 1)
    return tf.gather(table, classes)


def class_weight_tables(class_weight):
    """The lookup tables of `class_weight`: one, or one per output name for a dict of dicts."""
    if class_weight is None:
        return None
    if class_weight and all(isinstance(v, dict) for v in class_weight.values()):
        return {name: class_weight_table(w) for name, w in class_weight.items()}
    return class_weight_table(class_weight)


def validation_feed(validation_data, batch_size, steps):
    """The feed of `fit(validation_data=...)`: a dataset, a generator, a `PyDataset`, or a
    tuple of arrays."""
    if (
        is_dataset(validation_data)
        or is_generator(validation_data)
        or is_py_dataset(validation_data)
    ):
        return make_feed(validation_data, steps=steps)
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be (x_val, y_val), (x_val, y_val, sample_weight) or a "
            f"dataset. Received: {type(validation_data).__name__}"
        )
    x_val, y_val, sw_val = unpack_x_y_sample_weight(tuple(validation_data))
    return make_feed(x_val, y_val, sw_val, batch_size, False, steps)
