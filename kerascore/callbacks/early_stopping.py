"""`EarlyStopping`: stops training when a metric stops improving."""

from kerascore.callbacks.callback import print_msg
from kerascore.callbacks.monitor_callback import MonitorCallback, monitor_value


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
        current = monitor_value(self, logs)
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
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)
