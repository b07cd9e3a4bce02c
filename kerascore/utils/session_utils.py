"""`clear_session`: a fresh start for layer names, and memory given back."""

from kerascore.utils.naming import reset_unique_names


def clear_session(free_memory=True):
    """Resets kerascore's global state: automatic layer names start again from `dense`,
    `dense_1`, ...

    Args:
        free_memory: whether to also run Python's garbage collector and release the kernels
            TensorFlow cached for models that no longer exist. It can take a moment, so loops
            that clear the session often may pass `False`.
    """
    if free_memory:
        from kerascore.layers.layer import clear_session as clear_names_and_memory

        clear_names_and_memory()
    else:
        reset_unique_names()
