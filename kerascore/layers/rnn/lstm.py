"""`LSTMCell` and `LSTM`: long short-term memory."""

import tensorflow as tf

from kerascore import activations
from kerascore.layers.layer import cast_to_compute
from kerascore.layers.rnn.builtin_rnn import BuiltinRNN
from kerascore.layers.rnn.fused_cell import FusedCell, gated_matmul, init_arguments
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin
class LSTMCell(FusedCell):
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
            **init_arguments(locals(), "recurrent_activation", "unit_forget_bias"), **kwargs
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
            z = projected + gated_matmul(h_tm1, recurrent_kernel, recurrent_masks, 4)
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


def _keras_to_block_gate_order(weights):
    """Reorders the gate columns of `weights` from Keras's [i, f, c, o] to `BlockLSTM`'s
    [i, c, f, o]."""
    input_gate, forget_gate, cell_gate, output_gate = tf.split(weights, 4, axis=-1)
    return tf.concat([input_gate, cell_gate, forget_gate, output_gate], axis=-1)


def block_lstm(sequences, initial_h, initial_c, kernel, recurrent_kernel, bias):
    """Runs a Keras LSTM (tanh activation, sigmoid gates) over a whole sequence in TensorFlow's
    fused `BlockLSTM` kernel, which has its own fused gradient.

    `BlockLSTMV2` (Keras's gate order) is not used: its registered gradient reads the gates in
    `BlockLSTM`'s order and is wrong.

    Args:
        sequences: time-major inputs `(time, batch, features)`, float32 or float16.
        initial_h, initial_c: the initial states `(batch, units)`.
        kernel, recurrent_kernel, bias: Keras-layout weights (gates [i, f, c, o]) of shapes
            `(features, 4 * units)`, `(units, 4 * units)` and `(4 * units,)`.

    Returns:
        `(h, c)`: the outputs and cell states of every step, time-major `(time, batch, units)`.
    """
    units = initial_h.shape[-1]
    no_peephole = tf.zeros((units,), dtype=sequences.dtype)
    result = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(sequences)[0], tf.int64),
        x=sequences,
        cs_prev=initial_c,
        h_prev=initial_h,
        w=_keras_to_block_gate_order(tf.concat([kernel, recurrent_kernel], axis=0)),
        wci=no_peephole,
        wcf=no_peephole,
        wco=no_peephole,
        b=_keras_to_block_gate_order(bias),
        forget_bias=0.0,
        cell_clip=-1.0,  # negative: no clipping
        use_peephole=False,
    )
    return result.h, result.cs


@register_builtin
class LSTM(BuiltinRNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    Args:
        units: positive int, the size of the output.
        activation, recurrent_activation, use_bias, unit_forget_bias, initializers,
            regularizers, constraints, dropout, recurrent_dropout, seed: as `LSTMCell`.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: `"auto"` or True runs the layer through TensorFlow's fused `BlockLSTM`
            kernel (no per-step loop) when no GPU is visible and the arguments allow it: tanh
            and sigmoid activations, no recurrent dropout, no unrolling and no mask (Keras's
            cuDNN conditions, less `use_bias`); otherwise, or with False, the per-step loop
            runs.

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
        super().__init__(init_arguments(locals()), kwargs)

    def _sequence_kernel_applies(self, sequences):
        cell = self.cell
        return (
            self.use_cudnn is not False
            and not self.unroll
            and sequences.shape.rank == 3
            and sequences.shape[1] != 0
            and sequences.dtype == self.compute_dtype
            and self.compute_dtype in ("float32", "float16")
            # The per-step maths of a subclass of the cell would not be the kernel's.
            and type(cell).make_step is LSTMCell.make_step
            and type(cell).project_inputs is FusedCell.project_inputs
            and type(cell).call is FusedCell.call
            and cell.activation is activations.tanh
            and cell.recurrent_activation is activations.sigmoid
            and cell.recurrent_dropout == 0
            # Measured and tested on CPU only; a GPU keeps the loop (its fused kernel is cuDNN).
            and not tf.config.list_logical_devices("GPU")
        )

    def _run_sequence_kernel(self, time_major, initial_states):
        cell = self.cell
        dtype = self.compute_dtype
        bias = cell._input_bias()
        if bias is None:
            bias = tf.zeros((4 * cell.units,), dtype=dtype)
        h, c = block_lstm(
            time_major,
            *initial_states,
            cast_to_compute(cell.kernel, dtype),
            cast_to_compute(cell.recurrent_kernel, dtype),
            bias,
        )
        return h, [h[-1], c[-1]]
