"""`TerminateOnNaN`: stops training on a NaN loss."""

import math

from kerascore.callbacks.callback import Callback, print_msg


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
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
