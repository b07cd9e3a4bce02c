"""What the transposed convolutions share."""

import tensorflow as tf

from kerascore.layers.convolutional.base_conv import BaseConvLayer, check_no_strided_dilation
from kerascore.layers.layer import cast_to_compute
from kerascore.utils.argument_validation import check_positive_int, standardize_tuple
from kerascore.utils.conv_utils import TF_FORMATS, assemble_shape, spatial_and_channels


def _transpose_output_length(length, kernel_size, stride, padding, output_padding, dilation):
    """Keras's output length of a transposed convolution along one axis (None stays)."""
    if length is None:
        return None
    effective = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        return (length - 1) * stride + effective + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + effective % 2 + output_padding


class BaseConvTranspose(BaseConvLayer):
    """N-D transposed convolution (the gradient of a convolution; upsamples by `strides`)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        check_positive_int(type(self).__name__, "filters", filters)
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        self.filters = int(filters)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = standardize_tuple(
                output_padding, self.rank, "output_padding", allow_zero=True
            )
            for index, (pad, stride) in enumerate(zip(self.output_padding, self.strides)):
                if pad >= stride:
                    raise ValueError(
                        "`output_padding` must be strictly less than `strides` for all "
                        f"dimensions. At dimension {index}, `output_padding` is {pad} but "
                        f"`strides` is {stride}. Received: output_padding="
                        f"{self.output_padding}, strides={self.strides}"
                    )
        self._set_weight_options(
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            kernel_constraint=kernel_constraint,
        )
        check_no_strided_dilation(self.strides, self.dilation_rate)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self._add_kernel(
            "kernel", (*self.kernel_size, self.filters, channels), "kernel"
        )
        self._add_bias(self.filters)
        self._set_input_spec(channels)
        self.built = True

    def _output_spatial(self, spatial):
        paddings = self.output_padding or (None,) * self.rank
        return [
            _transpose_output_length(length, k, s, self.padding, op, d)
            for length, k, s, op, d in zip(
                spatial, self.kernel_size, self.strides, paddings, self.dilation_rate
            )
        ]

    def _convolve(self, inputs):
        static = inputs.shape.as_list()
        dynamic = tf.shape(inputs)
        spatial = [dynamic[i + 1] if dim is None else dim for i, dim in enumerate(static[1:-1])]
        output_shape = tf.stack([dynamic[0], *self._output_spatial(spatial), self.filters])
        return tf.nn.conv_transpose(
            inputs,
            cast_to_compute(self.kernel, self.compute_dtype),
            output_shape,
            strides=self.strides,
            padding=self.padding.upper(),
            data_format=TF_FORMATS[self.rank],
            dilations=self.dilation_rate,
        )

    def compute_output_shape(self, input_shape):
        spatial, _ = spatial_and_channels(input_shape, self.data_format)
        output_spatial = tuple(self._output_spatial(spatial))
        return assemble_shape(input_shape[0], output_spatial, self.filters, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
            **self._weight_options_config(
                "kernel_initializer", "kernel_regularizer", "kernel_constraint"
            ),
        }


CONV_TRANSPOSE_DOC = """{rank}D transposed convolution ("deconvolution"): upsamples by `strides`.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints, the upsampling factor.
        padding: `"valid"` or `"same"`.
        output_padding: int or tuple of {rank} ints (each < the stride) added to the output
            size, or None to infer it.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple of {rank} ints (cannot be combined with strides > 1).
        activation: an activation name or function; linear when None.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections applied after each update.

    Input shape:
        `(batch, {spatial}, channels)` (`channels_last`) or `(batch, channels, {spatial})`.

    Output shape:
        `(batch, {new_spatial}, filters)` (`channels_last`) or `(batch, filters, {new_spatial})`.

    Example:
        layer = keras.layers.Conv{rank}DTranspose(4, 3, strides=2, padding="same")
        layer(np.ones((2, {example}, 3))).shape  # (2, {doubled}, 4)
    """
