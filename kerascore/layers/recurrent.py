"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, the generic RNN, StackedRNNCells,
Bidirectional and TimeDistributed.

The built-in cells run fused: the input projection of every timestep is one matmul before the
loop, and the loop (a `tf.while_loop`, or Python when `unroll=True`) only does the recurrent
matmul and the gate math. Custom cells run one `cell(inputs, states)` call per timestep.
"""

__all__ = [
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "Bidirectional",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]

import copy

import numpy as np
import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.models.layer import InputSpec, Layer, cast_to_compute
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


def _check_units(layer_name, units):
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
        raise ValueError(
            f"Received an invalid value for argument `units` of {layer_name}: expected a "
            f"positive integer. Received: units={units!r}"
        )


def _check_rate(layer_name, argument, value):
    if (
        not isinstance(value, (int, float, np.floating))
        or isinstance(value, bool)
        or not (0 <= value <= 1)
    ):
        raise ValueError(
            f"Received an invalid value for argument `{argument}` of {layer_name}: expected a "
            f"float in [0, 1]. Received: {argument}={value!r}"
        )


def _dropout_masks(like, rate, count, seed):
    """`count` Keras-style dropout masks (kept entries scaled by 1 / (1 - rate)) shaped like
    `like`, or None when `rate` disables dropout."""
    if not 0 < rate < 1:
        return None
    ones = tf.ones_like(like)
    # Ops that share an op seed draw the same numbers in a graph: give each mask its own.
    seeds = [None] * count if seed is None else [seed + index for index in range(count)]
    return [tf.nn.dropout(ones, rate=rate, seed=op_seed) for op_seed in seeds]


def _gated_matmul(inputs, kernel, masks, gates):
    """`inputs @ kernel`, where each of the `gates` column blocks of `kernel` sees `inputs`
    times its own dropout mask (one shared mask when `masks` has one entry)."""
    if masks is None:
        return tf.matmul(inputs, kernel)
    if len(masks) == 1:
        return tf.matmul(inputs * masks[0], kernel)
    blocks = tf.split(kernel, gates, axis=-1)
    return tf.concat([tf.matmul(inputs * m, k) for m, k in zip(masks, blocks)], axis=-1)


def _project_sequence(sequences, kernel, bias, masks, gates):
    """Projects time-major `sequences` `(time, batch, features)` with one matmul."""
    shape = tf.shape(sequences)
    flat = tf.reshape(sequences, (-1, sequences.shape[-1]))
    if masks is not None:
        # A dropout mask is per sample, shared by every timestep.
        tiled = [tf.tile(m, (shape[0], 1)) for m in masks]
        projected = _gated_matmul(flat, kernel, tiled, gates)
    else:
        projected = tf.matmul(flat, kernel)
    if bias is not None:
        projected = tf.nn.bias_add(projected, bias)
    return tf.reshape(projected, tf.concat([shape[:2], [kernel.shape[-1]]], axis=0))


def _init_arguments(init_locals, *exclude):
    """The named arguments of an `__init__`, read from its `locals()` before any assignment.

    Leaves out `self`, `kwargs` and the names in `exclude`.
    """
    skip = {"self", "__class__", "kwargs", *exclude}
    return {name: value for name, value in init_locals.items() if name not in skip}


class _FusedCell(Layer):
    """Shared machinery of the built-in cells.

    A cell projects a whole time-major sequence at once (`project_inputs`) and builds a step
    function (`make_step`) that only applies the recurrent kernel. Called alone, as
    `cell(inputs, states, training=None)`, it does both for one timestep, as Keras cells do.
    """

    gates = 1

    def __init__(
        self,
        units,
        activation,
        use_bias,
        kernel_initializer,
        recurrent_initializer,
        bias_initializer,
        kernel_regularizer,
        recurrent_regularizer,
        bias_regularizer,
        kernel_constraint,
        recurrent_constraint,
        bias_constraint,
        dropout,
        recurrent_dropout,
        seed,
        **kwargs,
    ):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        name = type(self).__name__
        _check_units(name, units)
        _check_rate(name, "dropout", dropout)
        _check_rate(name, "recurrent_dropout", recurrent_dropout)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.output_size = self.units
        self._cached_masks = None

    def _mask_count(self):
        # Keras uses one mask per gate once recurrent dropout is on (its `implementation=1`).
        return self.gates if self.recurrent_dropout > 0 else 1

    def dropout_masks(self, step_input, state, training):
        """Returns `(input_masks, recurrent_masks)` for one sequence (None when inactive)."""
        if not training:
            return None, None
        count = self._mask_count()
        return (
            _dropout_masks(step_input, self.dropout, count, self.seed),
            _dropout_masks(
                state,
                self.recurrent_dropout,
                count,
                None if self.seed is None else self.seed + count,
            ),
        )

    def _build_kernels(self, input_dim):
        width = self.units * self.gates
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    def _build_bias(self, shape, initializer=None):
        """Adds `bias` of `shape` (None without `use_bias`); `bias_initializer` by default."""
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=shape,
                initializer=self.bias_initializer if initializer is None else initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _input_bias(self):
        if self.bias is None:
            return None
        return cast_to_compute(self.bias, self.compute_dtype)

    def project_inputs(self, sequences, input_masks=None):
        """Applies the input kernel and input bias to time-major `(time, batch, features)`."""
        kernel = cast_to_compute(self.kernel, self.compute_dtype)
        return _project_sequence(sequences, kernel, self._input_bias(), input_masks, self.gates)

    def call(self, inputs, states, training=None):
        if not isinstance(states, (list, tuple)):
            states = [states]
        if self._cached_masks is not None:
            input_masks, recurrent_masks = self._cached_masks
        else:
            input_masks, recurrent_masks = self.dropout_masks(inputs, states[0], training)
        projected = self.project_inputs(inputs[None], input_masks)[0]
        return self.make_step(recurrent_masks)(projected, list(states))

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [tf.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "recurrent_regularizer": serialize_keras_object(self.recurrent_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "recurrent_constraint": serialize_keras_object(self.recurrent_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


@register_builtin
class SimpleRNNCell(_FusedCell):
    """The cell of `SimpleRNN`: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + b)`.

    Args:
        units: positive int, the size of the output and state.
        activation: activation function, `tanh` by default.
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections.
        dropout: fraction of the inputs dropped in training (one mask per sequence).
        recurrent_dropout: fraction of the recurrent state dropped in training.
        seed: int seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)`; states: `[h]`; training: whether dropout is active.

    Example:
        cell = keras.layers.SimpleRNNCell(4)
        layer = keras.layers.RNN(cell)
        layer(np.ones((2, 5, 3))).shape  # (2, 4)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**_init_arguments(locals()), **kwargs)
        self.state_size = self.units

    def _mask_count(self):
        return 1

    def build(self, input_shape):
        self._build_kernels(input_shape[-1])
        self._build_bias((self.units,))
        self.built = True

    def make_step(self, recurrent_masks=None):
        """Returns `step(projected_input, states) -> (output, new_states)`."""
        recurrent_kernel = cast_to_compute(self.recurrent_kernel, self.compute_dtype)
        activation = self.activation

        def step(projected, states):
            output = activation(
                projected + _gated_matmul(states[0], recurrent_kernel, recurrent_masks, 1)
            )
            return output, [output]

        return step


