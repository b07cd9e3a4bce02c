"""`model.summary()`: a table of layers, output shapes and parameter counts."""

import numpy as np


def _format_size(count, dtype_bytes=4):
    size = count * dtype_bytes
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def _output_shape(layer):
    nodes = getattr(layer, "_inbound_nodes", [])
    if nodes:
        outputs = nodes[-1].output_tensors
        shapes = [tuple(t.shape) for t in outputs]
        return str(shapes[0]) if len(shapes) == 1 else str(shapes)
    return "?"


def _count(variables):
    return int(sum(np.prod(v.shape) for v in variables))


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    """Prints `model`'s layers as a table through `print_fn` (print by default)."""
    print_fn = print_fn or print
    line_length = line_length or 88
    columns = [int(line_length * 0.45), int(line_length * 0.33)]
    columns.append(line_length - sum(columns))
    rows = []
    from kerascore.layers.core.input_layer import InputLayer

    for layer in model.layers:
        if isinstance(layer, InputLayer):
            rows.append((f"{layer.name} ({type(layer).__name__})", str(layer.batch_shape), "0"))
            continue
        params = _count(layer.weights) if layer.built else 0
        name = f"{layer.name} ({type(layer).__name__})"
        if show_trainable:
            name += "" if layer.trainable else " [frozen]"
        rows.append((name, _output_shape(layer), f"{params:,}"))

    def line(left, middle, right, fill):
        return left + middle.join(fill * width for width in columns) + right

    def row(cells):
        name, shape, params = cells
        return (
            "│ "
            + name.ljust(columns[0] - 2)[: columns[0] - 2]
            + " │ "
            + shape.ljust(columns[1] - 2)[: columns[1] - 2]
            + " │ "
            + params.rjust(columns[2] - 3)[: columns[2] - 3]
            + " │"
        )

    print_fn(f'Model: "{model.name}"')
    print_fn(line("┌", "┬", "┐", "─"))
    print_fn(row(("Layer (type)", "Output Shape", "Param #")))
    print_fn(line("├", "┼", "┤", "─"))
    for cells in rows:
        print_fn(row(cells))
    print_fn(line("└", "┴", "┘", "─"))
    total = _count(model.weights) if model.built else 0
    trainable = _count(model.trainable_weights) if model.built else 0
    print_fn(f" Total params: {total:,} ({_format_size(total)})")
    print_fn(f" Trainable params: {trainable:,} ({_format_size(trainable)})")
    print_fn(f" Non-trainable params: {total - trainable:,} ({_format_size(total - trainable)})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        count = _count(optimizer.variables)
        print_fn(f" Optimizer params: {count:,} ({_format_size(count)})")
