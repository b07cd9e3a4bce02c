"""`CallbackList`: calls every callback's hook in turn, as `fit` does."""

from kerascore.callbacks.callback import Callback
from kerascore.callbacks.history import History
from kerascore.callbacks.progbar_logger import ProgbarLogger


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