@register_builtin
class LSTMCell(_FusedCell):
    """The cell of `LSTM` (gates in Keras order: input, forget, cell, output).

    Args:
        units: positive int, the size of the output and of each state.
        activation: activation of the cell and output, `tanh` by default.
        recurrent_activation: activation of the gates, `sigmoid` by default.
        use_bias: whether to add a bias.
        unit_forget_bias: whether the forget-gate bias starts at one (then the other biases
            use `bias_initializer`).
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections.
        dropout, recurrent_dropout: fractions dropped in training (masks per sequence).
        seed: int seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)`; states: `[h, c]`; training: whether dropout is active.

    Example:
        layer = keras.layers.RNN(keras.layers.LSTMCell(4))
        layer(np.ones((2, 5, 3))).shape  # (2, 4)
    """

    gates = 4

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            **_init_arguments(locals(), "recurrent_activation", "unit_forget_bias"), **kwargs
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        self._build_kernels(input_shape[-1])
        initializer = self.bias_initializer
        if self.unit_forget_bias:
            units, base = self.units, self.bias_initializer

            def initializer(_, dtype=None):
                return tf.concat(
                    [
                        base((units,), dtype=dtype),
                        tf.ones((units,), dtype=dtype),
                        base((units * 2,), dtype=dtype),
                    ],
                    axis=0,
                )

        self._build_bias((self.units * 4,), initializer)
        self.built = True

    def make_step(self, recurrent_masks=None):
        """Returns `step(projected_input, [h, c]) -> (h, [h, c])`."""
        recurrent_kernel = cast_to_compute(self.recurrent_kernel, self.compute_dtype)
        activation, gate = self.activation, self.recurrent_activation

        def step(projected, states):
            h_tm1, c_tm1 = states
            z = projected + _gated_matmul(h_tm1, recurrent_kernel, recurrent_masks, 4)
            z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)
            c = gate(z_f) * c_tm1 + gate(z_i) * activation(z_c)
            h = gate(z_o) * activation(c)
            return h, [h, c]

        return step

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


