"""`LearningRateScheduler`: sets the learning rate each epoch."""

import numpy as np

from kerascore.callbacks.callback import Callback, print_msg


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
            print_msg(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
