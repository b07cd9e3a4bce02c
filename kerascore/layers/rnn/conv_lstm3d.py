"""`ConvLSTM3D`: a convolutional LSTM over sequences of 3D inputs."""

from kerascore.layers.rnn.conv_lstm import ConvLSTM
from kerascore.saving.serialization import register_builtin


@register_builtin
class ConvLSTM3D(ConvLSTM):
    """A convolutional LSTM over `(batch, time, depth, rows, cols, channels)` inputs
    (`ConvLSTM` with rank 3); see `ConvLSTM` for the arguments.

    Example:
        layer = keras.layers.ConvLSTM3D(4, 3, padding="same", return_sequences=True)
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(3, filters, kernel_size, **kwargs)