@register_builtin
class GRUCell(_FusedCell):
    """The cell of `GRU` (gates in Keras order: update, reset, candidate).

    Args:
        units: positive int, the size of the output and state.
        activation: activation of the candidate, `tanh` by default.
        recurrent_activation: activation of the gates, `sigmoid` by default.
        use_bias: whether to add biases.
        reset_after: apply the reset gate after the recurrent matmul (Keras 3 and cuDNN
            default); the bias then has shape `(2, 3 * units)`: input and recurrent biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: projections.
        dropout, recurrent_dropout: fractions dropped in training (masks per sequence).
        seed: int seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)`; states: `[h]`; training: whether dropout is active.

    Example:
        layer = keras.layers.RNN(keras.layers.GRUCell(4))
        layer(np.ones((2, 5, 3))).shape  # (2, 4)
    """

    gates = 3

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            **_init_arguments(locals(), "recurrent_activation", "reset_after"), **kwargs
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after
        self.state_size = self.units

    def build(self, input_shape):
        self._build_kernels(input_shape[-1])
        self._build_bias((2, 3 * self.units) if self.reset_after else (3 * self.units,))
        self.built = True

    def _input_bias(self):
        bias = super()._input_bias()
        return bias[0] if bias is not None and self.reset_after else bias

    def make_step(self, recurrent_masks=None):
        """Returns `step(projected_input, [h]) -> (h, [h])`."""
        recurrent_kernel = cast_to_compute(self.recurrent_kernel, self.compute_dtype)
        recurrent_bias = None
        if self.bias is not None and self.reset_after:
            recurrent_bias = cast_to_compute(self.bias, self.compute_dtype)[1]
        activation, gate, units = self.activation, self.recurrent_activation, self.units
        reset_after = self.reset_after
        masks = recurrent_masks or [None]
        mask_z, mask_r, mask_h = masks if len(masks) == 3 else masks * 3

        def masked(h, mask):
            return h if mask is None else h * mask

        def step(projected, states):
            h_tm1 = states[0]
            x_z, x_r, x_h = tf.split(projected, 3, axis=-1)
            if reset_after:
                inner = _gated_matmul(h_tm1, recurrent_kernel, recurrent_masks, 3)
                if recurrent_bias is not None:
                    inner = inner + recurrent_bias
                r_z, r_r, r_h = tf.split(inner, 3, axis=-1)
                z = gate(x_z + r_z)
                r = gate(x_r + r_r)
                candidate = activation(x_h + r * r_h)
            else:
                z = gate(x_z + tf.matmul(masked(h_tm1, mask_z), recurrent_kernel[:, :units]))
                r = gate(
                    x_r + tf.matmul(masked(h_tm1, mask_r), recurrent_kernel[:, units : 2 * units])
                )
                candidate = activation(
                    x_h + tf.matmul(r * masked(h_tm1, mask_h), recurrent_kernel[:, 2 * units :])
                )
            h = z * h_tm1 + (1 - z) * candidate
            return h, [h]

        return step

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }


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
            _check_cell(cell)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        return [_initial_state(cell, batch_size, self.compute_dtype) for cell in self.cells]

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(tuple(input_shape))
            input_shape = (batch, _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if is_list else [cell_states]
            inputs, cell_states = _call_cell(cell, inputs, cell_states, training)
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


def _check_cell(cell):
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell!r}")
    if getattr(cell, "state_size", None) is None:
        raise ValueError(
            "The RNN cell should have a `state_size` attribute (an int, or a list of ints, one "
            f"per state). Received: cell={cell!r}"
        )


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def _initial_state(cell, batch_size, dtype):
    get_initial_state = getattr(cell, "get_initial_state", None)
    if get_initial_state is not None:
        state = get_initial_state(batch_size=batch_size)
        return list(state) if isinstance(state, (list, tuple)) else [state]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [tf.zeros((batch_size, size), dtype=dtype) for size in sizes]


