"""`SimpleRNNCell` and `SimpleRNN`: the fully connected recurrent layer."""

from kerascore.layers.layer import cast_to_compute
from kerascore.layers.rnn.builtin_rnn import BuiltinRNN
from kerascore.layers.rnn.fused_cell import FusedCell, gated_matmul, init_arguments
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin
class SimpleRNNCell(FusedCell):
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
        super().__init__(**init_arguments(locals()), **kwargs)
        self.state_size = self.units

    def _mask_count(self):
        return 1

    def build(self, input_shape):
        self._build_kernels(input_shape[-1])
        self._build_bias((self.units,))
        self.built = True

    def make_step(self, recurrent_masks=None, input_masks=None):
        """Returns `step(projected_input, states) -> (output, new_states)`."""
        recurrent_kernel = cast_to_compute(self.recurrent_kernel, self.compute_dtype)
        activation = self.activation

        def step(projected, states):
            output = activation(
                projected + gated_matmul(states[0], recurrent_kernel, recurrent_masks, 1)
            )
            return output, [output]

        return step


@register_builtin
class SimpleRNN(BuiltinRNN):
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
        super().__init__(init_arguments(locals()), kwargs)
