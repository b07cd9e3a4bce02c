"""`Callback`: the base of hooks into `fit`, `evaluate` and `predict`."""

from kerascore.utils import io_utils

_BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


ALL_HOOKS = (
    *_BATCH_HOOKS,
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)


def print_msg(message):
    """Writes a callback's message to stdout, or to the log when interactive logging is off."""
    io_utils.print_msg(message)


class Callback:
    """Base class of callbacks: every hook is a no-op to override.

    `logs` are dicts of Python floats: per batch the running averages so far, per epoch the
    epoch results including `val_*` entries when there is validation data.

    Attributes:
        params: Dict of training parameters (`verbose`, `epochs`, `steps`).
        model: The model being trained, evaluated or run.
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def implements_batch_hooks(self):
        """Returns whether the trainer must call this callback's per-batch hooks."""
        return any(_overrides(self, name) for name in _BATCH_HOOKS)

    def on_batch_begin(self, batch, logs=None):
        """Alias of `on_train_batch_begin` kept for older callbacks."""

    def on_batch_end(self, batch, logs=None):
        """Alias of `on_train_batch_end` kept for older callbacks."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (0-based `epoch`) during `fit`."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with that epoch's training and validation results."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of `evaluate` (and of validation inside `fit`)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of `evaluate` with the running results."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of `predict`."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of `predict`; `logs` may hold the batch `outputs`."""

    def on_train_begin(self, logs=None):
        """Called once at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called once at the end of `fit` with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate` or of a validation run."""

    def on_test_end(self, logs=None):
        """Called at the end of `evaluate` or of a validation run."""

    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""


def _overrides(callback, name):
    if name in vars(callback):  # A hook set on the instance, as LambdaCallback does.
        return True
    return getattr(type(callback), name) is not getattr(Callback, name)