def _call_cell(cell, inputs, states, training):
    if isinstance(cell, Layer):
        if cell._call_takes_training:
            return cell(inputs, states, training=training)
        return cell(inputs, states)
    return cell.call(inputs, states)


def _set_cached_masks(cell, step_input, states, training, batch_size):
    """Fixes the dropout masks of built-in cells (also inside stacks) for one sequence."""
    if isinstance(cell, _FusedCell):
        first = tf.nest.flatten(states)[0]
        cell._cached_masks = cell.dropout_masks(step_input, first, training)
        return
    if isinstance(cell, StackedRNNCells):
        for inner, inner_states in zip(cell.cells, states):
            _set_cached_masks(inner, step_input, inner_states, training, batch_size)
            step_input = tf.zeros((batch_size, _output_size(inner)), dtype=step_input.dtype)


def _clear_cached_masks(cell):
    if isinstance(cell, _FusedCell):
        cell._cached_masks = None
    elif isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            _clear_cached_masks(inner)


def _several_shapes(shapes):
    """The shapes of a layer's several outputs, as a list of `tf.TensorShape`: a shape is then
    one leaf for `tf.nest`, where a tuple would be taken apart into its dimensions."""
    return [tf.TensorShape(shape) for shape in shapes]


def _run_loop(
    step,
    inputs,
    initial_states,
    mask,
    output_size,
    go_backwards,
    unroll,
    zero_output_for_mask,
    return_sequences,
):
    """Iterates `step(input_t, states) -> (output, new_states)` over time-major `inputs`.

    Masked steps (`mask` time-major, `(time, batch)` bool) keep the previous states and emit the
    previous output (zeros with `zero_output_for_mask`), as Keras does.

    Returns:
        `(last_output, outputs, final_states)`; `outputs` is time-major, or None unless
        `return_sequences`.
    """
    if go_backwards:
        inputs = tf.reverse(inputs, [0])
        if mask is not None:
            mask = tf.reverse(mask, [0])
    batch = tf.shape(inputs)[1]
    dtype = inputs.dtype
    flat_initial = tf.nest.flatten(initial_states)
    zero_output = tf.zeros((batch, output_size), dtype=flat_initial[0].dtype)

    def advance(input_t, mask_t, prev_output, flat_states):
        states = tf.nest.pack_sequence_as(initial_states, flat_states)
        output, new_states = step(input_t, states)
        flat_new = tf.nest.flatten(new_states)
        if mask_t is not None:
            keep = mask_t[:, None]
            output = tf.where(keep, output, zero_output if zero_output_for_mask else prev_output)
            flat_new = [tf.where(keep, new, old) for new, old in zip(flat_new, flat_states)]
        return output, flat_new

    if unroll:
        inputs_list = tf.unstack(inputs)
        masks_list = tf.unstack(mask) if mask is not None else [None] * len(inputs_list)
        output, flat_states, outputs = zero_output, flat_initial, []
        for input_t, mask_t in zip(inputs_list, masks_list):
            output, flat_states = advance(input_t, mask_t, output, flat_states)
            outputs.append(output)
        stacked = tf.stack(outputs) if return_sequences else None
        return output, stacked, tf.nest.pack_sequence_as(initial_states, flat_states)

    steps = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
    input_ta = tf.TensorArray(dtype, size=steps).unstack(inputs)
    mask_ta = None
    if mask is not None:
        mask_ta = tf.TensorArray(tf.bool, size=steps).unstack(mask)
    # Without `return_sequences` no output array is kept; a scalar holds its loop slot.
    output_ta = tf.constant(0)
    if return_sequences:
        output_ta = tf.TensorArray(
            zero_output.dtype, size=steps, element_shape=tf.TensorShape([None, output_size])
        )

    def body(time, output_ta, prev_output, *flat_states):
        mask_t = mask_ta.read(time) if mask_ta is not None else None
        output, flat_new = advance(input_ta.read(time), mask_t, prev_output, list(flat_states))
        if return_sequences:
            output_ta = output_ta.write(time, output)
        return (time + 1, output_ta, output, *flat_new)

    results = tf.while_loop(
        lambda time, *_: time < steps,
        body,
        (tf.constant(0), output_ta, zero_output, *flat_initial),
        maximum_iterations=steps,
    )
    outputs = results[1].stack() if return_sequences else None
    final_states = tf.nest.pack_sequence_as(initial_states, list(results[3:]))
    return results[2], outputs, final_states


