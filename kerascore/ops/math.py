"""Math ops: segment reductions, top-k, log-sum-exp, FFTs, error functions, norms."""

import tensorflow as tf

from kerascore.ops.core import _convert
from kerascore.ops.dtypes import result_type
from kerascore.ops.symbolic import op


def _to_float(x):
    x = _convert(x)
    return tf.cast(x, result_type(x.dtype, float))


def _segment(sorted_fn, unsorted_fn, data, segment_ids, num_segments, sorted):
    data = _convert(data)
    segment_ids = _convert(segment_ids)
    if sorted:
        if num_segments is not None:
            raise ValueError(
                "`num_segments` cannot be set when sorted=True. Received: "
                f"num_segments={num_segments}"
            )
        return sorted_fn(data, segment_ids)
    if num_segments is None:
        num_segments = tf.shape(tf.unique(tf.reshape(segment_ids, [-1]))[0])[0]
    return unsorted_fn(data, segment_ids, num_segments)


@op("segment_sum")
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums the rows of `data` that share a segment id.

    Args:
        data: the tensor whose leading axis is segmented.
        segment_ids: int ids, one per row of `data`.
        num_segments: the number of segments; the number of distinct ids when None.
        sorted: whether `segment_ids` are sorted (then `num_segments` must be None).
    """
    return _segment(
        tf.math.segment_sum, tf.math.unsorted_segment_sum, data, segment_ids, num_segments, sorted
    )


@op("segment_max")
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maximum of the rows of `data` that share a segment id."""
    return _segment(
        tf.math.segment_max, tf.math.unsorted_segment_max, data, segment_ids, num_segments, sorted
    )


@op("segment_min")
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minimum of the rows of `data` that share a segment id."""
    return _segment(
        tf.math.segment_min, tf.math.unsorted_segment_min, data, segment_ids, num_segments, sorted
    )


@op("top_k")
def top_k(x, k, sorted=True):
    """The `k` largest values along the last axis and their indices (int32).

    Returns:
        A tuple `(values, indices)`.
    """
    values, indices = tf.math.top_k(_convert(x), k, sorted=sorted)
    return values, indices


@op("in_top_k")
def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest predictions of its row."""
    return tf.math.in_top_k(_convert(targets), _convert(predictions, "float32"), k)


