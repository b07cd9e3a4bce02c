"""`AdaptiveMaxPooling1D/2D/3D`: takes the maximum over a fixed number of windows per axis."""

import tensorflow as tf

from kerascore.layers.pooling.base_adaptive_pooling import BaseAdaptivePooling
from kerascore.saving.serialization import register_builtin


class _AdaptiveMaxPooling(BaseAdaptivePooling):
    reduce = staticmethod(tf.reduce_max)


@register_builtin
class AdaptiveMaxPooling1D(_AdaptiveMaxPooling):
    """Takes the maximum of `(batch, steps, channels)` inputs into `output_size` windows of steps.

    Window `i` of `n` over length `L` spans `floor(i L / n)` to `ceil((i + 1) L / n)`, as in
    Keras 3 and PyTorch.

    Args:
        output_size: the number of output steps.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        keras.layers.AdaptiveMaxPooling1D(2)(np.arange(5.0).reshape(1, 5, 1))
        # [[[2.], [4.]]]
    """

    rank = 1


@register_builtin
class AdaptiveMaxPooling2D(_AdaptiveMaxPooling):
    """Takes the maximum of images into an `output_size = (height, width)` grid of windows.

    Args:
        output_size: an int or a `(height, width)` pair.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    rank = 2


@register_builtin
class AdaptiveMaxPooling3D(_AdaptiveMaxPooling):
    """Takes the maximum of volumes into an `output_size = (depth, height, width)` grid of windows.

    Args:
        output_size: an int or a `(depth, height, width)` triple.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    rank = 3
