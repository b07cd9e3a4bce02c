"""`PyDataset` (alias `Sequence`): batches served by index from Python, for `fit`,
`evaluate` and `predict`."""

import itertools
import warnings

_SUPER_INIT_WARNING = (
    "Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. "
    "`**kwargs` can include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass "
    "these arguments to `fit()`, as they will be ignored."
)


class PyDataset:
    """Base class of datasets that return whole batches by index, as `keras.utils.PyDataset`.

    Subclasses implement `__getitem__(index)`, returning one batch (`x`, `(x, y)` or
    `(x, y, sample_weight)`), and `__len__` (the number of batches), and may implement
    `on_epoch_end` (for instance to reshuffle). Pass an instance as `x` to `fit`, `evaluate`
    or `predict`, without `y`.

    kerascore reads the batches on one thread through a `tf.data` pipeline, in order, or in a
    new random order each epoch with `fit(shuffle=True)` as Keras does; `on_epoch_begin` and
    `on_epoch_end` are called when Keras calls them. `workers`, `use_multiprocessing` and
    `max_queue_size` are kept for Keras compatibility.

    Args:
        workers: number of workers Keras would use to fetch batches.
        use_multiprocessing: whether Keras would fetch batches in processes.
        max_queue_size: how many batches Keras would fetch ahead.

    Example:
        >>> import math
        >>> import numpy as np
        >>> class Batches(PyDataset):
        ...     def __init__(self, x, y, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return math.ceil(len(self.x) / self.batch_size)
        ...     def __getitem__(self, index):
        ...         rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        ...         return self.x[rows], self.y[rows]
        >>> len(Batches(np.zeros((10, 2)), np.zeros(10), batch_size=4))
        3
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        defaults = {"_workers": 1, "_use_multiprocessing": False, "_max_queue_size": 10}
        missing = [name for name in defaults if not hasattr(self, name)]
        for name in missing:
            setattr(self, name, defaults[name])
        if missing:
            warnings.warn(_SUPER_INIT_WARNING, stacklevel=3)

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Returns the batch at position `index`."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(self, index)`, returning a batch."
        )

    def __len__(self):
        batches = self.num_batches
        if batches is None:
            raise TypeError(f"{type(self).__name__} is infinite (num_batches is None).")
        return batches

    @property
    def num_batches(self):
        """The number of batches, or `None` for an infinite dataset.

        Raises:
            NotImplementedError: if the subclass defines neither `__len__` nor `num_batches`.
        """
        if type(self).__len__ is not PyDataset.__len__:
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} needs a length: implement `__len__(self)` or the "
            "`num_batches` property:\n\n@property\ndef num_batches(self):\n  return ..."
        )

    def __iter__(self):
        try:
            batches = self.num_batches
        except NotImplementedError:
            batches = None
        indices = range(batches) if batches is not None else itertools.count()
        for index in indices:
            yield self[index]

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch."""


Sequence = PyDataset
