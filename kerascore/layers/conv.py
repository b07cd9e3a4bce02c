"""Convolution layers: Conv1D/2D/3D, their transposes, separable and depthwise convolutions.

All the math runs in `channels_last` layout; `channels_first` inputs are transposed in and
out, which is exact and works on every device (TensorFlow's CPU kernels lack most NCHW
convolutions).
"""

__all__ = [
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]

import inspect

import numpy as np
import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.models.layer import InputSpec, Layer, cast_to_compute
from kerascore.saving.serialization import register_builtin, serialize_keras_object

_DATA_FORMATS = ("channels_last", "channels_first")
# Explicit layouts: eager gradients of 3D convolutions fail when `data_format` is left None.
TF_FORMATS = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


# ------------------------------------------------------------------ argument helpers
def standardize_tuple(value, n, name, allow_zero=False):
    """Returns `value` (an int or `n` ints) as a tuple of `n` ints.

    Raises:
        ValueError: naming `name` and the value, if it is not `n` positive ints (or
            non-negative ones with `allow_zero`).
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if (
            values is None
            or len(values) != n
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
        ):
            raise ValueError(
                f"The `{name}` argument must be an int or a tuple of {n} ints. "
                f"Received: {name}={value!r}"
            )
        values = tuple(int(v) for v in values)
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in values):
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} ints {requirement}. "
            f"Received: {name}={value!r}"
        )
    return values


def standardize_padding(value, allow_causal=False):
    """Returns `padding` lower-cased after checking it is `valid`, `same` (or `causal`)."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {allowed}. Received: padding={value!r}"
        )
    return padding


def standardize_data_format(value):
    """Returns `data_format`, `channels_last` when None, after checking it."""
    data_format = "channels_last" if value is None else value
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {_DATA_FORMATS}. "
            f"Received: data_format={value!r}"
        )
    return data_format


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


def _check_positive_spatial(layer, input_shape, output_spatial):
    if any(dim is not None and dim <= 0 for dim in output_spatial):
        raise ValueError(
            f"Layer '{layer.name}': the computed output size would be zero or negative "
            f"({output_spatial}) for input shape {tuple(input_shape)}, "
            f"kernel_size={layer.kernel_size}, strides={layer.strides}, "
            f"dilation_rate={layer.dilation_rate}, padding={layer.padding!r}. Use a larger "
            "input, a smaller kernel or padding='same'."
        )


