"""How `RNN` and `StackedRNNCells` talk to any cell: checks, sizes, initial states, calls."""

import tensorflow as tf

from kerascore.layers.layer import Layer


def check_cell(cell):
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell!r}")
    if getattr(cell, "state_size", None) is None:
        raise ValueError(
            "The RNN cell should have a `state_size` attribute (an int, or a list of ints, one "
            f"per state). Received: cell={cell!r}"
        )


def cell_output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def cell_initial_state(cell, batch_size, dtype):
    get_initial_state = getattr(cell, "get_initial_state", None)
    if get_initial_state is not None:
        state = get_initial_state(batch_size=batch_size)
        return list(state) if isinstance(state, (list, tuple)) else [state]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [tf.zeros((batch_size, size), dtype=dtype) for size in sizes]


def call_cell(cell, inputs, states, training):
    if isinstance(cell, Layer):
        if cell._call_takes_training:
            return cell(inputs, states, training=training)
        return cell(inputs, states)
    return cell.call(inputs, states)


def several_shapes(shapes):
    """The shapes of a layer's several outputs, as a list of `tf.TensorShape`: a shape is then
    one leaf for `tf.nest`, where a tuple would be taken apart into its dimensions."""
    return [tf.TensorShape(shape) for shape in shapes]
