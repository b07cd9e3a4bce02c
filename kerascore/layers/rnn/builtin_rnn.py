"""`BuiltinRNN`: the base of SimpleRNN, LSTM and GRU (a fused cell run by `RNN`)."""

import tensorflow as tf

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.rnn.rnn import RNN


class BuiltinRNN(RNN):
    """SimpleRNN, LSTM and GRU: an RNN whose config flattens its cell's arguments.

    A subclass with a whole-sequence kernel (LSTM's `BlockLSTM`) overrides
    `_sequence_kernel_applies` and `_run_sequence_kernel`; `call` then runs that kernel instead
    of the per-step loop of `RNN` whenever the layer's arguments allow it.
    """

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

    def _sequence_kernel_applies(self, sequences):
        """Whether `_run_sequence_kernel` computes this call (mask-free) exactly."""
        return False

    def _run_sequence_kernel(self, time_major, initial_states):
        """Runs the whole time-major sequence; returns `(outputs, final_states)`."""
        raise NotImplementedError(f"{type(self).__name__} has no whole-sequence kernel.")

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None or not self._sequence_kernel_applies(sequences):
            return super().call(sequences, initial_state, mask=mask, training=training)
        batch_size = tf.shape(sequences)[0]
        initial_states = tf.nest.flatten(self._initial_states(initial_state, sequences, batch_size))
        input_masks, _ = self.cell.dropout_masks(sequences[:, 0], initial_states[0], training)
        if input_masks is not None:
            # One mask per sample, shared by every timestep, as in the per-step loop.
            sequences = sequences * input_masks[0][:, None]
        time_major = tf.transpose(sequences, [1, 0, 2])
        if self.go_backwards:
            time_major = tf.reverse(time_major, [0])
        outputs, states = self._run_sequence_kernel(time_major, initial_states)
        if self.stateful:
            for variable, state in zip(self.states, states):
                variable.assign(tf.cast(state, variable.dtype))
        output = tf.transpose(outputs, [1, 0, 2]) if self.return_sequences else outputs[-1]
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(output))
        if self.return_state:
            return [output, *states]
        return output

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
