"""Callbacks: hooks into `fit`, `evaluate` and `predict` (history, logging, checkpoints, ...)."""

import csv
import math
import os
import sys
import time
import warnings

import numpy as np
import tensorflow as tf

from kerascore.utils.progbar import Progbar, stdout_is_terminal

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
_ALL_HOOKS = (
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


def _print(message):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


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


class CallbackList(Callback):
    """Calls a list of callbacks together; the trainer talks to this object only.

    Args:
        callbacks: List of `Callback` instances (or `None`).
        add_history: Whether to add a `History` callback if there is none in the list.
        add_progbar: Whether to add a `ProgbarLogger` if there is none in the list.
        model: The model the callbacks act on; `model.history` is set to the `History`.
        **params: Passed to every callback's `set_params` (`verbose`, `epochs`, `steps`).

    Raises:
        TypeError: if an entry of `callbacks` is not a `Callback`.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(_flatten(callbacks))
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "Expected callbacks to be kerascore.callbacks.Callback instances. Received: "
                    f"{callback!r} of type {type(callback).__name__}"
                )
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    @property
    def needs_batch_hooks(self):
        """Whether any callback listens to per-batch hooks (else the trainer may skip them)."""
        return any(callback.implements_batch_hooks() for callback in self.callbacks)

    def implements_batch_hooks(self):
        return self.needs_batch_hooks

    def append(self, callback):
        """Adds `callback` to the list, giving it the list's model and params."""
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, name, *args):
        for callback in self.callbacks:
            getattr(callback, name)(*args)

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)


def _flatten(callbacks):
    if callbacks is None:
        return
    if isinstance(callbacks, (list, tuple)):
        for item in callbacks:
            yield from _flatten(item)
    else:
        yield callbacks


class History(Callback):
    """Records every epoch's logs; `fit` returns it and sets it as `model.history`.

    Attributes:
        history: Dict mapping each log name (`"loss"`, `"val_loss"`, ...) to a list of values,
            one per epoch.
        epoch: List of the epoch indices seen (0-based).
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints progress of `fit`, `evaluate` and `predict` to stdout.

    With `verbose=1` on a terminal it draws a live bar per epoch; with `verbose=2`, or when
    stdout is not a terminal (logs, CI, pipes), it prints one line per epoch.
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None
        self.seen = 0
        self._in_fit = False

    def set_params(self, params):
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs") or 1
        self.target = params.get("steps")

    def implements_batch_hooks(self):
        # Without a live bar there is nothing to draw per batch.
        return self._dynamic()

    def _dynamic(self):
        return self.verbose == 1 and stdout_is_terminal()

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        prefix = ""
        if self.epochs > 1:
            prefix = f"Epoch {epoch + 1}/{self.epochs}"
            if self._dynamic():
                _print(prefix)
                prefix = ""
        self._start_progbar(prefix)

    def on_epoch_end(self, epoch, logs=None):
        self._finish_progbar(logs)

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start_progbar("")

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish_progbar(logs)

    def on_predict_begin(self, logs=None):
        self._start_progbar("")

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)

    def on_predict_end(self, logs=None):
        self._finish_progbar(None)

    def _start_progbar(self, prefix):
        self.seen = 0
        self.progbar = None
        if self.verbose:
            self.progbar = Progbar(
                self.target, verbose=self.verbose, stateless_metrics=(), prefix=prefix
            )

    def _update_progbar(self, batch, logs):
        self.seen = batch + 1
        if self.progbar is not None and self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish_progbar(self, logs):
        if self.progbar is None:
            return
        current = self.target if self.target is not None else self.seen
        if self.progbar.target is None and self.seen:
            self.progbar.target = self.seen
        self.progbar.update(current, list((logs or {}).items()), finalize=True)
        self.progbar = None


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity for improvement.

    Args:
        monitor: Name of the logged quantity, e.g. `"val_loss"`.
        mode: `"min"`, `"max"` or `"auto"` (inferred from the name or the metric).
        baseline: Initial best value, or `None` to take the first value seen.
        min_delta: Smallest change that counts as an improvement.

    Raises:
        ValueError: for an unknown `mode`, or (at the first check) when `mode="auto"` cannot
            tell the direction of `monitor`.
    """

    _MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "true_", "top_k")

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f'Expected mode to be one of "auto", "min", "max". Received: mode={mode!r}'
            )
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self._direction = None

    def _resolve_direction(self):
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        for metric in _model_metrics(self.model):
            if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
                return "max" if metric._direction == "up" else "min"
        if name.endswith("loss") or "error" in name or "crossentropy" in name:
            return "min"
        if any(hint in name for hint in self._MAX_HINTS):
            return "max"
        raise ValueError(
            f"{type(self).__name__} cannot tell whether monitor={self.monitor!r} should be "
            "minimized or maximized. Pass mode='min' or mode='max'."
        )

    def _is_improvement(self, value, reference):
        if self._direction is None:
            self._direction = self._resolve_direction()
        if reference is None:
            return True
        if self._direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference


def _model_metrics(model):
    found = []
    pending = list(getattr(model, "metrics", None) or [])
    while pending:
        metric = pending.pop()
        found.append(metric)
        pending.extend(getattr(metric, "metrics", None) or [])
    return found


def _monitor_value(callback, logs):
    value = (logs or {}).get(callback.monitor)
    if value is None:
        warnings.warn(
            f"{type(callback).__name__} is conditioned on {callback.monitor!r}, which is not in "
            f"the logs. Available: {sorted(logs or {})}",
            stacklevel=3,
        )
    return value


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored quantity has stopped improving.

    Args:
        monitor: Quantity to watch, e.g. `"val_loss"`.
        min_delta: Smallest change that counts as an improvement.
        patience: Epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping or restoring.
        mode: `"auto"`, `"min"` or `"max"`.
        baseline: Value the quantity must beat: training stops after `patience` epochs that
            do not improve on both the best value so far and the baseline.
        restore_best_weights: Whether to restore the weights of the best epoch at the end of
            training (also when training ran all its epochs).
        start_from_epoch: Epochs to wait before watching starts (warm-up).

    Example:

    ```python
    stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    ```
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = _monitor_value(self, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
                return
        # An improvement that still misses the baseline counts towards patience, as documented.
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(MonitorCallback):
    """Saves the model (or its weights) during training.

    `filepath` may hold format fields filled from the epoch (1-based), the batch (1-based,
    with an integer `save_freq`) and the logs: `"ckpt-{epoch:02d}-{val_loss:.2f}.keras"`.

    Args:
        filepath: Path ending in `.keras`, or in `.weights.h5` with `save_weights_only=True`.
        monitor: Quantity compared when `save_best_only=True`.
        verbose: 1 prints a message at each save.
        save_best_only: Only save when `monitor` improves on the best value so far.
        save_weights_only: Save only the weights (`model.save_weights`).
        mode: `"auto"`, `"min"` or `"max"`.
        save_freq: `"epoch"`, or an integer number of batches between saves.
        initial_value_threshold: Best value to beat before the first save, with
            `save_best_only=True`.

    Raises:
        ValueError: for a `filepath` with the wrong suffix or an unknown `save_freq`.
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f'Expected save_freq to be "epoch" or a positive integer. Received: '
                f"save_freq={save_freq!r}"
            )
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "With save_weights_only=True the checkpoint filepath must end in .weights.h5. "
                f"Received: filepath={self.filepath!r}"
            )
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError(
                "The checkpoint filepath must end in .keras (or in .weights.h5 with "
                f"save_weights_only=True). Received: filepath={self.filepath!r}"
            )
        self._current_epoch = 0
        self._batches_since_save = 0
        self._last_batch = None

    def implements_batch_hooks(self):
        return self.save_freq != "epoch"

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        if self._last_batch is None or batch <= self._last_batch:
            self._batches_since_save += batch + 1
        else:
            self._batches_since_save += batch - self._last_batch
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = dict(logs or {})
        filepath = self._format_filepath(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint can save the best model only with {self.monitor!r} in the "
                    f"logs; saving anyway. Available: {sorted(logs)}",
                    stacklevel=2,
                )
            elif self._is_improvement(current, self.best):
                if self.verbose > 0:
                    best = "None" if self.best is None else f"{self.best:.5f}"
                    _print(
                        f"Epoch {epoch + 1}: {self.monitor} improved from {best} to "
                        f"{current:.5f}, saving model to {filepath}"
                    )
                self.best = current
            else:
                if self.verbose > 0:
                    _print(
                        f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}"
                    )
                return
        elif self.verbose > 0:
            _print(f"Epoch {epoch + 1}: saving model to {filepath}")
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint needs a file path, but {filepath!r} is an existing directory."
            )
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _format_filepath(self, epoch, batch, logs):
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint cannot fill {error} in filepath={self.filepath!r}. Available "
                f"fields: {sorted(fields)}"
            ) from None


class ReduceLROnPlateau(MonitorCallback):
    """Reduces the learning rate when a monitored quantity has stopped improving.

    Args:
        monitor: Quantity to watch.
        factor: Multiplier applied to the learning rate, in `(0, 1)`.
        patience: Epochs without improvement before reducing.
        verbose: 1 prints a message at each reduction.
        mode: `"auto"`, `"min"` or `"max"`.
        min_delta: Smallest change that counts as an improvement.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: Lower bound of the learning rate.

    Raises:
        ValueError: if `factor >= 1`.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau needs factor < 1 to reduce the rate. Received: factor={factor}"
            )
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = _monitor_value(self, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = float(self.model.optimizer.learning_rate)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new_lr
            if self.verbose > 0:
                _print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch loss is NaN or infinite.

    Args:
        raise_error: Raise a `RuntimeError` instead of stopping quietly.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss at batch {batch}: loss={loss}. Training stopped.")
        _print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True


class CSVLogger(Callback):
    """Streams epoch results to a CSV file, one row per epoch (`epoch` column 0-based).

    Args:
        filename: Path of the CSV file.
        separator: Column separator.
        append: Append to an existing file (writing the header only if it is empty) instead
            of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self._write_header = True

    def on_train_begin(self, logs=None):
        self._write_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as existing:
                self._write_header = not existing.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], delimiter=self.sep
            )
            if self._write_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0:
        return f'"[{", ".join(map(str, np.ravel(value)))}]"'
    return value


class LambdaCallback(Callback):
    """Builds a callback from plain functions, one per hook.

    Epoch hooks take `(epoch, logs)`, batch hooks `(batch, logs)`, begin/end hooks `(logs)`.

    Args:
        **hooks: Functions keyed by hook name (`on_epoch_end=...`, `on_train_begin=...`, or
            any other `Callback` hook).

    Raises:
        ValueError: for a key that is not a callback hook, or a value that is not callable.

    Example:

    ```python
    print_epoch = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    ```
    """

    def __init__(self, **hooks):
        super().__init__()
        for name, function in hooks.items():
            if name not in _ALL_HOOKS:
                raise ValueError(
                    f"LambdaCallback got an unknown hook {name!r}. Expected one of "
                    f"{sorted(_ALL_HOOKS)}"
                )
            if not callable(function):
                raise ValueError(f"Expected {name} to be callable. Received: {function!r}")
            setattr(self, name, function)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from `schedule(epoch, lr)`.

    Args:
        schedule: Function of the epoch index (0-based) and the current learning rate (a
            float) returning the new learning rate (a float).
        verbose: 1 prints the rate at each epoch.

    Raises:
        ValueError: (during `fit`) if `schedule` returns something other than a float.

    Example:

    ```python
    def schedule(epoch, lr):
        return lr if epoch < 10 else lr * 0.9

    model.fit(x, y, epochs=20, callbacks=[LearningRateScheduler(schedule)])
    ```
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError(
                f"LearningRateScheduler needs an optimizer with a learning_rate. Received: "
                f"{type(optimizer).__name__}"
            )
        learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        if not isinstance(learning_rate, (float, np.floating)):
            raise ValueError(
                "The schedule function of LearningRateScheduler must return a float. Received: "
                f"{learning_rate!r} of type {type(learning_rate).__name__} at epoch {epoch}"
            )
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            _print(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class BackupAndRestore(Callback):
    """Backs training up at the end of each epoch and resumes from the backup after a crash.

    Call `fit` again with the same callback (and `backup_dir`) after an interruption: the
    weights, the optimizer state and the epoch counter are restored and training continues
    from the epoch after the last backup, as if it had never stopped.

    Args:
        backup_dir: a folder for the backup; it must not be shared by two concurrent runs.
        save_freq: `"epoch"`, or an int to also back up every `save_freq` batches.
        delete_checkpoint: remove the backup when training ends normally.
    """

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"Empty backup_dir argument passed. Received: {backup_dir!r}")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(
                f"Expected save_freq='epoch' or a positive int. Received: save_freq={save_freq!r}"
            )
        self.backup_dir = str(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._state_path = os.path.join(self.backup_dir, "training_state.json")
        self._current_epoch = 0
        self._batches_seen = 0

    def implements_batch_hooks(self):
        return self.save_freq != "epoch"

    def on_train_begin(self, logs=None):
        import json

        if not (os.path.exists(self._weights_path) and os.path.exists(self._state_path)):
            return
        with open(self._state_path) as state_file:
            state = json.load(state_file)
        self.model.load_weights(self._weights_path)
        self.model._initial_epoch = int(state["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.save_freq != "epoch" and self._batches_seen % self.save_freq == 0:
            self._backup(next_epoch=self._current_epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._backup(next_epoch=epoch + 1)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            for path in (self._weights_path, self._state_path):
                if os.path.exists(path):
                    os.remove(path)

    def _backup(self, next_epoch):
        import json

        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights_path)
        temporary = self._state_path + ".tmp"
        with open(temporary, "w") as state_file:
            json.dump({"epoch": next_epoch}, state_file)
        os.replace(temporary, self._state_path)


class TensorBoard(Callback):
    """Writes training logs as TensorBoard event files.

    Epoch results go to `log_dir/train` (with the learning rate) and validation results to
    `log_dir/validation`, as scalars named `epoch_<metric>` with the epoch as step. With an
    int `update_freq` the running results are also written every `update_freq` batches as
    `batch_<metric>`, with the global batch number as step. After each evaluation,
    `evaluation_<metric>_vs_iterations` is written under `validation` with the optimizer's
    iteration count as step. View them with `tensorboard --logdir log_dir`.

    Args:
        log_dir: Folder of the event files.
        histogram_freq: Write histograms of the model's weights every this many epochs
            (0: never).
        write_graph: Whether to write the graph of the first training step (shown in
            TensorBoard's Graphs tab).
        write_images: Must be False: weight images are not supported (use `histogram_freq`).
        write_steps_per_second: Whether to also write the training speed, as
            `epoch_steps_per_second` (and `batch_steps_per_second` with an int
            `update_freq`).
        update_freq: `"epoch"`, `"batch"` (every batch) or an int number of batches.
        profile_batch: Must be 0: profiling is not supported.

    Raises:
        ValueError: for an invalid `update_freq` or `histogram_freq`, or a request for an
            unsupported feature.
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
    ):
        super().__init__()
        if write_images:
            raise ValueError(
                "TensorBoard(write_images=True) is not supported; use histogram_freq to log "
                f"weight distributions. Received: write_images={write_images!r}"
            )
        if profile_batch:
            raise ValueError(
                "TensorBoard profiling is not supported; pass profile_batch=0 and use "
                f"tf.profiler directly. Received: profile_batch={profile_batch!r}"
            )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "Expected update_freq='epoch', 'batch' or a positive int number of batches. "
                f"Received: update_freq={update_freq!r}"
            )
        if (
            isinstance(histogram_freq, bool)
            or not isinstance(histogram_freq, int)
            or (histogram_freq < 0)
        ):
            raise ValueError(
                "Expected histogram_freq to be an int >= 0 (0 disables histograms). "
                f"Received: histogram_freq={histogram_freq!r}"
            )
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._writers = {}
        self._global_train_batch = 0
        self._batches_before_epoch = 0
        self._tracing = False

    def implements_batch_hooks(self):
        return self.update_freq != "epoch"

    def _writer(self, subdir):
        if subdir not in self._writers:
            self._writers[subdir] = tf.summary.create_file_writer(
                os.path.join(self.log_dir, subdir)
            )
        return self._writers[subdir]

    def _write_scalars(self, subdir, name_format, logs, step):
        with self._writer(subdir).as_default():
            for name, value in logs.items():
                if np.ndim(value) == 0 and not isinstance(value, str):
                    tf.summary.scalar(name_format.format(name), float(value), step=step)

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._batches_before_epoch = 0
        if self.write_graph:
            tf.summary.trace_on(graph=True, profiler=False)
            self._tracing = True

    def _export_graph(self):
        if self._tracing:
            with self._writer("train").as_default():
                tf.summary.trace_export(name="train_function", step=0)
            self._tracing = False

    def _iterations(self):
        return int(tf.convert_to_tensor(self.model.optimizer.iterations))

    def on_epoch_begin(self, epoch, logs=None):
        self._batches_before_epoch = self._global_train_batch
        if self.write_steps_per_second:
            self._epoch_start = (time.perf_counter(), self._iterations())

    def on_train_batch_begin(self, batch, logs=None):
        if self.write_steps_per_second:
            self._batch_start = (time.perf_counter(), batch)

    def on_train_batch_end(self, batch, logs=None):
        self._export_graph()
        # The trainer may run several batches per call; `batch` is the last one of them.
        self._global_train_batch = self._batches_before_epoch + batch + 1
        if self.update_freq == "epoch" or not isinstance(logs, dict):
            return
        if self._global_train_batch % self.update_freq == 0:
            if self.write_steps_per_second:
                start_time, first_batch = self._batch_start
                logs = {
                    **logs,
                    "steps_per_second": (batch - first_batch + 1)
                    / (time.perf_counter() - start_time),
                }
            self._write_scalars("train", "batch_{}", logs, self._global_train_batch)

    def on_test_begin(self, logs=None):
        self._export_graph()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if logs and optimizer is not None:
            step = int(optimizer.iterations)
            with self._writer("validation").as_default():
                for name, value in logs.items():
                    tf.summary.scalar(f"evaluation_{name}_vs_iterations", float(value), step=step)
            self._writer("validation").flush()

    def on_epoch_end(self, epoch, logs=None):
        self._export_graph()
        logs = logs or {}
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            train_logs["learning_rate"] = float(np.asarray(optimizer.learning_rate))
        if self.write_steps_per_second:
            start_time, start_iterations = self._epoch_start
            train_logs["steps_per_second"] = (self._iterations() - start_iterations) / (
                time.perf_counter() - start_time
            )
        self._write_scalars("train", "epoch_{}", train_logs, epoch)
        if val_logs:
            self._write_scalars("validation", "epoch_{}", val_logs, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            with self._writer("train").as_default():
                for weight in self.model.weights:
                    name = weight.name.split(":")[0]
                    tf.summary.histogram(f"{name}/histogram", weight, step=epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        if self._tracing:
            tf.summary.trace_off()
            self._tracing = False
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's moving averages (EMA) for evaluation.

    During validation, `evaluate` and `predict` the model runs with the EMA weights and
    gets its training weights back afterwards. With `swap_on_epoch=True` the EMA weights
    are also in the model at the end of each epoch, so that callbacks placed after this one
    (`ModelCheckpoint`, ...) see them; at the last epoch the EMA weights stay in the model.
    The optimizer needs `use_ema=True`.

    Args:
        swap_on_epoch: Whether to put the EMA weights in the model at the end of each epoch.

    Raises:
        ValueError: when the model's optimizer does not keep moving averages.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizer(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if not getattr(optimizer, "use_ema", False) or not hasattr(
            optimizer, "_model_variables_moving_average"
        ):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer "
                "and the optimizer is built. Received: "
                f"use_ema={getattr(optimizer, 'use_ema', None)}"
            )
        return optimizer

    def _swap_variables(self):
        optimizer = self._ema_optimizer()
        for variable, average in zip(
            optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True
        ):
            value = tf.identity(tf.convert_to_tensor(variable))
            variable.assign(average)
            average.assign(value)

    def _finalize_ema_values(self):
        optimizer = self._ema_optimizer()
        for variable, average in zip(
            optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True
        ):
            average.assign(variable)

    def _swap_in(self):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _swap_out(self):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            # Training ends with the EMA weights in the model; the averages follow them so
            # that finalizing the optimizer's averages keeps them.
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()