@register_builtin
class RNN(Layer):
    """Runs a cell over the time axis of a sequence.

    Args:
        cell: an RNN cell (a layer with `call(inputs, states)` and `state_size`), or a list of
            cells (stacked).
        return_sequences: return the whole output sequence rather than the last output.
        return_state: also return the final states.
        go_backwards: process the sequence in reverse (the returned sequence is reversed).
        stateful: carry the final states of a batch over as the initial states of the next
            (needs a fixed batch size; `reset_states()` sets them back to zeros).
        unroll: unroll the loop in Python (static number of timesteps only).
        zero_output_for_mask: emit zeros rather than the previous output at masked steps.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: list of initial state tensors, zeros when omitted.
        mask: `(batch, timesteps)` bool, False for timesteps to skip.
        training: whether dropout is active.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`; followed by
        the final states with `return_state`.

    Example:
        layer = keras.layers.RNN(keras.layers.LSTMCell(4), return_sequences=True)
        layer(np.ones((2, 5, 3))).shape  # (2, 5, 4)
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        activity_regularizer=None,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self.states = None
        state_size = cell.state_size
        self.single_state = isinstance(state_size, (int, np.integer))
        self.state_size = [state_size] if self.single_state else list(state_size)

    def _check_unroll(self, steps):
        if self.unroll and steps is None:
            raise ValueError(
                "Cannot unroll an RNN if the time dimension is undefined. Give the number of "
                "timesteps in the `shape` of `Input()`, or pass `unroll=False`."
            )

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        self._check_unroll(sequences_shape[1])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build((sequences_shape[0], *sequences_shape[2:]))
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError(
                    "When using `stateful=True` in an RNN, the batch size must be static. "
                    f"Received: sequences shape={sequences_shape}. Pass `batch_shape=` to "
                    "`Input` (or `batch_size=` to the first layer)."
                )
            self._create_state_variables(sequences_shape[0])
        self.built = True

    def _create_state_variables(self, batch_size):
        with tf.init_scope():
            self.states = [
                tf.Variable(state, trainable=False, name=f"{self.name}/rnn_state")
                for state in tf.nest.flatten(self.get_initial_state(batch_size))
            ]

    def get_initial_state(self, batch_size):
        """Returns the zero initial states for `batch_size` samples, as a list."""
        return _initial_state(self.cell, batch_size, self.compute_dtype)

    def reset_states(self):
        """Sets the states of a stateful RNN back to zeros."""
        self.reset_state()

    def reset_state(self):
        """Sets the states of a stateful RNN back to zeros."""
        for variable in self.states or []:
            variable.assign(tf.zeros_like(variable))

    def _fused(self):
        # A subclass that overrides `call` gets its own per-step maths.
        return isinstance(self.cell, _FusedCell) and type(self.cell).call is _FusedCell.call

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        self._check_unroll(sequences.shape[1])
        batch_size = tf.shape(sequences)[0]
        initial_state = self._initial_states(initial_state, sequences, batch_size)
        rank = sequences.shape.rank
        time_major = tf.transpose(sequences, [1, 0, *range(2, rank)])
        if mask is not None:
            mask = tf.cast(mask, tf.bool)
            if mask.shape.rank == 3:
                mask = mask[:, :, 0]
            mask = tf.transpose(mask, [1, 0])
        cell = self.cell
        if self._fused():
            first_state = tf.nest.flatten(initial_state)[0]
            input_masks, recurrent_masks = cell.dropout_masks(
                sequences[:, 0], first_state, training
            )
            loop_inputs = cell.project_inputs(time_major, input_masks)
            step = cell.make_step(recurrent_masks)
            state_structure = initial_state
        else:
            _set_cached_masks(cell, sequences[:, 0], initial_state, training, batch_size)
            loop_inputs = time_major
            state_structure = initial_state

            def step(input_t, states):
                output, new_states = _call_cell(cell, input_t, list(states), training)
                if not isinstance(new_states, (list, tuple)):
                    new_states = [new_states]
                return output, list(new_states)

        try:
            last_output, outputs, states = _run_loop(
                step,
                loop_inputs,
                state_structure,
                mask,
                _output_size(cell),
                self.go_backwards,
                self.unroll,
                self.zero_output_for_mask,
                self.return_sequences,
            )
        finally:
            _clear_cached_masks(cell)
        states = tf.nest.flatten(states)
        if self.stateful:
            for variable, state in zip(self.states, states):
                variable.assign(tf.cast(state, variable.dtype))
        if self.return_sequences:
            output = tf.transpose(outputs, [1, 0, *range(2, outputs.shape.rank)])
        else:
            output = last_output
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(output))
        if self.return_state:
            return [output, *states]
        return output

    def _initial_states(self, initial_state, sequences, batch_size):
        structure = self.get_initial_state(1)
        if self.stateful and sequences.shape[0] is not None:
            expected = self.states[0].shape[0]
            if sequences.shape[0] != expected:
                raise ValueError(
                    "A stateful RNN needs the same batch size in every call. Expected batch "
                    f"size {expected}, received: sequences.shape={tuple(sequences.shape)}"
                )
        if initial_state is None:
            if self.stateful:
                states = [variable.value() for variable in self.states]
                return tf.nest.pack_sequence_as(structure, states)
            return self.get_initial_state(batch_size)
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        flat = [tf.cast(s, self.compute_dtype) for s in tf.nest.flatten(initial_state)]
        return tf.nest.pack_sequence_as(structure, flat)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = _output_size(self.cell)
        output_shape = (
            (batch, length, output_size) if self.return_sequences else (batch, output_size)
        )
        if not self.return_state:
            return output_shape
        state_shapes = [(batch, size) for size in tf.nest.flatten(self.state_size)]
        return _several_shapes([output_shape, *state_shapes])

    def compute_mask(self, inputs, previous_mask):
        mask = previous_mask
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(tf.nest.flatten(self.state_size))
        return output_mask

    def _rnn_config(self):
        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = serialize_keras_object(self.activity_regularizer)
        return config

    def get_config(self):
        return {**self._rnn_config(), "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects)
        return cls(cell, **config)


class _BuiltinRNN(RNN):
    """SimpleRNN, LSTM and GRU: an RNN whose config flattens its cell's arguments."""

    _cell_class = None
    _RNN_ARGUMENTS = (
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unroll",
        "activity_regularizer",
    )

    def __init__(self, arguments, kwargs):
        """`arguments`: the subclass's named arguments; those not of `RNN` go to the cell."""
        cell_kwargs = dict(arguments)
        rnn_kwargs = {name: cell_kwargs.pop(name) for name in self._RNN_ARGUMENTS}
        use_cudnn = cell_kwargs.pop("use_cudnn", "auto")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Invalid value received for argument `use_cudnn`. Expected one of "
                f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
            )
        kwargs.pop("implementation", None)
        cell = self._cell_class(
            **cell_kwargs,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name=f"{type(self).__name__.lower().replace('simplernn', 'simple_rnn')}_cell",
        )
        super().__init__(cell, **rnn_kwargs, **kwargs)
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)

    _CELL_ATTRIBUTES = frozenset(
        {
            "units",
            "activation",
            "recurrent_activation",
            "use_bias",
            "unit_forget_bias",
            "reset_after",
            "kernel_initializer",
            "recurrent_initializer",
            "bias_initializer",
            "kernel_regularizer",
            "recurrent_regularizer",
            "bias_regularizer",
            "kernel_constraint",
            "recurrent_constraint",
            "bias_constraint",
            "dropout",
            "recurrent_dropout",
            "seed",
        }
    )

    def __getattr__(self, name):
        # The cell's arguments (`units`, `dropout`, ...) read through, as in Keras.
        if name in self._CELL_ATTRIBUTES and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**self._rnn_config(), **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_builtin
