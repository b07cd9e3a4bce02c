"""`(x, y, sample_weight)` tuples as `fit` reads them from a dataset or generator.

`keras.utils` exports both helpers, as in Keras; `training` uses them to split and rebuild
batches.
"""


def unpack_x_y_sample_weight(data):
    """Splits `(x,)`, `(x, y)` or `(x, y, sample_weight)` into a triple with Nones."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data should be `(x,)`, `(x, y)` or `(x, y, sample_weight)`. Received a tuple of "
        f"{len(data)} elements."
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The inverse of `unpack_x_y_sample_weight`."""
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)
