"""`History`: records the logs of every epoch (what `fit` returns)."""

from kerascore.callbacks.callback import Callback


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
