"""How `fit`, `evaluate` and `predict` wire callbacks in: the list they call, and how many
steps may run between two calls of the batch hooks."""

import math


def make_callbacks(model, callbacks, verbose, epochs, steps):
    """The `CallbackList` of one `fit`/`evaluate`/`predict` call: the user's callbacks plus
    `History` and, unless `verbose=0`, the progress bar; a `CallbackList` passed in is kept."""
    from kerascore.callbacks import CallbackList

    if isinstance(callbacks, CallbackList):
        return callbacks
    return CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )


def steps_per_call(model, callbacks, steps):
    """How many steps one compiled call runs, between two calls of the batch hooks.

    `steps_per_execution` when the user set it; else every step when a callback listens to
    batches, about 20 chunks an epoch when only the progress bar does (it need not redraw
    each step), and the whole epoch in one call when no callback listens to batches.
    """
    if model._user_steps_per_execution:
        return model.steps_per_execution
    if steps is None:
        return 1
    needs_batch_hooks = getattr(callbacks, "needs_batch_hooks", True)
    if needs_batch_hooks:
        if only_progress_hooks(callbacks):
            return max(1, math.ceil(steps / 20))
        return 1
    return steps


def only_progress_hooks(callbacks):
    """Whether the only callbacks listening to batches are progress bars."""
    from kerascore.callbacks import ProgbarLogger

    listening = [
        callback
        for callback in getattr(callbacks, "callbacks", [])
        if callback.implements_batch_hooks()
    ]
    return all(isinstance(callback, ProgbarLogger) for callback in listening)