class SimpleRNN(_BuiltinRNN):
    """Fully connected RNN whose output is fed back as its input.

    Args:
        units: positive int, the size of the output.
        activation, use_bias, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed: as `SimpleRNNCell`.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`.

    Example:
        keras.layers.SimpleRNN(4)(np.ones((2, 5, 3))).shape  # (2, 4)
    """

    _cell_class = SimpleRNNCell

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        super().__init__(_init_arguments(locals()), kwargs)


@register_builtin
class LSTM(_BuiltinRNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    Args:
        units: positive int, the size of the output.
        activation, recurrent_activation, use_bias, unit_forget_bias, initializers,
            regularizers, constraints, dropout, recurrent_dropout, seed: as `LSTMCell`.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: accepted for Keras compatibility; the fused loop runs on every device.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`; with
        `return_state`, followed by the final `h` and `c`.

    Example:
        keras.layers.LSTM(4, return_sequences=True)(np.ones((2, 5, 3))).shape  # (2, 5, 4)
    """

    _cell_class = LSTMCell

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        super().__init__(_init_arguments(locals()), kwargs)


@register_builtin
class GRU(_BuiltinRNN):
    """Gated Recurrent Unit layer (Cho et al., 2014), `reset_after=True` as Keras 3 and cuDNN.

    Args:
        units: positive int, the size of the output.
        activation, recurrent_activation, use_bias, reset_after, initializers, regularizers,
            constraints, dropout, recurrent_dropout, seed: as `GRUCell`.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: accepted for Keras compatibility; the fused loop runs on every device.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`.

    Example:
        keras.layers.GRU(4)(np.ones((2, 5, 3))).shape  # (2, 4)
    """

    _cell_class = GRUCell

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        super().__init__(_init_arguments(locals()), kwargs)


def _clone_layer(layer, name, go_backwards=None):
    config = copy.deepcopy(layer.get_config())
    config["name"] = name
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    return type(layer).from_config(config)


def _strip_prefix(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


@register_builtin
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    Args:
        layer: an RNN layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`) to run forwards; it is
            copied (weights are not shared with `layer`).
        merge_mode: `"concat"` (default), `"sum"`, `"mul"`, `"ave"`, or None for a list
            `[forward, backward]`.
        backward_layer: optional layer for the backward direction (`go_backwards=True`),
            otherwise a copy of `layer` going backwards.

    Call arguments:
        sequences, initial_state (forward states then backward states), mask, training.

    Example:
        layer = keras.layers.Bidirectional(keras.layers.LSTM(4))
        layer(np.ones((2, 5, 3))).shape  # (2, 8)
    """

    _MERGE_MODES = ("sum", "mul", "ave", "concat", None)

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a layer instance. "
                f"Received: layer={layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` needs to be a layer instance. "
                f"Received: backward_layer={backward_layer!r}"
            )
        if merge_mode not in self._MERGE_MODES:
            raise ValueError(
                "Invalid merge mode: expected one of {'sum', 'mul', 'ave', 'concat', None}. "
                f"Received: merge_mode={merge_mode!r}"
            )
        super().__init__(**kwargs)
        self.forward_layer = _clone_layer(layer, f"forward_{_strip_prefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _clone_layer(
                layer,
                f"backward_{_strip_prefix(layer.name, 'backward_')}",
                go_backwards=not layer.go_backwards,
            )
        self.backward_layer = backward_layer
        self._verify_layer_config()
        for direction in (self.forward_layer, self.backward_layer):
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` "
                f"values. Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            forward_value = getattr(forward, attribute)
            backward_value = getattr(backward, attribute)
            if forward_value != backward_value:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f"attribute `{attribute}`. Received: {forward_value} for the forward layer "
                    f"and {backward_value} for the backward layer."
                )

    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._maybe_build(tuple(sequences_shape))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs = {"training": training, "mask": mask}
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, [1])
        if self.merge_mode == "concat":
            output = tf.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            head = output if self.merge_mode is None else [output]
            return [*head, *states]
        return output

    def reset_states(self):
        """Resets the states of both directions of a stateful layer."""
        self.reset_state()

    def reset_state(self):
        """Resets the states of both directions of a stateful layer."""
        if not self.stateful:
            raise AttributeError(
                f"Layer '{self.name}' is not stateful; only a Bidirectional layer wrapping a "
                "stateful RNN has states to reset."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        state_shapes = []
        if self.return_state:
            output_shape, state_shapes = output_shape[0], list(output_shape[1:])
        if self.merge_mode == "concat":
            last = None if output_shape[-1] is None else output_shape[-1] * 2
            output_shape = (*output_shape[:-1], last)
        if self.merge_mode is None:
            head = [tuple(output_shape), tuple(output_shape)]
        else:
            head = [tuple(output_shape)]
        if self.return_state:
            return _several_shapes([*head, *state_shapes, *state_shapes])
        return _several_shapes(head) if self.merge_mode is None else head[0]

    def compute_mask(self, inputs, previous_mask):
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        output_mask = mask if self.return_sequences else None
        head = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            count = len(tf.nest.flatten(self.forward_layer.state_size)) * 2
            return [*head, *([None] * count)]
        return head if self.merge_mode is None else output_mask

    def get_config(self):
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = deserialize_keras_object(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_keras_object(
                config["backward_layer"], custom_objects
            )
        return cls(**config)


@register_builtin
class TimeDistributed(Layer):
    """Applies a layer to every timestep of its input independently.

    Args:
        layer: the layer to apply to each `(batch, ...)` slice of `(batch, timesteps, ...)`.

    Example:
        layer = keras.layers.TimeDistributed(keras.layers.Dense(4))
        layer(np.ones((2, 5, 3))).shape  # (2, 5, 4)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a layer instance. "
                f"Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` layer should be passed an `input_shape` with at least 3 "
                f"dimensions. Received: input_shape={input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._maybe_build(self._child_input_shape(tuple(input_shape)))
        self.built = True

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_input_shape(tuple(input_shape)))
        return (child[0], input_shape[1], *child[1:])

    def call(self, inputs, training=None, mask=None):
        # Folding time into the batch runs the layer once: the same maths as once per step.
        shape = tf.shape(inputs)
        batch, steps = shape[0], shape[1]
        folded = tf.reshape(inputs, tf.concat([[-1], shape[2:]], axis=0))
        folded.set_shape((None, *inputs.shape[2:]))
        kwargs = {}
        if self.layer._call_takes_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_takes_mask:
            kwargs["mask"] = tf.reshape(mask, tf.concat([[-1], tf.shape(mask)[2:]], axis=0))
        outputs = self.layer(folded, **kwargs)
        out_shape = tf.shape(outputs)
        unfolded = tf.reshape(outputs, tf.concat([[batch, steps], out_shape[1:]], axis=0))
        unfolded.set_shape((inputs.shape[0], inputs.shape[1], *outputs.shape[1:]))
        return unfolded

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects)
        return cls(layer, **config)
