"""Neural-network ops: activations, softmax, one-hot, crossentropies, normalization,
pooling, convolution and attention, as `keras.ops`."""

import numpy as np
import tensorflow as tf

from kerascore import activations, backend
from kerascore.losses import probabilistic_losses
from kerascore.ops.core import _convert
from kerascore.ops.dtypes import result_type
from kerascore.ops.math import norm
from kerascore.ops.symbolic import named_op, op


def _float(x):
    x = _convert(x)
    return x if x.dtype.is_floating else tf.cast(x, backend.floatx())


def _activation(name, function, doc, **defaults):
    def apply(x, **kwargs):
        return function(_float(x), **{**defaults, **kwargs})

    return named_op(name, apply, doc)


@op("relu")
def relu(x):
    """Rectified linear unit `max(x, 0)` (integer inputs stay integers)."""
    return tf.nn.relu(_convert(x))


@op("relu6")
def relu6(x):
    """`min(max(x, 0), 6)` (integer inputs stay integers)."""
    return tf.nn.relu6(_convert(x))


sigmoid = _activation("sigmoid", activations.sigmoid, "Logistic sigmoid `1 / (1 + exp(-x))`.")
softplus = _activation("softplus", activations.softplus, "`log(1 + exp(x))`.")
softsign = _activation("softsign", activations.softsign, "`x / (1 + |x|)`.")
silu = _activation("silu", activations.silu, "Sigmoid linear unit `x * sigmoid(x)`.")
swish = silu
log_sigmoid = _activation("log_sigmoid", activations.log_sigmoid, "`log(sigmoid(x))`, stably.")
hard_sigmoid = _activation(
    "hard_sigmoid", activations.hard_sigmoid, "Piecewise-linear sigmoid `relu6(x + 3) / 6`."
)
hard_silu = _activation("hard_silu", activations.hard_silu, "`x * hard_sigmoid(x)`.")
hard_swish = hard_silu
selu = _activation("selu", activations.selu, "Scaled exponential linear unit.")
tanh_shrink = _activation("tanh_shrink", activations.tanh_shrink, "`x - tanh(x)`.")
hard_tanh = _activation("hard_tanh", activations.hard_tanh, "`clip(x, -1, 1)`.")
sparse_plus = _activation("sparse_plus", activations.sparse_plus, "SparsePlus activation.")
sparse_sigmoid = _activation(
    "sparse_sigmoid", activations.sparse_sigmoid, "SparseSigmoid activation."
)


@op("leaky_relu")
def leaky_relu(x, negative_slope=0.2):
    """`x` where positive, `negative_slope * x` elsewhere."""
    return tf.nn.leaky_relu(_float(x), alpha=negative_slope)


@op("elu")
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` where positive, `alpha * (exp(x) - 1)` elsewhere."""
    return activations.elu(_float(x), alpha=alpha)


@op("celu")
def celu(x, alpha=1.0):
    """Continuously differentiable ELU."""
    return activations.celu(_float(x), alpha=alpha)


@op("gelu")
def gelu(x, approximate=True):
    """Gaussian error linear unit (tanh approximation unless `approximate=False`)."""
    return tf.nn.gelu(_float(x), approximate=approximate)


@op("glu")
def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half."""
    return activations.glu(_float(x), axis=axis)


@op("soft_shrink")
def soft_shrink(x, threshold=0.5):
    """Shrinks values towards zero by `threshold`, zero inside `[-threshold, threshold]`."""
    return activations.soft_shrink(_float(x), threshold=threshold)


@op("hard_shrink")
def hard_shrink(x, threshold=0.5):
    """Zero inside `[-threshold, threshold]`, `x` elsewhere."""
    return activations.hard_shrink(_float(x), threshold=threshold)


@op("squareplus")
def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`."""
    return activations.squareplus(_float(x), b=b)


@op("threshold")
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, `default_value` elsewhere."""
    return activations.threshold(_float(x), threshold, default_value)


