"""The time loop of `RNN`, and the dropout masks fixed once per sequence."""

import tensorflow as tf

from kerascore.layers.rnn.cell_utils import cell_output_size
from kerascore.layers.rnn.fused_cell import FusedCell
from kerascore.layers.rnn.stacked_rnn_cells import StackedRNNCells


def set_cached_masks(cell, step_input, states, training, batch_size):
    """Fixes the dropout masks of built-in cells (also inside stacks) for one sequence."""
    if isinstance(cell, FusedCell):
        first = tf.nest.flatten(states)[0]
        cell._cached_masks = cell.dropout_masks(step_input, first, training)
        return
    if isinstance(cell, StackedRNNCells):
        for inner, inner_states in zip(cell.cells, states):
            set_cached_masks(inner, step_input, inner_states, training, batch_size)
            step_input = tf.zeros((batch_size, cell_output_size(inner)), dtype=step_input.dtype)


def clear_cached_masks(cell):
    if isinstance(cell, FusedCell):
        cell._cached_masks = None
    elif isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            clear_cached_masks(inner)


def run_loop(
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
