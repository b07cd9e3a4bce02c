"""`LSTMCell` and `LSTM`: long short-term memory."""

import tensorflow as tf

from kerascore import activations
from kerascore.layers.layer import cast_to_compute
from kerascore.layers.rnn.builtin_rnn import BuiltinRNN
from kerascore.layers.rnn.cudnn import CudnnRNN, cudnn_lstm
from kerascore.layers.rnn.fused_cell import FusedCell, init_arguments
from kerascore.saving.serialization import (
    register_builtin,
)


def _per_gate(masks):
    """Four dropout masks, one per gate (None where dropout is off)."""
    if masks is None:
        return [None] * 4
    return list(masks) * 4 if len(masks) == 1 else list(masks)


def _masked(inputs, mask):
    return inputs if mask is None else inputs * mask


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

    def project_inputs(self, sequences, input_masks=None):
        """Returns `sequences` as they are: the step applies the input kernel gate by gate."""
        return sequences

    def make_step(self, recurrent_masks=None, input_masks=None):
        """Returns `step(inputs, [h, c]) -> (h, [h, c])`.

        Each gate has its own matmuls on column slices of the kernels: splitting one `z` of
        all four gates (and concatenating their gradients) costs more on CPU than the matmuls
        it saves.
        """
        dtype = self.compute_dtype
        kernels = tf.split(cast_to_compute(self.kernel, dtype), 4, axis=-1)
        recurrent_kernels = tf.split(cast_to_compute(self.recurrent_kernel, dtype), 4, axis=-1)
        biases = [None] * 4
        if self.bias is not None:
            biases = tf.split(cast_to_compute(self.bias, dtype), 4)
        input_masks = _per_gate(input_masks)
        recurrent_masks = _per_gate(recurrent_masks)
        activation, gate = self.activation, self.recurrent_activation

        def pre_activation(index, x_t, h_tm1):
            z = tf.matmul(_masked(x_t, input_masks[index]), kernels[index])
            if biases[index] is not None:
                z = tf.nn.bias_add(z, biases[index])
            return z + tf.matmul(_masked(h_tm1, recurrent_masks[index]), recurrent_kernels[index])

        def step(x_t, states):
            h_tm1, c_tm1 = states
            z_i, z_f, z_c, z_o = (pre_activation(index, x_t, h_tm1) for index in range(4))
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
class LSTM(CudnnRNN, BuiltinRNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    Args:
        units: positive int, the size of the output.
        activation, recurrent_activation, use_bias, unit_forget_bias, initializers,
            regularizers, constraints, dropout, recurrent_dropout, seed: as `LSTMCell`.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: `"auto"` runs the cuDNN kernel where it can (a visible GPU, no XLA, tanh
            and sigmoid activations, a bias, no recurrent dropout, no unrolling; a mask
            right-padded) and the loop elsewhere, as Keras does; True raises where cuDNN
            cannot run; False always runs the loop.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`; with
        `return_state`, followed by the final `h` and `c`.

    Example:
        keras.layers.LSTM(4, return_sequences=True)(np.ones((2, 5, 3))).shape  # (2, 5, 4)
    """

    _cell_class = LSTMCell
    _cudnn_cell_class = LSTMCell
    _cudnn_kernel = staticmethod(cudnn_lstm)

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

    def get_config(self):
        return {**super().get_config(), "use_cudnn": self.use_cudnn}
