"""`LambdaCallback`: a callback from plain functions."""

from kerascore.callbacks.callback import ALL_HOOKS, Callback


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
            if name not in ALL_HOOKS:
                raise ValueError(
                    f"LambdaCallback got an unknown hook {name!r}. Expected one of "
                    f"{sorted(ALL_HOOKS)}"
                )
            if not callable(function):
                raise ValueError(f"Expected {name} to be callable. Received: {function!r}")
            setattr(self, name, function)
