"""`AdaptiveAveragePooling1D/2D/3D`: averages over a fixed number of windows per axis."""

import tensorflow as tf

from kerascore.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling
from kerascore.saving.serialization import register_builtin


class _AdaptiveAveragePooling(BaseAdaptivePooling):
    reduce = staticmethod(tf.reduce_mean)


@register_builtin
class AdaptiveAveragePooling1D(_AdaptiveAveragePooling):
    """Averages `(batch, steps, channels)` inputs into `output_size` windows of steps.

    Window `i` of `n` over length `L` spans `floor(i L / n)` to `ceil((i + 1) L / n)`, as in
    Keras 3 and PyTorch.

    Args:
        output_size: the number of output steps.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        keras.layers.AdaptiveAveragePooling1D(2)(np.arange(5.0).reshape(1, 5, 1))
        # [[[1.], [3.]]]
    """

    rank = 1


@register_builtin
class AdaptiveAveragePooling2D(_AdaptiveAveragePooling):
    """Averages images into an `output_size = (height, width)` grid of windows.

    Args:
        output_size: an int or a `(height, width)` pair.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    rank = 2


@register_builtin
class AdaptiveAveragePooling3D(_AdaptiveAveragePooling):
    """Averages volumes into an `output_size = (depth, height, width)` grid of windows.

    Args:
        output_size: an int or a `(depth, height, width)` triple.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    rank = 3
