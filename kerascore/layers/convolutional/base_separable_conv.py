"""What the separable convolutions share."""

import tensorflow as tf

from kerascore.layers.convolutional.base_conv import BaseConvLayer
from kerascore.layers.convolutional.base_depthwise_conv import depthwise_conv
from kerascore.layers.layer import cast_to_compute
from kerascore.utils.argument_validation import check_positive_int
from kerascore.utils.conv_utils import TF_FORMATS


class BaseSeparableConv(BaseConvLayer):
    """A depthwise convolution followed by a pointwise (1x1) convolution to `filters`."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        name = type(self).__name__
        check_positive_int(name, "filters", filters)
        check_positive_int(name, "depth_multiplier", depth_multiplier)
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
        self.depth_multiplier = int(depth_multiplier)
        self._set_weight_options(
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
        )

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self._add_kernel(
            "depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier), "depthwise"
        )
        self.pointwise_kernel = self._add_kernel(
            "pointwise_kernel",
            (*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            "pointwise",
        )
        self._add_bias(self.filters)
        self._set_input_spec(channels)
        self.built = True

    def _convolve(self, inputs):
        depthwise = depthwise_conv(
            inputs,
            cast_to_compute(self.depthwise_kernel, self.compute_dtype),
            self.strides,
            self.padding,
            self.dilation_rate,
        )
        pointwise = cast_to_compute(self.pointwise_kernel, self.compute_dtype)
        return tf.nn.convolution(
            depthwise, pointwise, padding="VALID", data_format=TF_FORMATS[self.rank]
        )

    def compute_output_shape(self, input_shape):
        return self._conv_output_shape(input_shape, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            **self._weight_options_config(
                "depthwise_initializer",
                "pointwise_initializer",
                "depthwise_regularizer",
                "pointwise_regularizer",
                "depthwise_constraint",
                "pointwise_constraint",
            ),
        }


SEPARABLE_DOC = """{rank}D separable convolution: a depthwise convolution, then a 1x1 one.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {rank} ints, the depthwise window size.
        strides: int or tuple of {rank} ints, the step of the window.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple of {rank} ints, for atrous convolution.
        depth_multiplier: positive int, depthwise output channels per input channel.
        activation: an activation name or function; linear when None.
        use_bias: whether to add a bias vector.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: penalties added to the loss.
        depthwise_constraint, pointwise_constraint, bias_constraint: projections.

    Input shape:
        `(batch, {spatial}, channels)` (`channels_last`) or `(batch, channels, {spatial})`.

    Output shape:
        `(batch, {new_spatial}, filters)` (`channels_last`) or `(batch, filters, {new_spatial})`.

    Example:
        layer = keras.layers.SeparableConv{rank}D(4, 3, padding="same")
        layer(np.ones((2, {example}, 3))).shape  # (2, {example}, 4)
    """
