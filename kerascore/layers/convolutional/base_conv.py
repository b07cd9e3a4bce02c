"""What every convolution shares (`BaseConvLayer`) and the plain convolution (`BaseConv`)."""

import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer, add_activity_loss, cast_to_compute
from kerascore.saving.serialization import serialize_keras_object
from kerascore.utils.argument_validation import (
    check_positive_int,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from kerascore.utils.conv_utils import (
    TF_FORMATS,
    assemble_shape,
    conv_output_length,
    rank_signature,
    spatial_and_channels,
    to_channels_first,
    to_channels_last,
)


def _check_positive_spatial(layer, input_shape, output_spatial):
    if any(dim is not None and dim <= 0 for dim in output_spatial):
        raise ValueError(
            f"Layer '{layer.name}': the computed output size would be zero or negative "
            f"({output_spatial}) for input shape {tuple(input_shape)}, "
            f"kernel_size={layer.kernel_size}, strides={layer.strides}, "
            f"dilation_rate={layer.dilation_rate}, padding={layer.padding!r}. Use a larger "
            "input, a smaller kernel or padding='same'."
        )


def check_no_strided_dilation(strides, dilation_rate):
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}"
        )


_RESOLVERS = {
    "initializer": initializers.get,
    "regularizer": regularizers.get,
    "constraint": constraints.get,
}


class BaseConvLayer(Layer):
    """What every convolution shares: arguments, layout handling, bias, activation.

    Subclasses set `rank`, the number of spatial axes.
    """

    rank = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__signature__ = rank_signature(cls, ("strides", "dilation_rate"))

    def __init__(
        self,
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
        allow_causal=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        rank = self.rank
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=allow_causal)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _set_weight_options(self, **options):
        """Resolves and stores `*_initializer`, `*_regularizer` and `*_constraint` arguments."""
        for name, value in options.items():
            setattr(self, name, _RESOLVERS[name.rsplit("_", 1)[1]](value))

    def _weight_options_config(self, *names):
        """The serialized weight options `names`, in that order, for `get_config`."""
        return {name: serialize_keras_object(getattr(self, name)) for name in names}

    def _input_channels(self, input_shape):
        _, channels = spatial_and_channels(input_shape, self.data_format)
        if channels is None:
            raise ValueError(
                f"Layer '{self.name}' needs a defined channel dimension "
                f"({self.data_format}). Received input shape {tuple(input_shape)}."
            )
        return channels

    def _set_input_spec(self, channels):
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})

    def _add_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(size,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _add_kernel(self, name, shape, options_prefix):
        """Adds a kernel weight using the `<options_prefix>_initializer` etc. options."""
        return self.add_weight(
            name=name,
            shape=shape,
            initializer=getattr(self, f"{options_prefix}_initializer"),
            regularizer=getattr(self, f"{options_prefix}_regularizer"),
            constraint=getattr(self, f"{options_prefix}_constraint"),
        )

    def _conv_output_shape(self, input_shape, channels, padding=None):
        """The output shape of a (non-transposed) convolution with `channels` outputs."""
        spatial, _ = spatial_and_channels(input_shape, self.data_format)
        padding = padding or self.padding
        output_spatial = tuple(
            conv_output_length(length, k, s, padding, d)
            for length, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        _check_positive_spatial(self, input_shape, output_spatial)
        return assemble_shape(input_shape[0], output_spatial, channels, self.data_format)

    def call(self, inputs):
        if self.data_format == "channels_first":
            inputs = to_channels_last(inputs)
        outputs = self._convolve(inputs)
        if self.bias is not None:
            outputs = tf.nn.bias_add(outputs, cast_to_compute(self.bias, self.compute_dtype))
        if self.data_format == "channels_first":
            outputs = to_channels_first(outputs)
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            add_activity_loss(self, outputs)
        return outputs

    def _convolve(self, inputs):
        raise NotImplementedError

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }


class BaseConv(BaseConvLayer):
    """N-D convolution (`filters` kernels of `kernel_size` slid over the spatial axes)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
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
        name = type(self).__name__
        check_positive_int(name, "filters", filters)
        check_positive_int(name, "groups", groups)
        if filters % groups:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )
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
            allow_causal=self.rank == 1,
            **kwargs,
        )
        self.filters = int(filters)
        self.groups = int(groups)
        self._set_weight_options(
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            kernel_constraint=kernel_constraint,
        )
        check_no_strided_dilation(self.strides, self.dilation_rate)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                "The number of input channels must be evenly divisible by the number of "
                f"groups. Received groups={self.groups}, but the input has {channels} "
                f"channels (full input shape is {tuple(input_shape)})."
            )
        self.compute_output_shape(input_shape)
        self.kernel = self._add_kernel(
            "kernel", (*self.kernel_size, channels // self.groups, self.filters), "kernel"
        )
        self._add_bias(self.filters)
        self._set_input_spec(channels)
        self.built = True

    def _convolve(self, inputs):
        if self.padding == "causal":
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            inputs = tf.pad(inputs, [[0, 0], [left, 0], [0, 0]])
        padding = "VALID" if self.padding == "causal" else self.padding.upper()
        kernel = cast_to_compute(self.kernel, self.compute_dtype)

        def convolve(x, k):
            return tf.nn.convolution(
                x,
                k,
                strides=self.strides,
                padding=padding,
                data_format=TF_FORMATS[self.rank],
                dilations=self.dilation_rate,
            )

        if self.groups == 1:
            return convolve(inputs, kernel)
        # TensorFlow's CPU kernels reject grouped convolutions: run one per group.
        input_groups = tf.split(inputs, self.groups, axis=-1)
        kernel_groups = tf.split(kernel, self.groups, axis=-1)
        return tf.concat([convolve(x, k) for x, k in zip(input_groups, kernel_groups)], axis=-1)

    def compute_output_shape(self, input_shape):
        padding = "same" if self.padding == "causal" else self.padding
        return self._conv_output_shape(input_shape, self.filters, padding)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            **self._weight_options_config(
                "kernel_initializer", "kernel_regularizer", "kernel_constraint"
            ),
        }


CONV_DOC = """{rank}D convolution: slides `filters` kernels over the input's {axes}.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints, the step of the window.
        padding: {paddings}.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple of {rank} ints, for atrous convolution (cannot be
            combined with strides > 1).
        groups: positive int dividing the input channels and `filters`; each group of
            input channels is convolved with its own `filters // groups` kernels.
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
        layer = keras.layers.Conv{rank}D(4, 3, padding="same")
        layer(np.ones((2, {example}, 3))).shape  # (2, {example}, 4)
    """