@op("softmax")
def softmax(x, axis=-1):
    """Softmax over `axis` (an int, a tuple of axes, or None for all)."""
    return activations.softmax(_float(x), axis=axis)


@op("log_softmax")
def log_softmax(x, axis=-1):
    """Logarithm of the softmax over `axis`, computed stably."""
    return activations.log_softmax(_float(x), axis=axis)


@op("one_hot")
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encodes int labels; out-of-range labels give all-zero rows.

    Args:
        x: int tensor of class ids.
        num_classes: the number of classes (the size of the new axis).
        axis: where the new axis goes.
        dtype: the output dtype (`floatx()` by default).
        sparse: accepted for Keras compatibility; the result is dense.
    """
    x = _convert(x)
    if not x.dtype.is_integer:
        x = tf.cast(x, "int64")
    return tf.one_hot(x, num_classes, axis=axis, dtype=dtype or backend.floatx())


@op("multi_hot")
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encodes int labels: 1 for every class present in each sample.

    Args:
        inputs: int tensor `(batch, n)` or `(n,)` of class ids.
        num_classes: the number of classes.
        axis: where the class axis goes.
        dtype: the output dtype (`floatx()` by default).
    """
    num_classes = kwargs.pop("num_tokens", num_classes)
    if num_classes is None:
        raise ValueError("multi_hot needs `num_classes`. Received: num_classes=None")
    inputs = tf.cast(_convert(inputs), "int32")
    reduction_axis = 1 if inputs.shape.rank > 1 else 0
    encoded = one_hot(inputs, num_classes, axis=axis, dtype=dtype)
    return tf.reduce_max(encoded, axis=reduction_axis)


@op("binary_crossentropy")
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy between `target` and `output` (no reduction)."""
    target = _float(target)
    output = _convert(output, target.dtype) if not tf.is_tensor(output) else output
    return probabilistic_losses._backend_binary_crossentropy(
        target, output, from_logits=from_logits
    )


@op("categorical_crossentropy")
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between one-hot `target` and probabilities (or logits) over `axis`."""
    target = _float(target)
    output = _convert(output, target.dtype) if not tf.is_tensor(output) else output
    return probabilistic_losses._backend_categorical_crossentropy(
        target, output, from_logits=from_logits, axis=axis
    )