@op("logsumexp")
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` over `axis`, computed stably."""
    return tf.math.reduce_logsumexp(_to_float(x), axis=axis, keepdims=keepdims)


@op("rsqrt")
def rsqrt(x):
    """Elementwise `1 / sqrt(x)`."""
    return tf.math.rsqrt(_to_float(x))


@op("erf")
def erf(x):
    """Elementwise Gauss error function."""
    return tf.math.erf(_to_float(x))


@op("erfinv")
def erfinv(x):
    """Elementwise inverse error function."""
    return tf.math.erfinv(_to_float(x))


def _complex(x, name):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"`{name}` expects a tuple `(real, imag)` of two float tensors. Received: x={x!r}"
        )
    real, imag = _convert(x[0]), _convert(x[1])
    if not real.dtype.is_floating or real.dtype != imag.dtype:
        raise ValueError(
            f"`{name}` expects real and imaginary parts of the same float dtype. Received: "
            f"real.dtype={real.dtype.name}, imag.dtype={imag.dtype.name}"
        )
    if real.shape != imag.shape:
        raise ValueError(
            f"`{name}` expects real and imaginary parts of the same shape. Received: "
            f"real.shape={tuple(real.shape)}, imag.shape={tuple(imag.shape)}"
        )
    return tf.complex(real, imag)


def _parts(value):
    return tf.math.real(value), tf.math.imag(value)


@op("fft")
def fft(x):
    """FFT over the last axis of the complex tensor given as `(real, imag)`.

    Returns:
        A tuple `(real, imag)`.
    """
    return _parts(tf.signal.fft(_complex(x, "fft")))


@op("fft2")
def fft2(x):
    """2-D FFT over the last two axes of the complex tensor given as `(real, imag)`.

    Returns:
        A tuple `(real, imag)`.
    """
    return _parts(tf.signal.fft2d(_complex(x, "fft2")))


@op("ifft2")
def ifft2(x):
    """Inverse 2-D FFT over the last two axes of `(real, imag)`; returns `(real, imag)`."""
    return _parts(tf.signal.ifft2d(_complex(x, "ifft2")))


@op("rfft")
def rfft(x, fft_length=None):
    """FFT of a real signal over its last axis; returns `(real, imag)`."""
    x = _to_float(x)
    length = [fft_length] if fft_length is not None else None
    return _parts(tf.signal.rfft(x, fft_length=length))


@op("irfft")
def irfft(x, fft_length=None):
    """Inverse of `rfft`, from `(real, imag)` to a real signal."""
    length = [fft_length] if fft_length is not None else None
    return tf.signal.irfft(_complex(x, "irfft"), fft_length=length)


@op("norm")
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, as `numpy.linalg.norm`.

    Args:
        x: input tensor.
        ord: the norm order (`None`, `"fro"`, `"nuc"`, `inf`, `-inf`, 0, 1, -1, 2, -2, ...).
        axis: an int for vector norms, a pair for matrix norms; None: the whole input
            (vector 2-norm), or a matrix norm of a 2-D input when `ord` is given.
        keepdims: keep the reduced axes with size 1.
    """
    x = _to_float(x)
    rank = x.shape.rank
    if axis is None:
        if ord is None:
            return _keep(tf.sqrt(tf.reduce_sum(tf.square(x))), rank, keepdims)
        axis = tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % rank for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"`axis` must name one or two axes. Received: axis={axis}")


def _keep(value, rank, keepdims):
    return tf.reshape(value, [1] * rank) if keepdims else value


def _vector_norm(x, ord, axis, keepdims):
    magnitude = tf.abs(x)
    if ord is None or ord == 2:
        return tf.sqrt(tf.reduce_sum(tf.square(x), axis=axis, keepdims=keepdims))
    if ord == float("inf"):
        return tf.reduce_max(magnitude, axis=axis, keepdims=keepdims)
    if ord == float("-inf"):
        return tf.reduce_min(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        return tf.cast(tf.math.count_nonzero(x, axis=axis, keepdims=keepdims), x.dtype)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order for a vector. Received: ord={ord!r}")
    return tf.pow(tf.reduce_sum(tf.pow(magnitude, ord), axis=axis, keepdims=keepdims), 1.0 / ord)


def _matrix_norm(x, ord, axes, keepdims):
    row_axis, col_axis = axes
    if ord is None or ord == "fro":
        return tf.sqrt(tf.reduce_sum(tf.square(x), axis=axes, keepdims=keepdims))
    if ord in (1, -1, float("inf"), float("-inf")):
        reduce = tf.reduce_max if ord in (1, float("inf")) else tf.reduce_min
        summed_axis, other_axis = (row_axis, col_axis) if ord in (1, -1) else (col_axis, row_axis)
        sums = tf.reduce_sum(tf.abs(x), axis=summed_axis, keepdims=True)
        result = reduce(sums, axis=other_axis, keepdims=True)
        return result if keepdims else tf.squeeze(result, axis=list(axes))
    if ord in ("nuc", 2, -2):
        moved = tf.transpose(
            x, [d for d in range(x.shape.rank) if d not in axes] + [row_axis, col_axis]
        )
        singular = tf.linalg.svd(moved, compute_uv=False)
        if ord == "nuc":
            result = tf.reduce_sum(singular, axis=-1)
        elif ord == 2:
            result = tf.reduce_max(singular, axis=-1)
        else:
            result = tf.reduce_min(singular, axis=-1)
        if keepdims:
            for a in sorted(axes):
                result = tf.expand_dims(result, a)
        return result
    raise ValueError(f"Invalid norm order for a matrix. Received: ord={ord!r}")


@op("extract_sequences")
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` values every `sequence_stride` along the last axis."""
    return tf.signal.frame(_convert(x), sequence_length, sequence_stride, axis=-1)


@op("segment_prod")
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of the rows of `data` that share a segment id.

    Args:
        data: the tensor whose leading axis is segmented.
        segment_ids: int ids, one per row of `data`.
        num_segments: the number of segments; `max(segment_ids) + 1` when None.
        sorted: whether `segment_ids` are sorted (then `num_segments` must be None).
    """
    if not sorted and num_segments is None:
        num_segments = tf.reduce_max(_convert(segment_ids)) + 1
    return _segment(
        tf.math.segment_prod, tf.math.unsorted_segment_prod, data, segment_ids, num_segments, sorted
    )


@op("erfc")
def erfc(x):
    """Complementary error function `1 - erf(x)`, accurate for large `x`."""
    return tf.math.erfc(_to_float(x))


@op("logdet")
def logdet(x):
    """Log-determinant of Hermitian positive-definite matrices."""
    return tf.linalg.logdet(_to_float(x))


