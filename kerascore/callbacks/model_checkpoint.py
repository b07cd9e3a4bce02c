"""`ModelCheckpoint`: saves the model or its weights during training."""

import os
import warnings

from kerascore.callbacks.callback import print_msg
from kerascore.callbacks.monitor_callback import MonitorCallback


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
                    print_msg(
                        f"Epoch {epoch + 1}: {self.monitor} improved from {best} to "
                        f"{current:.5f}, saving model to {filepath}"
                    )
                self.best = current
            else:
                if self.verbose > 0:
                    print_msg(
                        f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}"
                    )
                return
        elif self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: saving model to {filepath}")
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
