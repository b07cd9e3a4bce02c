"""Layout and shape arithmetic of windowed layers (convolution, pooling, resampling).

All the math runs in `channels_last` layout; `channels_first` inputs are transposed in
and out, which is exact and works on every device (TensorFlow's CPU kernels lack most
NCHW convolutions).
"""

import inspect

import tensorflow as tf

# Explicit layouts: eager gradients of 3D convolutions fail when `data_format` is left None.
TF_FORMATS = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def to_channels_last(inputs):
    """Moves axis 1 (channels) of a `channels_first` tensor to the end."""
    rank = inputs.shape.rank
    return tf.transpose(inputs, [0, *range(2, rank), 1])


def to_channels_first(outputs):
    """Moves the last axis (channels) of a `channels_last` tensor to axis 1."""
    rank = outputs.shape.rank
    return tf.transpose(outputs, [0, rank - 1, *range(1, rank - 1)])


def spatial_and_channels(input_shape, data_format):
    """Splits an input shape into its spatial dims and its channel count."""
    input_shape = tuple(input_shape)
    if data_format == "channels_last":
        return input_shape[1:-1], input_shape[-1]
    return input_shape[2:], input_shape[1]


def assemble_shape(batch, spatial, channels, data_format):
    """The inverse of `spatial_and_channels`."""
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


def conv_output_length(length, kernel_size, stride, padding, dilation=1):
    """The output length of a convolution or pooling along one spatial axis (None stays)."""
    if length is None:
        return None
    effective = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        return (length - effective) // stride + 1
    return (length - 1) // stride + 1


def same_padding_amounts(length, kernel_size, stride, dilation):
    """TensorFlow's (left, right) padding for `same` along one axis."""
    effective = (kernel_size - 1) * dilation + 1
    output = -(-length // stride)
    total = (output - 1) * stride + effective - length
    total = tf.maximum(total, 0) if tf.is_tensor(total) else max(total, 0)
    return total // 2, total - total // 2


def rank_signature(cls, per_axis):
    """The signature `help(cls)` shows: `cls.__init__`'s with Keras's per-rank defaults.

    The arguments named in `per_axis` take an int for every spatial axis; for ranks above 1
    Keras shows their default once per axis (`strides=(1, 1)` on `Conv2D`). Returns None
    (the plain signature) when `cls` has no `rank` or defines its own `__init__`.
    """
    if not cls.rank or "__init__" in vars(cls):
        return None
    signature = inspect.signature(cls.__init__)
    parameters = list(signature.parameters.values())[1:]
    if cls.rank > 1:
        parameters = [
            p.replace(default=(p.default,) * cls.rank)
            if p.name in per_axis and isinstance(p.default, int)
            else p
            for p in parameters
        ]
    return signature.replace(parameters=parameters)
