"""Names as Keras derives them from class names."""

import re


def to_snake_case(name):
    """`Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d`, as Keras names layers and metrics."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