@op("sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between int labels `target` and probabilities (or logits) over `axis`."""
    output = _float(output)
    return probabilistic_losses._backend_sparse_categorical_crossentropy(
        _convert(target), output, from_logits=from_logits, axis=axis
    )


@op("moments")
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of `x` over `axes`.

    Returns:
        A tuple `(mean, variance)`.
    """
    x = _float(x)
    original = x.dtype
    if original in (tf.float16, tf.bfloat16):
        x = tf.cast(x, "float32")
    mean, variance = tf.nn.moments(x, axes, keepdims=keepdims)
    if original != x.dtype:
        largest = original.max
        mean = tf.cast(tf.clip_by_value(mean, -largest, largest), original)
        variance = tf.cast(tf.clip_by_value(variance, -largest, largest), original)
    return mean, variance


@op("batch_normalization")
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """Normalizes `x` with the given statistics along feature `axis`, then scales and shifts."""
    x = _float(x)
    parameters = [
        None if v is None else _convert(v, x.dtype) for v in (mean, variance, offset, scale)
    ]
    if axis != -1 and axis != x.shape.rank - 1:
        shape = [1] * x.shape.rank
        shape[axis] = -1
        parameters = [None if v is None else tf.reshape(v, shape) for v in parameters]
    mean, variance, offset, scale = parameters
    return tf.nn.batch_normalization(x, mean, variance, offset, scale, epsilon)


@op("layer_normalization")
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalizes `x` to zero mean and unit variance over `axis`, then `* gamma + beta`."""
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x = _convert(x)
    original = x.dtype
    x = tf.cast(x, result_type(x.dtype, "float32"))
    rank = x.shape.rank
    axes = sorted(a % rank for a in ([axis] if isinstance(axis, int) else axis))
    shape = [1] * rank
    for a in axes:
        shape[a] = x.shape[a]

    def broadcast(v):
        if v is None:
            return None
        v = _convert(v, x.dtype)
        return tf.reshape(v, shape) if v.shape.rank != rank and axes != [rank - 1] else v

    mean, variance = tf.nn.moments(x, axes, keepdims=True)
    inverse = tf.math.rsqrt(variance + epsilon)
    gamma, beta = broadcast(gamma), broadcast(beta)
    if gamma is not None:
        inverse = inverse * gamma
    shift = -mean * inverse
    if beta is not None:
        shift = shift + beta
    return tf.cast(x * inverse + shift, original)


@op("rms_normalization")
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x**2, axis) + epsilon) * scale`."""
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x = _float(x)
    inverse = tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=axis, keepdims=True) + epsilon)
    outputs = x * inverse
    return outputs if scale is None else outputs * _convert(scale, x.dtype)


@op("normalize")
def normalize(x, axis=-1, order=2, epsilon=None):
    """Scales `x` to unit `order`-norm along `axis`."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Expected `order` to be an int >= 1. Received: order={order!r}")
    x = _float(x)
    if x.shape.rank == 0:
        x = tf.expand_dims(x, 0)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    if order == 2:
        inverse = tf.math.rsqrt(tf.reduce_sum(tf.square(x), axis=axis, keepdims=True))
        return x * tf.minimum(inverse, 1.0 / epsilon)
    magnitude = norm(x, ord=order, axis=axis, keepdims=True)
    return x / tf.maximum(magnitude, epsilon)


def _tuple(value, rank, name):
    if isinstance(value, int):
        return (value,) * rank
    value = tuple(value)
    if len(value) != rank:
        raise ValueError(f"Expected {rank} values for `{name}`. Received: {name}={value}")
    return value


def _to_channels_last(x, data_format):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "Expected data_format 'channels_last' or 'channels_first'. Received: "
            f"data_format={data_format!r}"
        )
    if data_format == "channels_first":
        rank = x.shape.rank
        return tf.transpose(x, [0, *range(2, rank), 1]), True
    return x, False


def _from_channels_last(x, moved):
    if not moved:
        return x
    rank = x.shape.rank
    return tf.transpose(x, [0, rank - 1, *range(1, rank - 1)])


def _check_padding(padding):
    if padding.lower() not in ("valid", "same"):
        raise ValueError(f"Expected padding 'valid' or 'same'. Received: padding={padding!r}")
    return padding.upper()


def _pool(function, inputs, pool_size, strides, padding, data_format):
    inputs, moved = _to_channels_last(_float(inputs), data_format)
    spatial = inputs.shape.rank - 2
    pool_size = _tuple(pool_size, spatial, "pool_size")
    strides = pool_size if strides is None else _tuple(strides, spatial, "strides")
    outputs = function(inputs, pool_size, strides, _check_padding(padding))
    return _from_channels_last(outputs, moved)


@op("max_pool")
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over the spatial axes of a 3-D, 4-D or 5-D input."""
    return _pool(tf.nn.max_pool, inputs, pool_size, strides, padding, data_format)


@op("average_pool")
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over the spatial axes of a 3-D, 4-D or 5-D input."""
    return _pool(tf.nn.avg_pool, inputs, pool_size, strides, padding, data_format)


@op("conv")
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution of `inputs` `(batch, *spatial, in)` with `kernel` `(*k, in, out)`."""
    inputs, moved = _to_channels_last(_float(inputs), data_format)
    spatial = inputs.shape.rank - 2
    outputs = tf.nn.convolution(
        inputs,
        _convert(kernel, inputs.dtype),
        strides=_tuple(strides, spatial, "strides"),
        padding=_check_padding(padding),
        dilations=_tuple(dilation_rate, spatial, "dilation_rate"),
    )
    return _from_channels_last(outputs, moved)


@op("depthwise_conv")
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise 1-D or 2-D convolution; `kernel` is `(*k, in, multiplier)`."""
    inputs, moved = _to_channels_last(_float(inputs), data_format)
    kernel = _convert(kernel, inputs.dtype)
    one_d = inputs.shape.rank == 3
    if one_d:
        inputs = tf.expand_dims(inputs, 1)
        kernel = tf.expand_dims(kernel, 0)
    spatial = 2
    strides = (1, *_tuple(strides, 1, "strides")) if one_d else _tuple(strides, spatial, "strides")
    dilations = (
        (1, *_tuple(dilation_rate, 1, "dilation_rate"))
        if one_d
        else _tuple(dilation_rate, spatial, "dilation_rate")
    )
    outputs = tf.nn.depthwise_conv2d(
        inputs, kernel, (1, *strides, 1), _check_padding(padding), dilations=dilations
    )
    if one_d:
        outputs = tf.squeeze(outputs, 1)
    return _from_channels_last(outputs, moved)


@op("separable_conv")
def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    """Depthwise then pointwise (1x1) convolution, 1-D or 2-D."""
    depthwise = depthwise_conv(
        inputs,
        depthwise_kernel,
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilation_rate=dilation_rate,
    )
    return conv(depthwise, pointwise_kernel, strides=1, padding="valid", data_format=data_format)


@op("dot_product_attention")
def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """Scaled dot-product attention on `(batch, length, heads, head_dim)` tensors.

    Args:
        query, key, value: `(B, T, N, H)`, `(B, S, N, H)`, `(B, S, N, H)`.
        bias: optional tensor added to the `(B, N, T, S)` logits.
        mask: optional bool tensor broadcastable to `(B, N, T, S)`; False masks out.
        scale: the logit scale, `1 / sqrt(H)` by default.
        is_causal: whether to mask out keys after each query position.
        flash_attention, attn_logits_soft_cap: accepted; plain attention is computed.

    Returns:
        `(B, T, N, H)` attention outputs.
    """
    query = _float(query)
    key = _convert(key, query.dtype)
    value = _convert(value, query.dtype)
    if scale is None:
        scale = 1.0 / float(query.shape[-1]) ** 0.5
    logits_dtype = result_type(query.dtype, "float32")
    logits = tf.cast(tf.einsum("BTNH,BSNH->BNTS", query, key), logits_dtype) * scale
    if attn_logits_soft_cap is not None:
        logits = tf.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + tf.cast(bias, logits.dtype)
    if mask is not None or is_causal:
        keep = tf.ones_like(logits, dtype="bool")
        if mask is not None:
            keep = tf.logical_and(keep, _convert(mask, "bool"))
        if is_causal:
            shape = tf.shape(logits)
            causal = tf.linalg.band_part(tf.ones((shape[2], shape[3]), "bool"), -1, 0)
            keep = tf.logical_and(keep, causal[None, None])
        logits = tf.where(keep, logits, tf.cast(-0.7 * logits.dtype.max, logits.dtype))
    probabilities = tf.cast(tf.nn.softmax(logits, axis=-1), key.dtype)
    return tf.einsum("BNTS,BSNH->BTNH", probabilities, value)


@op("ctc_loss")
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss, one value per sample.

    Args:
        target: Integer labels, `(batch_size, max_label_length)`.
        output: Logits, `(batch_size, max_time, num_classes)` (not softmax-normalised).
        target_length: Label lengths, `(batch_size,)`.
        output_length: Logit sequence lengths, `(batch_size,)`.
        mask_index: The blank class.

    Returns:
        The negative log-likelihood of each label sequence, `(batch_size,)`.
    """
    target = _convert(target, "int32")
    output = _convert(output)
    result_dtype = result_type(output.dtype, "float32")
    # tf.nn.ctc_loss refuses float64 and computes half precision in float32 anyway.
    compute_dtype = "float32" if result_dtype == "float64" else result_dtype
    loss = tf.nn.ctc_loss(
        labels=target,
        logits=tf.cast(output, compute_dtype),
        label_length=_convert(target_length, "int32"),
        logit_length=_convert(output_length, "int32"),
        blank_index=mask_index,
        logits_time_major=False,
    )
    return tf.cast(loss, result_dtype)


@op("ctc_decode")
def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """Decodes CTC outputs by greedy or beam search.

    Args:
        inputs: scores, `(batch_size, max_time, num_classes)`.
        sequence_lengths: the valid length of each sequence, `(batch_size,)`.
        strategy: `"greedy"` or `"beam_search"`.
        beam_width: beam width of the beam search.
        top_paths: how many paths the beam search returns.
        merge_repeated: whether repeated labels are merged (greedy).
        mask_index: the blank class.

    Returns:
        A tuple `(decoded, scores)`: `decoded` is `(top_paths, batch_size, max_time)` int32
        labels padded with -1; `scores` are the path log-probabilities.

    Raises:
        ValueError: for an unknown `strategy`.
    """
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(
            f"Expected `strategy` to be 'greedy' or 'beam_search'. Received: strategy={strategy!r}"
        )
    inputs = _convert(inputs)
    shape = tf.shape(inputs)
    num_samples, num_steps = shape[0], shape[1]
    inputs = tf.cast(tf.transpose(inputs, (1, 0, 2)), result_type(inputs.dtype, "float32"))
    sequence_lengths = _convert(sequence_lengths, "int32")
    if strategy == "greedy":
        decoded, scores = tf.nn.ctc_greedy_decoder(
            inputs=inputs,
            sequence_length=sequence_lengths,
            merge_repeated=merge_repeated,
            blank_index=mask_index,
        )
    else:
        if mask_index is not None:
            # The beam search decoder takes the last class as the blank.
            inputs = tf.concat(
                [
                    inputs[..., :mask_index],
                    inputs[..., mask_index + 1 :],
                    inputs[..., mask_index : mask_index + 1],
                ],
                axis=-1,
            )
        decoded, scores = tf.nn.ctc_beam_search_decoder(
            inputs=inputs,
            sequence_length=sequence_lengths,
            beam_width=beam_width,
            top_paths=top_paths,
        )
    dense = [
        tf.sparse.to_dense(
            tf.SparseTensor(path.indices, path.values, (num_samples, num_steps)), default_value=-1
        )
        for path in decoded
    ]
    dense = tf.cast(tf.stack(dense, axis=0), "int32")
    if strategy == "beam_search" and mask_index is not None:
        blank = mask_index % inputs.shape[-1] if mask_index < 0 else mask_index
        dense = tf.where(dense >= blank, dense + 1, dense)
    return dense, scores


@op("depth_to_space")
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into `block_size x block_size` spatial blocks (4-D inputs)."""
    x, moved = _to_channels_last(_convert(x), data_format)
    return _from_channels_last(tf.nn.depth_to_space(x, block_size), moved)


@op("space_to_depth")
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size x block_size` spatial blocks into channels (4-D inputs)."""
    x, moved = _to_channels_last(_convert(x), data_format)
    return _from_channels_last(tf.nn.space_to_depth(x, block_size), moved)


@op("sparsemax")
def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex along `axis`."""
    logits = _float(x)
    ordered = tf.sort(logits, direction="DESCENDING", axis=axis)
    cumulative = tf.cumsum(ordered, axis=axis)
    ranks = tf.range(1, tf.shape(logits)[axis] + 1, dtype=logits.dtype)
    rank_shape = [1] * logits.shape.rank
    rank_shape[axis] = -1
    ranks = tf.reshape(ranks, rank_shape)
    support = ordered - (cumulative - 1) / ranks > 0
    support_size = tf.reduce_sum(tf.cast(support, logits.dtype), axis=axis, keepdims=True)
    support_sum = tf.reduce_sum(
        tf.where(support, cumulative, tf.zeros_like(cumulative)), axis=axis, keepdims=True
    )
    return tf.maximum(logits - (support_sum - 1) / support_size, 0.0)


