"""`StackedRNNCells`: several cells run as one."""

from kerascore.layers.layer import Layer
from kerascore.layers.rnn.cell_utils import (
    call_cell,
    cell_initial_state,
    cell_output_size,
    check_cell,
)
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


@register_builtin
class StackedRNNCells(Layer):
    """Wraps a list of cells so that they act as one cell (each feeds the next).

    Args:
        cells: a list of RNN cells.

    Example:
        cells = [keras.layers.LSTMCell(8), keras.layers.LSTMCell(4)]
        keras.layers.RNN(keras.layers.StackedRNNCells(cells))(np.ones((2, 5, 3))).shape
        # (2, 4)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(
                f"StackedRNNCells expects a non-empty list of cells. Received: cells={cells!r}"
            )
        for cell in cells:
            check_cell(cell)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        return [cell_initial_state(cell, batch_size, self.compute_dtype) for cell in self.cells]

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(tuple(input_shape))
            input_shape = (batch, cell_output_size(cell))
        self.built = True

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if is_list else [cell_states]
            inputs, cell_states = call_cell(cell, inputs, cell_states, training)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            new_states.append(list(cell_states) if is_list else cell_states[0])
        return inputs, new_states

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_size)

    def get_config(self):
        return {
            **super().get_config(),
            "cells": [serialize_keras_object(cell) for cell in self.cells],
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_keras_object(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
