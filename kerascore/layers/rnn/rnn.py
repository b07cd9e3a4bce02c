"""`RNN`: runs a cell over a sequence."""

import numpy as np
import tensorflow as tf

from kerascore import regularizers
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.layers.rnn.cell_utils import (
    call_cell,
    cell_initial_state,
    cell_output_size,
    check_cell,
    several_shapes,
)
from kerascore.layers.rnn.fused_cell import FusedCell
from kerascore.layers.rnn.rnn_loop import clear_cached_masks, run_loop, set_cached_masks
from kerascore.layers.rnn.stacked_rnn_cells import StackedRNNCells
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


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
        check_cell(cell)
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
        return cell_initial_state(self.cell, batch_size, self.compute_dtype)

    def reset_states(self):
        """Sets the states of a stateful RNN back to zeros."""
        self.reset_state()

    def reset_state(self):
        """Sets the states of a stateful RNN back to zeros."""
        for variable in self.states or []:
            variable.assign(tf.zeros_like(variable))

    def _fused(self):
        # A subclass that overrides `call` gets its own per-step maths.
        return isinstance(self.cell, FusedCell) and type(self.cell).call is FusedCell.call

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
            step = cell.make_step(recurrent_masks, input_masks)
            state_structure = initial_state
        else:
            set_cached_masks(cell, sequences[:, 0], initial_state, training, batch_size)
            loop_inputs = time_major
            state_structure = initial_state

            def step(input_t, states):
                output, new_states = call_cell(cell, input_t, list(states), training)
                if not isinstance(new_states, (list, tuple)):
                    new_states = [new_states]
                return output, list(new_states)

        try:
            last_output, outputs, states = run_loop(
                step,
                loop_inputs,
                state_structure,
                mask,
                cell_output_size(cell),
                self.go_backwards,
                self.unroll,
                self.zero_output_for_mask,
                self.return_sequences,
            )
        finally:
            clear_cached_masks(cell)
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
        output_size = cell_output_size(self.cell)
        output_shape = (
            (batch, length, output_size) if self.return_sequences else (batch, output_size)
        )
        if not self.return_state:
            return output_shape
        state_shapes = [(batch, size) for size in tf.nest.flatten(self.state_size)]
        return several_shapes([output_shape, *state_shapes])

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
