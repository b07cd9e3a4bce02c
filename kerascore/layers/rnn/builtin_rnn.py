"""`BuiltinRNN`: the base of SimpleRNN, LSTM and GRU (a fused cell run by `RNN`)."""

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.rnn.rnn import RNN


class BuiltinRNN(RNN):
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