@op("psnr")
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio `20 log10(max_val) - 10 log10(mse)` of two images.

    Raises:
        ValueError: if the shapes differ.
    """
    x1, x2 = _convert(x1), _convert(x2)
    if x1.shape != x2.shape:
        raise ValueError(
            "The inputs of `psnr` must have the same shape. Received: "
            f"x1.shape={tuple(x1.shape)}, x2.shape={tuple(x2.shape)}"
        )
    max_val = _convert(max_val, x2.dtype)
    mse = tf.reduce_mean(tf.square(x1 - x2))
    log10 = np.log(10.0)
    return 20 * tf.math.log(max_val) / log10 - 10 * tf.math.log(mse) / log10


@op("polar")
def polar(abs_, angle):
    """The complex numbers with magnitude `abs_` and phase `angle`."""
    abs_, angle = _convert(abs_), _convert(angle)
    return tf.complex(abs_ * tf.cos(angle), abs_ * tf.sin(angle))


def _conv_transpose_length(size, kernel, stride, padding, output_padding, dilation):
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return (size - 1) * stride + kernel + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + kernel % 2 + output_padding


@op("conv_transpose")
def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed N-D convolution of `inputs` with `kernel` `(*k, out_channels, in_channels)`.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        kernel: `(*kernel_size, filters, channels)`.
        strides: int or tuple.
        padding: `"valid"` or `"same"`.
        output_padding: extra size added to one side of each output axis (int or tuple).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple.

    Raises:
        ValueError: if the input channels do not match the kernel's last axis.
    """
    inputs, moved = _to_channels_last(_float(inputs), data_format)
    kernel = _convert(kernel, inputs.dtype)
    spatial = inputs.shape.rank - 2
    if inputs.shape[-1] is not None and inputs.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            "The input channels must match the last axis of the kernel "
            "`(*kernel_size, filters, channels)`. Received: "
            f"inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
        )
    strides = _tuple(strides, spatial, "strides")
    dilations = _tuple(dilation_rate, spatial, "dilation_rate")
    output_padding = (
        [None] * spatial
        if output_padding is None
        else _tuple(output_padding, spatial, "output_padding")
    )
    padding_name = _check_padding(padding).lower()
    dynamic = tf.shape(inputs)
    spatial_out = []
    for i in range(spatial):
        size = inputs.shape[i + 1] if inputs.shape[i + 1] is not None else dynamic[i + 1]
        spatial_out.append(
            _conv_transpose_length(
                size, kernel.shape[i], strides[i], padding_name, output_padding[i], dilations[i]
            )
        )
    output_shape = tf.stack([dynamic[0], *spatial_out, kernel.shape[-2]])
    outputs = tf.nn.conv_transpose(
        inputs,
        kernel,
        output_shape,
        strides,
        padding=padding_name.upper(),
        dilations=dilations,
    )
    return _from_channels_last(outputs, moved)


