"""`GRUCell` and `GRU`: gated recurrent unit."""

import tensorflow as tf

from kerascore import activations
from kerascore.layers.layer import cast_to_compute
from kerascore.layers.rnn.builtin_rnn import BuiltinRNN
from kerascore.layers.rnn.cudnn import CudnnRNN, cudnn_gru
from kerascore.layers.rnn.fused_cell import FusedCell, gated_matmul, init_arguments
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin
class GRUCell(FusedCell):
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
            **init_arguments(locals(), "recurrent_activation", "reset_after"), **kwargs
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

    def make_step(self, recurrent_masks=None, input_masks=None):
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
                inner = gated_matmul(h_tm1, recurrent_kernel, recurrent_masks, 3)
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
class GRU(CudnnRNN, BuiltinRNN):
    """Gated Recurrent Unit layer (Cho et al., 2014), `reset_after=True` as Keras 3 and cuDNN.

    Args:
        units: positive int, the size of the output.
        activation, recurrent_activation, use_bias, reset_after, initializers, regularizers,
            constraints, dropout, recurrent_dropout, seed: as `GRUCell`.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: `"auto"` runs the cuDNN kernel where it can (a visible GPU, no XLA, tanh
            and sigmoid activations, a bias, no recurrent dropout, no unrolling and
            `reset_after=True`; a mask right-padded) and the loop elsewhere, as Keras does;
            True raises where cuDNN cannot run; False always runs the loop.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`.

    Example:
        keras.layers.GRU(4)(np.ones((2, 5, 3))).shape  # (2, 4)
    """

    _cell_class = GRUCell
    _cudnn_cell_class = GRUCell
    _cudnn_kernel = staticmethod(cudnn_gru)

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
        super().__init__(init_arguments(locals()), kwargs)

    def get_config(self):
        return {**super().get_config(), "use_cudnn": self.use_cudnn}
