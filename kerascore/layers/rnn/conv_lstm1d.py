"""`ConvLSTM1D`: a convolutional LSTM over sequences of 1D inputs."""

from kerascore.layers.rnn.conv_lstm import ConvLSTM
from kerascore.saving.serialization import register_builtin


@register_builtin
class ConvLSTM1D(ConvLSTM):
    """A convolutional LSTM over `(batch, time, steps, channels)` inputs (`ConvLSTM` with
    rank 1); see `ConvLSTM` for the arguments.

    Example:
        layer = keras.layers.ConvLSTM1D(4, 3, padding="same", return_sequences=True)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(1, filters, kernel_size, **kwargs)