def _adaptive_pool(reduce, inputs, output_size, data_format, name):
    inputs, moved = _to_channels_last(_float(inputs), data_format)
    spatial = inputs.shape.rank - 2
    if spatial not in (1, 2, 3):
        raise ValueError(
            f"`{name}` supports 1-D, 2-D and 3-D inputs (rank 3 to 5). "
            f"Received: inputs.shape={tuple(inputs.shape)}"
        )
    output_size = _tuple(output_size, spatial, "output_size")
    for axis, out in zip(range(1, spatial + 1), output_size, strict=True):
        size = inputs.shape[axis]
        if size is None:
            raise ValueError(
                f"`{name}` needs statically known spatial sizes. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        # Window i covers [floor(i * size / out), ceil((i + 1) * size / out)), as PyTorch.
        bounds = [((i * size) // out, -(-(i + 1) * size // out)) for i in range(out)]
        windows = [
            reduce(tf.gather(inputs, tf.range(start, stop), axis=axis), axis=axis, keepdims=True)
            for start, stop in bounds
        ]
        inputs = tf.concat(windows, axis=axis)
    return _from_channels_last(inputs, moved)


@op("adaptive_average_pool")
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed `output_size` (windows as in PyTorch), 1-D to 3-D."""
    return _adaptive_pool(tf.reduce_mean, inputs, output_size, data_format, "adaptive_average_pool")


@op("adaptive_max_pool")
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed `output_size` (windows as in PyTorch), 1-D to 3-D."""
    return _adaptive_pool(tf.reduce_max, inputs, output_size, data_format, "adaptive_max_pool")


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


@op("unfold")
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding blocks of a `(N, C, H, W)` tensor, as `torch.nn.functional.unfold`.

    Returns:
        `(N, C * kH * kW, L)`, `L` the number of block positions.
    """
    x = _convert(x)
    kernel, dilation, padding, stride = (
        _pair(kernel_size),
        _pair(dilation),
        _pair(padding),
        _pair(stride),
    )
    channels = x.shape[1]
    if any(padding):
        x = tf.pad(x, [[0, 0], [0, 0], [padding[0]] * 2, [padding[1]] * 2])
    patches = tf.image.extract_patches(
        images=tf.transpose(x, [0, 2, 3, 1]),
        sizes=[1, kernel[0], kernel[1], 1],
        strides=[1, stride[0], stride[1], 1],
        rates=[1, dilation[0], dilation[1], 1],
        padding="VALID",
    )
    shape = tf.shape(patches)
    patches = tf.reshape(patches, [shape[0], shape[1], shape[2], kernel[0], kernel[1], channels])
    patches = tf.transpose(patches, [0, 5, 3, 4, 1, 2])
    return tf.reshape(patches, [shape[0], channels * kernel[0] * kernel[1], shape[1] * shape[2]])


@op("fold")
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums sliding blocks back into a `(N, C, H, W)` tensor, as `torch.nn.functional.fold`.

    Args:
        x: `(N, C * kH * kW, L)` blocks, as `unfold` returns them.
        output_size: `(H, W)` of the result (an int for both).
        kernel_size, dilation, padding, stride: as given to `unfold`.

    Returns:
        `(N, C, H, W)`, overlapping blocks summed.
    """
    x = _convert(x)
    kernel, out, dilation, padding, stride = (
        _pair(kernel_size),
        _pair(output_size),
        _pair(dilation),
        _pair(padding),
        _pair(stride),
    )
    channels = x.shape[1] // (kernel[0] * kernel[1])
    blocks = [
        (out[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
        for i in (0, 1)
    ]
    padded = [out[i] + 2 * padding[i] for i in (0, 1)]
    batch = tf.shape(x)[0]
    # (N, C, kH, kW, nH, nW) -> (kH, kW, nH, nW, C, N): rows of the scatter updates.
    x = tf.reshape(x, [batch, channels, kernel[0], kernel[1], blocks[0], blocks[1]])
    updates = tf.reshape(tf.transpose(x, [2, 3, 4, 5, 1, 0]), [-1, channels, batch])
    rows = np.arange(kernel[0])[:, None, None, None] * dilation[0] + (
        np.arange(blocks[0])[None, None, :, None] * stride[0]
    )
    cols = np.arange(kernel[1])[None, :, None, None] * dilation[1] + (
        np.arange(blocks[1])[None, None, None, :] * stride[1]
    )
    rows, cols = np.broadcast_arrays(rows, cols)
    indices = np.stack([rows.reshape(-1), cols.reshape(-1)], axis=1).astype("int32")
    output = tf.scatter_nd(indices, updates, tf.stack([padded[0], padded[1], channels, batch]))
    output = tf.transpose(output, [3, 2, 0, 1])
    return output[:, :, padding[0] : padding[0] + out[0], padding[1] : padding[1] + out[1]]


__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "conv_transpose",
    "ctc_decode",
    "ctc_loss",
    "depth_to_space",
    "depthwise_conv",
    "dot_product_attention",
    "elu",
    "fold",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "layer_normalization",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "polar",
    "psnr",
    "relu",
    "relu6",
    "rms_normalization",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "space_to_depth",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
    "unfold",
]
