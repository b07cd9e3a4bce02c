"""Padding of variable-length sequences to one length."""

import numpy as np


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """Pads (or truncates) sequences to the same length.

    Args:
        sequences: List of sequences; each a list or array (items may themselves be arrays,
            all of the same shape).
        maxlen: Length of the output sequences. Defaults to the longest sequence.
        dtype: Type of the output.
        padding: `"pre"` or `"post"`: pad before or after each sequence.
        truncating: `"pre"` or `"post"`: drop values from the start or the end of sequences
            longer than `maxlen`.
        value: Padding value.

    Returns:
        A NumPy array of shape `(len(sequences), maxlen) + item_shape`.

    Raises:
        ValueError: for unknown `padding`/`truncating`, a sequence that is not a sequence,
            items of different shapes, or a string `value` with a non-string dtype.

    Example:

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'Expected padding to be "pre" or "post". Received: padding={padding!r}')
    if truncating not in ("pre", "post"):
        raise ValueError(
            f'Expected truncating to be "pre" or "post". Received: truncating={truncating!r}'
        )
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"Expected a list of sequences. Received: sequences of type {type(sequences).__name__}"
        )
    lengths = []
    item_shape = None
    for index, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__"):
            raise ValueError(
                "Expected every entry of sequences to be a sequence. Received: "
                f"sequences[{index}]={sequence!r}"
            )
        lengths.append(len(sequence))
        if item_shape is None and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if maxlen < 0:
        raise ValueError(f"Expected maxlen >= 0. Received: maxlen={maxlen}")
    is_string_dtype = np.issubdtype(np.dtype(dtype), np.str_)
    if isinstance(value, str) and dtype is not object and not is_string_dtype:
        raise ValueError(
            f"dtype {dtype!r} cannot hold the string padding value={value!r}. Pass "
            "dtype=object or a string dtype, or a numeric value."
        )
    padded = np.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    if maxlen == 0:
        return padded
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"Expected every item to have shape {item_shape}. Received: sequences[{index}] "
                f"with items of shape {kept.shape[1:]}"
            )
        if padding == "post":
            padded[index, : len(kept)] = kept
        else:
            padded[index, -len(kept) :] = kept
    return padded