@op("cdist")
def cdist(x, y):
    """Pairwise Euclidean distances between the rows of `x` `(..., P, M)` and `y` `(..., R, M)`.

    Raises:
        ValueError: if an input has rank < 2 or the last dimensions differ.
    """
    x, y = _convert(x), _convert(y)
    if x.shape.rank < 2 or y.shape.rank < 2:
        raise ValueError(
            "`cdist` inputs must have rank >= 2. Received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "The last dimensions of the inputs to `cdist` must match. Received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    difference = tf.expand_dims(x, -2) - tf.expand_dims(y, -3)
    return tf.sqrt(tf.reduce_sum(tf.square(difference), axis=-1))


@op("view_as_real")
def view_as_real(x):
    """A complex tensor as real numbers: a trailing axis of size 2 (real, imaginary)."""
    x = _convert(x)
    return tf.stack([tf.math.real(x), tf.math.imag(x)], axis=-1)


@op("view_as_complex")
def view_as_complex(x):
    """A real tensor with a trailing axis of size 2 as a complex64 tensor.

    Raises:
        ValueError: if the last axis does not have size 2.
    """
    x = _convert(x)
    if x.shape.rank < 1 or x.shape[-1] != 2:
        raise ValueError(
            "The last dimension of the input must have size 2 (real and imaginary parts). "
            f"Received: x.shape={tuple(x.shape)}"
        )
    return tf.complex(tf.cast(x[..., 0], "float32"), tf.cast(x[..., 1], "float32"))


def _stft_window(window, sequence_length, fft_length, dtype):
    if window is None:
        return None
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f"Expected `window` to be 'hann', 'hamming', a tensor or None. "
                f"Received: window={window!r}"
            )
        make = tf.signal.hann_window if window == "hann" else tf.signal.hamming_window
        values = make(sequence_length, periodic=True, dtype=dtype)
    else:
        values = _convert(window, dtype)
    if values.shape.rank != 1 or values.shape[-1] != sequence_length:
        raise ValueError(
            "The shape of `window` must be `(sequence_length,)`. "
            f"Received: window.shape={tuple(values.shape)}, sequence_length={sequence_length}"
        )
    left = (fft_length - sequence_length) // 2
    return tf.pad(values, [[left, fft_length - sequence_length - left]])


@op("stft")
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis of a real signal.

    Args:
        x: float32 or float64 signal.
        sequence_length: frame length.
        sequence_stride: step between frames.
        fft_length: FFT size, >= `sequence_length`; frames are zero-padded to it.
        window: `"hann"`, `"hamming"`, a window tensor of `sequence_length`, or None.
        center: whether the signal is reflect-padded by `fft_length // 2` on both sides.

    Returns:
        A tuple `(real, imag)` of shape `(..., frames, fft_length // 2 + 1)`.

    Raises:
        ValueError: if `fft_length < sequence_length` or the window is invalid.
    """
    x = _convert(x)
    if x.dtype not in ("float32", "float64"):
        raise TypeError(f"Expected a float32 or float64 signal. Received: x.dtype={x.dtype.name}")
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must be at least `sequence_length`. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}"
        )
    window_values = _stft_window(window, sequence_length, fft_length, x.dtype)
    if center:
        paddings = [[0, 0]] * (x.shape.rank - 1) + [[fft_length // 2, fft_length // 2]]
        x = tf.pad(x, paddings, mode="reflect")
    result = tf.signal.stft(
        x,
        frame_length=fft_length,
        frame_step=sequence_stride,
        fft_length=fft_length,
        window_fn=None if window_values is None else (lambda length, dtype: window_values),
    )
    return tf.math.real(result), tf.math.imag(result)


@op("istft")
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse of `stft`: rebuilds a real signal from `(real, imag)` frames.

    Args:
        x: a tuple `(real, imag)` as returned by `stft`.
        sequence_length: frame length used by `stft`.
        sequence_stride: step between frames used by `stft`.
        fft_length: FFT size used by `stft`.
        length: length of the output; everything reconstructed when None.
        window: the window used by `stft`.
        center: whether `stft` centred the frames.

    Returns:
        The signal, `(..., samples)`.
    """
    spectrum = _complex(x, "istft")
    dtype = tf.math.real(spectrum).dtype
    expected_length = fft_length + sequence_stride * (tf.shape(spectrum)[-2] - 1)
    window_values = _stft_window(window, sequence_length, fft_length, dtype)
    window_fn = None
    if window_values is not None:
        window_fn = tf.signal.inverse_stft_window_fn(
            sequence_stride, lambda length, dtype: window_values
        )
    signal = tf.signal.inverse_stft(
        spectrum,
        frame_length=fft_length,
        frame_step=sequence_stride,
        fft_length=fft_length,
        window_fn=window_fn,
    )
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(fft_length // 2)
    else:
        end = expected_length
    return signal[..., start:end]


__all__ = [
    "cdist",
    "erf",
    "erfc",
    "erfinv",
    "extract_sequences",
    "fft",
    "fft2",
    "ifft2",
    "in_top_k",
    "irfft",
    "istft",
    "logdet",
    "logsumexp",
    "norm",
    "rfft",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "stft",
    "top_k",
    "view_as_complex",
    "view_as_real",
]
