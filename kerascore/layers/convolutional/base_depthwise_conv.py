"""What the depthwise convolutions share."""

import tensorflow as tf

from kerascore.layers.convolutional.base_conv import BaseConvLayer
from kerascore.layers.layer import cast_to_compute
from kerascore.utils.argument_validation import check_positive_int
from kerascore.utils.conv_utils import same_padding_amounts, spatial_and_channels


def depthwise_conv(inputs, kernel, strides, padding, dilation_rate):
    """Depthwise convolution of `channels_last` inputs of rank 3 (1D) or 4 (2D).

    TensorFlow refuses strides > 1 together with dilation > 1, so that case runs the
    dilated convolution at stride 1 on explicitly padded inputs and subsamples.

    1D inputs run as 2D with an added axis of size 1 (kernel height 1). That axis gets the
    same stride `s` as the real one, not 1: TensorFlow's plain CPU depthwise kernel only
    accepts equal row and column strides, and on a size-1 axis with a height-1 kernel a
    stride of `s` still gives one output row with no padding, for `valid` and `same`.
    """
    one_dimensional = inputs.shape.rank == 3
    if one_dimensional:
        inputs = tf.expand_dims(inputs, 1)
        kernel = tf.expand_dims(kernel, 0)
        strides, dilation_rate = (strides[0], *strides), (1, *dilation_rate)
    padding = padding.upper()
    if max(strides) > 1 and max(dilation_rate) > 1:
        if padding == "SAME":
            static, dynamic = inputs.shape.as_list(), tf.shape(inputs)
            pads = [
                same_padding_amounts(
                    dynamic[axis + 1] if static[axis + 1] is None else static[axis + 1],
                    kernel.shape[axis],
                    strides[axis],
                    dilation_rate[axis],
                )
                for axis in range(2)
            ]
            inputs = tf.pad(inputs, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]])
        outputs = tf.nn.depthwise_conv2d(
            inputs, kernel, [1, 1, 1, 1], "VALID", dilations=dilation_rate
        )
        outputs = outputs[:, :: strides[0], :: strides[1], :]
    else:
        outputs = tf.nn.depthwise_conv2d(
            inputs, kernel, [1, *strides, 1], padding, dilations=dilation_rate
        )
    return tf.squeeze(outputs, 1) if one_dimensional else outputs


class BaseDepthwiseConv(BaseConvLayer):
    """Depthwise convolution: each input channel convolved with `depth_multiplier` kernels."""

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        check_positive_int(type(self).__name__, "depth_multiplier", depth_multiplier)
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
        self.depth_multiplier = int(depth_multiplier)
        self._set_weight_options(
            depthwise_initializer=depthwise_initializer,
            depthwise_regularizer=depthwise_regularizer,
            depthwise_constraint=depthwise_constraint,
        )

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self._add_kernel(
            "kernel", (*self.kernel_size, channels, self.depth_multiplier), "depthwise"
        )
        self._add_bias(channels * self.depth_multiplier)
        self._set_input_spec(channels)
        self.built = True

    def _convolve(self, inputs):
        return depthwise_conv(
            inputs,
            cast_to_compute(self.kernel, self.compute_dtype),
            self.strides,
            self.padding,
            self.dilation_rate,
        )

    def compute_output_shape(self, input_shape):
        _, channels = spatial_and_channels(input_shape, self.data_format)
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self._conv_output_shape(input_shape, out_channels)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._weight_options_config(
                "depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"
            ),
        }


DEPTHWISE_DOC = """{rank}D depthwise convolution: each input channel is convolved on its own.

    Args:
        kernel_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints, the step of the window.
        padding: `"valid"` or `"same"`.
        depth_multiplier: positive int, output channels per input channel.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple of {rank} ints, for atrous convolution.
        activation: an activation name or function; linear when None.
        use_bias: whether to add a bias vector.
        depthwise_initializer, bias_initializer: initializers of the weights.
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties.
        depthwise_constraint, bias_constraint: projections applied after each update.

    Input shape:
        `(batch, {spatial}, channels)` (`channels_last`) or `(batch, channels, {spatial})`.

    Output shape:
        `(batch, {new_spatial}, channels * depth_multiplier)` (`channels_last`).

    Example:
        layer = keras.layers.DepthwiseConv{rank}D(3, depth_multiplier=2, padding="same")
        layer(np.ones((2, {example}, 3))).shape  # (2, {example}, 6)
    """
