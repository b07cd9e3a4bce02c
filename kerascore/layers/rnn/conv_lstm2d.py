"""`ConvLSTM2D`: a convolutional LSTM over sequences of 2D inputs."""

from kerascore.layers.rnn.conv_lstm import ConvLSTM
from kerascore.saving.serialization import register_builtin


@register_builtin
class ConvLSTM2D(ConvLSTM):
    """A convolutional LSTM over `(batch, time, rows, cols, channels)` inputs (`ConvLSTM` with
    rank 2); see `ConvLSTM` for the arguments.

    Example:
        layer = keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(2, filters, kernel_size, **kwargs)
