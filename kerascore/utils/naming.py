"""Names as Keras derives them: from class names, numbered when taken (`dense`, `dense_1`)."""

import re

_NAME_COUNTS = {}


def to_snake_case(name):
    """`Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d`, as Keras names layers and metrics."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """Returns `base` the first time, then `base_1`, `base_2`, ..."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def reset_unique_names():
    """Makes `unique_name` number every base from the start again (`clear_session`)."""
    _NAME_COUNTS.clear()
