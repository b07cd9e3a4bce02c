"""`ProgbarLogger`: prints the progress bar and the logs."""

from kerascore.callbacks.callback import Callback, print_msg
from kerascore.utils.progbar import Progbar, stdout_is_terminal


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
                print_msg(prefix)
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
