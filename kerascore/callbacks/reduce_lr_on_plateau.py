"""`ReduceLROnPlateau`: lowers the learning rate when a metric stalls."""

import numpy as np

from kerascore.callbacks.callback import print_msg
from kerascore.callbacks.monitor_callback import MonitorCallback, monitor_value


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
        current = monitor_value(self, logs)
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
                print_msg(
                    f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}."
                )
            self.cooldown_counter = self.cooldown
            self.wait = 0
