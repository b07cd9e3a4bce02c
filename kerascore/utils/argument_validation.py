"""Argument checks shared by layers: tuples of ints, padding, data format, positive ints.

Each raises `ValueError` naming the argument and the value received.
"""

import numpy as np

_DATA_FORMATS = ("channels_last", "channels_first")


def standardize_tuple(value, n, name, allow_zero=False):
    """Returns `value` (an int or `n` ints) as a tuple of `n` ints.

    Raises:
        ValueError: naming `name` and the value, if it is not `n` positive ints (or
            non-negative ones with `allow_zero`).
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if (
            values is None
            or len(values) != n
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
        ):
            raise ValueError(
                f"The `{name}` argument must be an int or a tuple of {n} ints. "
                f"Received: {name}={value!r}"
            )
        values = tuple(int(v) for v in values)
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in values):
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} ints {requirement}. "
            f"Received: {name}={value!r}"
        )
    return values


def standardize_padding(value, allow_causal=False):
    """Returns `padding` lower-cased after checking it is `valid`, `same` (or `causal`)."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {allowed}. Received: padding={value!r}"
        )
    return padding


def standardize_data_format(value):
    """Returns `data_format`, `channels_last` when None, after checking it."""
    data_format = "channels_last" if value is None else value
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {_DATA_FORMATS}. "
            f"Received: data_format={value!r}"
        )
    return data_format


def check_positive_int(layer_name, argument, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{argument}` of {layer_name}: expected a strictly "
            f"positive integer. Received: {argument}={value!r}"
        )


def is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_non_negative(layer_name, argument, value, allow_none=False):
    if allow_none and value is None:
        return None
    if not is_number(value) or value < 0:
        raise ValueError(
            f"{argument} of a {layer_name} layer cannot be None or a negative value. "
            f"Received: {argument}={value!r}"
        )
    return float(value)


def is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def positive_int(argument, value):
    if not is_int(value) or value <= 0:
        raise ValueError(
            f"Argument `{argument}` should be a positive integer. Received: {argument}={value!r}"
        )
    return int(value)