def _same_padding_amounts(length, kernel_size, stride, dilation):
    """TensorFlow's (left, right) padding for `same` along one axis."""
    effective = (kernel_size - 1) * dilation + 1
    output = -(-length // stride)
    total = (output - 1) * stride + effective - length
    total = tf.maximum(total, 0) if tf.is_tensor(total) else max(total, 0)
    return total // 2, total - total // 2


def add_activity_loss(layer, outputs):
    """Adds `activity_regularizer(outputs)` divided by the batch size to `layer`'s losses
    (Keras 3 normalizes by the batch size so the strength does not depend on it)."""
    penalty = layer.activity_regularizer(outputs)
    batch_size = tf.cast(tf.shape(outputs)[0], penalty.dtype)
    layer.add_loss(tf.math.divide_no_nan(penalty, batch_size))


def _check_int(layer_name, argument, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{argument}` of {layer_name}: expected a strictly "
            f"positive integer. Received: {argument}={value!r}"
        )


def _check_no_strided_dilation(strides, dilation_rate):
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}"
        )


# ------------------------------------------------------------------ shared base
_RESOLVERS = {
    "initializer": initializers.get,
    "regularizer": regularizers.get,
    "constraint": constraints.get,
}


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


class _BaseConvLayer(Layer):
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


# ------------------------------------------------------------------ regular convolution
class _Conv(_BaseConvLayer):
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
        _check_int(name, "filters", filters)
        _check_int(name, "groups", groups)
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
        _check_no_strided_dilation(self.strides, self.dilation_rate)

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


_CONV_DOC = """{rank}D convolution: slides `filters` kernels over the input's {axes}.

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


@register_builtin
class Conv1D(_Conv):
    __doc__ = _CONV_DOC.format(
        rank=1,
        axes="steps",
        paddings='`"valid"`, `"same"` or `"causal"` (output[t] sees only inputs up to t)',
        spatial="steps",
        new_spatial="new_steps",
        example="5",
    )
    rank = 1


@register_builtin
class Conv2D(_Conv):
    __doc__ = _CONV_DOC.format(
        rank=2,
        axes="height and width",
        paddings='`"valid"` or `"same"`',
        spatial="rows, cols",
        new_spatial="new_rows, new_cols",
        example="5, 5",
    )
    rank = 2


@register_builtin
class Conv3D(_Conv):
    __doc__ = _CONV_DOC.format(
        rank=3,
        axes="three spatial axes",
        paddings='`"valid"` or `"same"`',
        spatial="d1, d2, d3",
        new_spatial="new_d1, new_d2, new_d3",
        example="5, 5, 5",
    )
    rank = 3


# ------------------------------------------------------------------ transposed convolution
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


class _ConvTranspose(_BaseConvLayer):
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
        _check_int(type(self).__name__, "filters", filters)
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
        _check_no_strided_dilation(self.strides, self.dilation_rate)

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


_CONV_TRANSPOSE_DOC = """{rank}D transposed convolution ("deconvolution"): upsamples by `strides`.

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


@register_builtin
class Conv1DTranspose(_ConvTranspose):
    __doc__ = _CONV_TRANSPOSE_DOC.format(
        rank=1, spatial="steps", new_spatial="new_steps", example="5", doubled="10"
    )
    rank = 1


@register_builtin
class Conv2DTranspose(_ConvTranspose):
    __doc__ = _CONV_TRANSPOSE_DOC.format(
        rank=2,
        spatial="rows, cols",
        new_spatial="new_rows, new_cols",
        example="5, 5",
        doubled="10, 10",
    )
    rank = 2


@register_builtin
class Conv3DTranspose(_ConvTranspose):
    __doc__ = _CONV_TRANSPOSE_DOC.format(
        rank=3,
        spatial="d1, d2, d3",
        new_spatial="new_d1, new_d2, new_d3",
        example="5, 5, 5",
        doubled="10, 10, 10",
    )
    rank = 3


# ------------------------------------------------------------------ depthwise and separable
def _depthwise_conv(inputs, kernel, strides, padding, dilation_rate):
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
                _same_padding_amounts(
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


class _DepthwiseConv(_BaseConvLayer):
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
        _check_int(type(self).__name__, "depth_multiplier", depth_multiplier)
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
        return _depthwise_conv(
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


_DEPTHWISE_DOC = """{rank}D depthwise convolution: each input channel is convolved on its own.

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


@register_builtin
class DepthwiseConv1D(_DepthwiseConv):
    __doc__ = _DEPTHWISE_DOC.format(rank=1, spatial="steps", new_spatial="new_steps", example="5")
    rank = 1


@register_builtin
class DepthwiseConv2D(_DepthwiseConv):
    __doc__ = _DEPTHWISE_DOC.format(
        rank=2, spatial="rows, cols", new_spatial="new_rows, new_cols", example="5, 5"
    )
    rank = 2


class _SeparableConv(_BaseConvLayer):
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
        _check_int(name, "filters", filters)
        _check_int(name, "depth_multiplier", depth_multiplier)
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
        depthwise = _depthwise_conv(
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


_SEPARABLE_DOC = """{rank}D separable convolution: a depthwise convolution, then a 1x1 one.

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


@register_builtin
class SeparableConv1D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(rank=1, spatial="steps", new_spatial="new_steps", example="5")
    rank = 1


@register_builtin
class SeparableConv2D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(
        rank=2, spatial="rows, cols", new_spatial="new_rows, new_cols", example="5, 5"
    )
    rank = 2


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
