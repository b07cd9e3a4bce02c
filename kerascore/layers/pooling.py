"""Pooling layers: max and average pooling over windows, and global pooling over all steps.

Like the convolutions, pooling runs in `channels_last` layout; `channels_first` inputs are
transposed in and out.
"""

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
]

import tensorflow as tf

from kerascore.layers.conv import (
    TF_FORMATS,
    assemble_shape,
    conv_output_length,
    rank_signature,
    spatial_and_channels,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
    to_channels_first,
    to_channels_last,
)
from kerascore.models.layer import InputSpec, Layer
from kerascore.saving.serialization import register_builtin


class _Pooling(Layer):
    """Max or average over windows of `pool_size` moved by `strides` over the spatial axes.

    Subclasses set `rank`, the number of spatial axes, and `pool_mode`.
    """

    rank = None
    pool_mode = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__signature__ = rank_signature(cls, ("pool_size",))

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        rank = self.rank
        self.pool_size = standardize_tuple(pool_size, rank, "pool_size")
        self.strides = standardize_tuple(pool_size if strides is None else strides, rank, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first":
            inputs = to_channels_last(inputs)
        pool = tf.nn.max_pool if self.pool_mode == "max" else tf.nn.avg_pool
        outputs = pool(
            inputs,
            ksize=self.pool_size,
            strides=self.strides,
            padding=self.padding.upper(),
            data_format=TF_FORMATS[self.rank],
        )
        if self.data_format == "channels_first":
            outputs = to_channels_first(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        spatial, channels = spatial_and_channels(input_shape, self.data_format)
        output_spatial = tuple(
            conv_output_length(length, p, s, self.padding)
            for length, p, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(dim is not None and dim <= 0 for dim in output_spatial):
            raise ValueError(
                f"Layer '{self.name}': the computed output size would be zero or negative "
                f"({output_spatial}) for input shape {tuple(input_shape)}, "
                f"pool_size={self.pool_size}, strides={self.strides}, "
                f"padding={self.padding!r}. Use a larger input, a smaller pool_size or "
                "padding='same'."
            )
        return assemble_shape(input_shape[0], output_spatial, channels, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


_SPATIAL_NAMES = {1: "steps", 2: "rows, cols", 3: "d1, d2, d3"}

_POOLING_DOC = """{rank}D {mode} pooling: the {mode} of each window of `pool_size`.

    Args:
        pool_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints, the step of the window; `pool_size` when None.
        padding: `"valid"` (windows inside the input) or `"same"` (output size
            `ceil(input / strides)`{same_note}).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, {spatial}, channels)` (`channels_last`) or `(batch, channels, {spatial})`.

    Output shape:
        `(batch, {pooled}, channels)` (`channels_last`) or `(batch, channels, {pooled})`.

    Example:
        layer = keras.layers.{name}({example_pool})
        layer(np.ones((2, {example}, 3))).shape  # (2, {example_out}, 3)
    """


def _pooling_doc(rank, mode, name):
    spatial = _SPATIAL_NAMES[rank]
    pooled = {
        1: "pooled_steps",
        2: "pooled_rows, pooled_cols",
        3: "pooled_d1, pooled_d2, pooled_d3",
    }[rank]
    return _POOLING_DOC.format(
        rank=rank,
        mode=mode,
        name=name,
        spatial=spatial,
        pooled=pooled,
        same_note="; padded values are not counted in the average" if mode == "average" else "",
        example_pool=2,
        example=", ".join(["4"] * rank),
        example_out=", ".join(["2"] * rank),
    )


@register_builtin
class MaxPooling1D(_Pooling):
    __doc__ = _pooling_doc(1, "max", "MaxPooling1D")
    pool_mode = "max"
    rank = 1


@register_builtin
class MaxPooling2D(_Pooling):
    __doc__ = _pooling_doc(2, "max", "MaxPooling2D")
    pool_mode = "max"
    rank = 2


@register_builtin
class MaxPooling3D(_Pooling):
    __doc__ = _pooling_doc(3, "max", "MaxPooling3D")
    pool_mode = "max"
    rank = 3


@register_builtin
class AveragePooling1D(_Pooling):
    __doc__ = _pooling_doc(1, "average", "AveragePooling1D")
    pool_mode = "average"
    rank = 1


@register_builtin
class AveragePooling2D(_Pooling):
    __doc__ = _pooling_doc(2, "average", "AveragePooling2D")
    pool_mode = "average"
    rank = 2


@register_builtin
class AveragePooling3D(_Pooling):
    __doc__ = _pooling_doc(3, "average", "AveragePooling3D")
    pool_mode = "average"
    rank = 3


class _GlobalPooling(Layer):
    """Reduces all spatial axes (max or mean), keeping them as size 1 with `keepdims`.

    Subclasses set `rank`, the number of spatial axes.
    """

    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        _, channels = spatial_and_channels(input_shape, self.data_format)
        if self.keepdims:
            return assemble_shape(input_shape[0], (1,) * self.rank, channels, self.data_format)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_GLOBAL_DOC = """Global {mode} pooling over the {rank} spatial axes of the input.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: whether to keep the reduced axes with size 1.{mask_note}

    Input shape:
        `(batch, {spatial}, channels)` (`channels_last`) or `(batch, channels, {spatial})`.

    Output shape:
        `(batch, channels)`, or with `keepdims` `(batch, {ones}, channels)` (`channels_last`).

    Example:
        layer = keras.layers.{name}()
        layer(np.ones((2, {example}, 3))).shape  # (2, 3)
    """


def _global_doc(rank, mode, name, mask_note=""):
    return _GLOBAL_DOC.format(
        rank=rank,
        mode=mode,
        name=name,
        mask_note=mask_note,
        spatial=_SPATIAL_NAMES[rank],
        ones=", ".join(["1"] * rank),
        example=", ".join(["4"] * rank),
    )


class _GlobalMaxPooling(_GlobalPooling):
    def call(self, inputs):
        return tf.reduce_max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class _GlobalAveragePooling(_GlobalPooling):
    def call(self, inputs):
        return tf.reduce_mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


@register_builtin
class GlobalMaxPooling1D(_GlobalMaxPooling):
    __doc__ = _global_doc(1, "max", "GlobalMaxPooling1D")
    rank = 1


@register_builtin
class GlobalMaxPooling2D(_GlobalMaxPooling):
    __doc__ = _global_doc(2, "max", "GlobalMaxPooling2D")
    rank = 2


@register_builtin
class GlobalMaxPooling3D(_GlobalMaxPooling):
    __doc__ = _global_doc(3, "max", "GlobalMaxPooling3D")
    rank = 3


@register_builtin
class GlobalAveragePooling1D(_GlobalAveragePooling):
    __doc__ = _global_doc(
        1,
        "average",
        "GlobalAveragePooling1D",
        mask_note=(
            "\n\n    Call arguments:\n        mask: optional boolean `(batch, steps)`; masked "
            "steps are left out of\n            the average (passed on by "
            "`Embedding(mask_zero=True)` or `Masking`)."
        ),
    )

    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes()[0]
        mask = tf.expand_dims(tf.cast(mask, tf.bool), 2 if steps_axis == 1 else 1)
        total = tf.reduce_sum(
            tf.where(mask, inputs, tf.zeros_like(inputs)), axis=steps_axis, keepdims=self.keepdims
        )
        count = tf.reduce_sum(tf.cast(mask, inputs.dtype), axis=steps_axis, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs, previous_mask):
        return None


@register_builtin
class GlobalAveragePooling2D(_GlobalAveragePooling):
    __doc__ = _global_doc(2, "average", "GlobalAveragePooling2D")
    rank = 2


@register_builtin
class GlobalAveragePooling3D(_GlobalAveragePooling):
    __doc__ = _global_doc(3, "average", "GlobalAveragePooling3D")
    rank = 3


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
