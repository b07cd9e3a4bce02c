"""NumPy-style ops on TensorFlow tensors, with Keras 3's names, arguments and dtype rules.

Why one file of ~2,200 lines: it is a flat list of ~220 independent ops, one decorated
function each, mostly in the order of Keras's own `keras/src/ops/numpy.py` (the ops added for
Keras 3.15 follow at the end, grouped by theme); a reader finds an op by its name, and
splitting by letter or theme would only add imports.
"""

import builtins
import functools
import re

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.ops.core import _convert
from kerascore.ops.dtypes import dtype_of, result_type
from kerascore.ops.symbolic import named_op, op


def _promote(*values, extra=()):
    dtype = result_type(*(dtype_of(v) for v in values), *extra)
    return [_convert(v, dtype) for v in values]


def _promote_tensors(*values, float_result=False):
    """Like `_promote`, but Python scalars count as int32/float32 tensors (not weakly typed),
    and with `float_result` integers become `floatx()` (int64: float64), as Keras does for
    these functions."""
    tensors = [_convert(v) for v in values]
    dtype = result_type(*(t.dtype for t in tensors))
    if float_result:
        if dtype == "int64":
            dtype = "float64"
        elif "int" in dtype or dtype == "bool":
            dtype = backend.floatx()
    return [tf.cast(t, dtype) for t in tensors]


def _to_float(x):
    x = _convert(x)
    return tf.cast(x, result_type(x.dtype, float))


def _rank(x):
    return x.shape.rank


def _axes(axis, rank):
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    return [a % rank if rank else a for a in axes]


def _accumulation_dtype(dtype):
    dtype = backend.standardize_dtype(dtype)
    if dtype in ("bool", "int8", "int16"):
        return "int32"
    if dtype in ("uint8", "uint16"):
        return "uint32"
    return dtype


# ------------------------------------------------------------------ creation
@op("arange")
def arange(start, stop=None, step=None, dtype=None):
    """Returns evenly spaced values in `[start, stop)` (`[0, start)` when `stop` is None)."""
    if dtype is None:
        candidates = [getattr(v, "dtype", type(v)) for v in (start, stop, step) if v is not None]
        dtype = result_type(*candidates)
    dtype = backend.standardize_dtype(dtype)
    step = 1 if step is None else step
    if dtype in ("int32", "int64", "float32", "float64"):
        return tf.range(start, stop, delta=step, dtype=dtype)
    return tf.cast(tf.range(start, stop, delta=step, dtype="float32"), dtype)


@op("linspace")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """Returns `num` evenly spaced values from `start` to `stop` (inclusive if `endpoint`).

    Returns:
        The values, and the step between them as well when `retstep` is True.
    """
    if dtype is None:
        dtype = result_type(
            getattr(start, "dtype", type(start)), getattr(stop, "dtype", type(stop)), float
        )
    dtype = backend.standardize_dtype(dtype)
    compute = "float64" if dtype in ("float64", "int64") else "float32"
    start = _convert(start, compute)
    stop = _convert(stop, compute)
    divisions = (num - 1) if endpoint else num
    step = (stop - start) / divisions if divisions > 0 else tf.constant(np.nan, compute)
    last = stop if endpoint or num <= 1 else stop - step
    values = tf.linspace(start, last, num, axis=axis)
    if "int" in dtype:
        values = tf.floor(values)
    values = tf.cast(values, dtype)
    return (values, step) if retstep else values


@op("logspace")
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """Returns `base ** linspace(start, stop, num)`."""
    dtype = backend.standardize_dtype(dtype or result_type(type(start), type(stop), float))
    exponents = linspace(start, stop, num, endpoint=endpoint, dtype="float32", axis=axis)
    return tf.cast(tf.pow(tf.cast(base, "float32"), exponents), dtype)


def _creation_dtype(dtype):
    return backend.standardize_dtype(dtype or backend.floatx())


@op("zeros")
def zeros(shape, dtype=None):
    """Returns a tensor of zeros of `shape` (`floatx()` by default)."""
    return tf.zeros(shape, dtype=_creation_dtype(dtype))


@op("ones")
def ones(shape, dtype=None):
    """Returns a tensor of ones of `shape` (`floatx()` by default)."""
    return tf.ones(shape, dtype=_creation_dtype(dtype))


@op("empty")
def empty(shape, dtype=None):
    """Returns a tensor of `shape`; its values are zeros (TensorFlow has no uninitialised)."""
    return zeros(shape, dtype)


@op("full")
def full(shape, fill_value, dtype=None):
    """Returns a tensor of `shape` filled with `fill_value` (`floatx()` by default)."""
    return tf.broadcast_to(_convert(fill_value, _creation_dtype(dtype)), shape)


@op("zeros_like")
def zeros_like(x, dtype=None):
    """Returns zeros with the shape (and dtype, unless given) of `x`."""
    x = _convert(x)
    return tf.zeros_like(x, dtype=dtype or x.dtype)


@op("ones_like")
def ones_like(x, dtype=None):
    """Returns ones with the shape (and dtype, unless given) of `x`."""
    x = _convert(x)
    return tf.ones_like(x, dtype=dtype or x.dtype)


@op("empty_like")
def empty_like(x, dtype=None):
    """Returns zeros with the shape (and dtype, unless given) of `x`."""
    return zeros_like(x, dtype)


@op("full_like")
def full_like(x, fill_value, dtype=None):
    """Returns a tensor shaped like `x` filled with `fill_value`."""
    x = _convert(x)
    return tf.fill(tf.shape(x), _convert(fill_value, dtype or x.dtype))


def _diagonal_mask(rows, cols, k, compare):
    i = tf.range(rows)[:, None]
    j = tf.range(cols)[None, :]
    return compare(j - i, k)


@op("eye")
def eye(N, M=None, k=0, dtype=None):
    """Returns an `N x M` matrix with ones on the `k`-th diagonal."""
    mask = _diagonal_mask(N, N if M is None else M, k, tf.equal)
    return tf.cast(mask, _creation_dtype(dtype))


@op("identity")
def identity(n, dtype=None):
    """Returns the `n x n` identity matrix."""
    return eye(n, dtype=dtype)


@op("tri")
def tri(N, M=None, k=0, dtype=None):
    """Returns an `N x M` matrix with ones at and below the `k`-th diagonal."""
    mask = _diagonal_mask(N, N if M is None else M, k, tf.less_equal)
    return tf.cast(mask, _creation_dtype(dtype))


@op("array")
def array(x, dtype=None):
    """Converts `x` to a tensor (of `dtype` when given)."""
    return _convert(x, dtype)


@op("copy")
def copy(x):
    """Returns a copy of `x`."""
    return tf.identity(_convert(x))


# ------------------------------------------------------------------ elementwise binary
@op("add")
def add(x1, x2):
    """Elementwise `x1 + x2` with broadcasting."""
    x1, x2 = _promote(x1, x2)
    return tf.add(x1, x2)


@op("subtract")
def subtract(x1, x2):
    """Elementwise `x1 - x2`."""
    x1, x2 = _promote(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_xor(x1, x2)
    return tf.subtract(x1, x2)


@op("multiply")
def multiply(x1, x2):
    """Elementwise `x1 * x2`."""
    x1, x2 = _promote(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_and(x1, x2)
    return tf.multiply(x1, x2)


@op("divide")
def divide(x1, x2):
    """Elementwise true division `x1 / x2` (a float result)."""
    x1, x2 = _promote(x1, x2, extra=(float,))
    return tf.divide(x1, x2)


true_divide = divide


@op("divide_no_nan")
def divide_no_nan(x1, x2):
    """Elementwise `x1 / x2`, 0 where `x2` is 0."""
    x1, x2 = _promote(x1, x2, extra=(float,))
    return tf.math.divide_no_nan(x1, x2)


@op("floor_divide")
def floor_divide(x1, x2):
    """Elementwise `x1 // x2`."""
    x1, x2 = _promote(x1, x2)
    return tf.math.floordiv(x1, x2)


@op("mod")
def mod(x1, x2):
    """Elementwise remainder with the sign of the divisor, as NumPy's `mod`."""
    x1, x2 = _promote_tensors(x1, x2)
    if x1.dtype == tf.bool:
        x1, x2 = tf.cast(x1, "int32"), tf.cast(x2, "int32")
    return tf.math.floormod(x1, x2)


@op("power")
def power(x1, x2):
    """Elementwise `x1 ** x2`."""
    x1, x2 = _promote(x1, x2)
    return tf.pow(x1, x2)


@op("maximum")
def maximum(x1, x2):
    """Elementwise maximum."""
    x1, x2 = _promote(x1, x2)
    return tf.maximum(x1, x2)


@op("minimum")
def minimum(x1, x2):
    """Elementwise minimum."""
    x1, x2 = _promote(x1, x2)
    return tf.minimum(x1, x2)


@op("arctan2")
def arctan2(x1, x2):
    """Elementwise angle of the point `(x2, x1)`."""
    x1, x2 = _promote_tensors(x1, x2, float_result=True)
    return tf.math.atan2(x1, x2)


@op("hypot")
def hypot(x1, x2):
    """Elementwise `sqrt(x1**2 + x2**2)`."""
    x1, x2 = _promote_tensors(x1, x2, float_result=True)
    larger = tf.maximum(tf.abs(x1), tf.abs(x2))
    ratio = tf.math.divide_no_nan(tf.minimum(tf.abs(x1), tf.abs(x2)), larger)
    return larger * tf.sqrt(1.0 + tf.square(ratio))


@op("logaddexp")
def logaddexp(x1, x2):
    """Elementwise `log(exp(x1) + exp(x2))`, computed stably."""
    x1, x2 = _promote_tensors(x1, x2, float_result=True)
    larger = tf.maximum(x1, x2)
    return larger + tf.math.log1p(tf.exp(-tf.abs(x1 - x2)))


def _comparison(name, function, doc):
    def compare(x1, x2):
        x1, x2 = _promote(x1, x2)
        return function(x1, x2)

    return named_op(name, compare, doc)


equal = _comparison("equal", tf.equal, "Elementwise `x1 == x2`.")
not_equal = _comparison("not_equal", tf.not_equal, "Elementwise `x1 != x2`.")
greater = _comparison("greater", tf.greater, "Elementwise `x1 > x2`.")
greater_equal = _comparison("greater_equal", tf.greater_equal, "Elementwise `x1 >= x2`.")
less = _comparison("less", tf.less, "Elementwise `x1 < x2`.")
less_equal = _comparison("less_equal", tf.less_equal, "Elementwise `x1 <= x2`.")


def _logical(name, function, doc):
    def logical(x1, x2):
        return function(_convert(x1, "bool"), _convert(x2, "bool"))

    return named_op(name, logical, doc)


logical_and = _logical(
    "logical_and", tf.logical_and, "Elementwise logical and (inputs cast to bool)."
)
logical_or = _logical("logical_or", tf.logical_or, "Elementwise logical or (inputs cast to bool).")
logical_xor = _logical(
    "logical_xor", tf.math.logical_xor, "Elementwise logical exclusive or (inputs cast to bool)."
)


@op("logical_not")
def logical_not(x):
    """Elementwise logical not (input cast to bool)."""
    return tf.logical_not(_convert(x, "bool"))


@op("isclose")
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise `|x1 - x2| <= atol + rtol * |x2|`."""
    x1, x2 = _promote(x1, x2, extra=(float,))
    close = tf.abs(x1 - x2) <= atol + rtol * tf.abs(x2)
    close = tf.logical_or(close, tf.equal(x1, x2))
    if equal_nan:
        close = tf.logical_or(close, tf.logical_and(tf.math.is_nan(x1), tf.math.is_nan(x2)))
    return close


@op("allclose")
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether `isclose` holds for every element."""
    return tf.reduce_all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


# ------------------------------------------------------------------ elementwise unary
def _float_unary(name, function, doc, wide_int64=False):
    def unary(x):
        x = _convert(x)
        if wide_int64 and x.dtype == tf.int64:
            return function(tf.cast(x, "float64"))
        return function(_to_float(x))

    return named_op(name, unary, doc)


sqrt = _float_unary("sqrt", tf.sqrt, "Elementwise square root (a float result).")
exp = _float_unary("exp", tf.exp, "Elementwise `e ** x`.")
exp2 = _float_unary("exp2", lambda x: tf.pow(tf.cast(2, x.dtype), x), "Elementwise `2 ** x`.")
expm1 = _float_unary("expm1", tf.math.expm1, "Elementwise `exp(x) - 1`, exact near zero.")
log = _float_unary("log", tf.math.log, "Elementwise natural logarithm.")
log2 = _float_unary(
    "log2",
    lambda x: tf.math.log(x) / tf.math.log(tf.cast(2, x.dtype)),
    "Elementwise base-2 logarithm.",
)
log10 = _float_unary(
    "log10",
    lambda x: tf.math.log(x) / tf.math.log(tf.cast(10, x.dtype)),
    "Elementwise base-10 logarithm.",
)
log1p = _float_unary("log1p", tf.math.log1p, "Elementwise `log(1 + x)`, exact near zero.")
sin = _float_unary("sin", tf.sin, "Elementwise sine.")
cos = _float_unary("cos", tf.cos, "Elementwise cosine.")
tan = _float_unary("tan", tf.tan, "Elementwise tangent.")
arcsin = _float_unary("arcsin", tf.asin, "Elementwise inverse sine.")
arccos = _float_unary("arccos", tf.acos, "Elementwise inverse cosine.")
arctan = _float_unary("arctan", tf.atan, "Elementwise inverse tangent.")
sinh = _float_unary("sinh", tf.sinh, "Elementwise hyperbolic sine.")
cosh = _float_unary("cosh", tf.cosh, "Elementwise hyperbolic cosine.")
tanh = _float_unary("tanh", tf.tanh, "Elementwise hyperbolic tangent.")
arcsinh = _float_unary("arcsinh", tf.asinh, "Elementwise inverse hyperbolic sine.")
arccosh = _float_unary("arccosh", tf.acosh, "Elementwise inverse hyperbolic cosine.")
arctanh = _float_unary("arctanh", tf.atanh, "Elementwise inverse hyperbolic tangent.")
reciprocal = _float_unary("reciprocal", tf.math.reciprocal, "Elementwise `1 / x`.")


floor = _float_unary("floor", tf.floor, "Elementwise floor (a float result).")
ceil = _float_unary("ceil", tf.math.ceil, "Elementwise ceiling (a float result).")


@op("trunc")
def trunc(x):
    """Elementwise rounding towards zero."""
    x = _convert(x)
    if not x.dtype.is_floating:
        return x
    return tf.where(x < 0, tf.math.ceil(x), tf.floor(x))


@op("abs")
def abs(x):
    """Elementwise absolute value."""
    x = _convert(x)
    if x.dtype == tf.bool or x.dtype.is_unsigned:
        return x
    return tf.abs(x)


absolute = abs


@op("negative")
def negative(x):
    """Elementwise `-x`."""
    return tf.negative(_convert(x))


@op("square")
def square(x):
    """Elementwise `x ** 2` (bool inputs give int32)."""
    x = _convert(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.square(x)


@op("sign")
def sign(x):
    """Elementwise sign: -1, 0 or 1."""
    x = _convert(x)
    if x.dtype.is_unsigned:
        return tf.cast(tf.not_equal(x, 0), x.dtype)
    return tf.sign(x)


@op("round")
def round(x, decimals=0):
    """Elementwise rounding to `decimals` places, half to even as NumPy."""
    x = _convert(x)
    if decimals == 0:
        return x if x.dtype.is_integer else tf.round(x)
    if x.dtype.is_integer:
        if decimals > 0:
            return x
        factor = tf.cast(10 ** (-decimals), "float32")
        return tf.cast(tf.round(tf.cast(x, "float32") / factor) * factor, x.dtype)
    factor = tf.cast(10.0**decimals, x.dtype)
    return tf.round(x * factor) / factor


@op("clip")
def clip(x, x_min, x_max):
    """Limits the values of `x` to `[x_min, x_max]`."""
    x = _convert(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.clip_by_value(x, _convert(x_min, x.dtype), _convert(x_max, x.dtype))


@op("isnan")
def isnan(x):
    """Elementwise test for NaN."""
    x = _convert(x)
    return tf.math.is_nan(x) if x.dtype.is_floating else tf.zeros_like(x, dtype="bool")


@op("isinf")
def isinf(x):
    """Elementwise test for positive or negative infinity."""
    x = _convert(x)
    return tf.math.is_inf(x) if x.dtype.is_floating else tf.zeros_like(x, dtype="bool")


@op("isfinite")
def isfinite(x):
    """Elementwise test for finite values."""
    x = _convert(x)
    return tf.math.is_finite(x) if x.dtype.is_floating else tf.ones_like(x, dtype="bool")


@op("nan_to_num")
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replaces NaN with `nan` and infinities with `posinf`/`neginf` (the dtype's extremes)."""
    x = _convert(x)
    if not x.dtype.is_floating:
        return x
    largest = x.dtype.max if posinf is None else posinf
    smallest = x.dtype.min if neginf is None else neginf
    x = tf.where(tf.math.is_nan(x), tf.cast(nan, x.dtype), x)
    x = tf.where(tf.logical_and(tf.math.is_inf(x), x > 0), tf.cast(largest, x.dtype), x)
    return tf.where(tf.logical_and(tf.math.is_inf(x), x < 0), tf.cast(smallest, x.dtype), x)


# ------------------------------------------------------------------ reductions
@op("sum")
def sum(x, axis=None, keepdims=False):
    """Sum over `axis` (all axes when None); small ints and bools accumulate in int32."""
    x = _convert(x)
    x = tf.cast(x, _accumulation_dtype(x.dtype))
    return tf.reduce_sum(x, axis=axis, keepdims=keepdims)


@op("prod")
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over `axis`."""
    x = _convert(x)
    x = tf.cast(x, dtype or _accumulation_dtype(x.dtype))
    return tf.reduce_prod(x, axis=axis, keepdims=keepdims)


@op("mean")
def mean(x, axis=None, keepdims=False):
    """Mean over `axis`; integer inputs give a float result."""
    x = _convert(x)
    original = backend.standardize_dtype(x.dtype)
    compute = result_type(x.dtype, "float32")
    out_dtype = compute if ("int" in original or original == "bool") else original
    return tf.cast(tf.reduce_mean(tf.cast(x, compute), axis=axis, keepdims=keepdims), out_dtype)


@op("var")
def var(x, axis=None, keepdims=False):
    """Population variance over `axis`."""
    x = _convert(x)
    compute = result_type(x.dtype, "float32")
    out_dtype = result_type(x.dtype, float)
    value = tf.math.reduce_variance(tf.cast(x, compute), axis=axis, keepdims=keepdims)
    return tf.cast(value, out_dtype)


@op("std")
def std(x, axis=None, keepdims=False):
    """Population standard deviation over `axis`."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


@op("max")
def max(x, axis=None, keepdims=False, initial=None):
    """Maximum over `axis`, not below `initial` when given."""
    x = _convert(x)
    if x.dtype == tf.bool:
        result = tf.reduce_any(x, axis=axis, keepdims=keepdims)
        return result if initial is None else tf.logical_or(result, bool(initial))
    result = tf.reduce_max(x, axis=axis, keepdims=keepdims)
    return result if initial is None else tf.maximum(result, tf.cast(initial, x.dtype))


@op("min")
def min(x, axis=None, keepdims=False, initial=None):
    """Minimum over `axis`, not above `initial` when given."""
    x = _convert(x)
    if x.dtype == tf.bool:
        result = tf.reduce_all(x, axis=axis, keepdims=keepdims)
        return result if initial is None else tf.logical_and(result, bool(initial))
    result = tf.reduce_min(x, axis=axis, keepdims=keepdims)
    return result if initial is None else tf.minimum(result, tf.cast(initial, x.dtype))


amax = max
amin = min


@op("ptp")
def ptp(x, axis=None, keepdims=False):
    """Range (`max - min`) over `axis`."""
    x = _convert(x)
    return tf.reduce_max(x, axis=axis, keepdims=keepdims) - tf.reduce_min(
        x, axis=axis, keepdims=keepdims
    )


@op("any")
def any(x, axis=None, keepdims=False):
    """Whether any element over `axis` is true (nonzero)."""
    return tf.reduce_any(_convert(x, "bool"), axis=axis, keepdims=keepdims)


@op("all")
def all(x, axis=None, keepdims=False):
    """Whether every element over `axis` is true (nonzero)."""
    return tf.reduce_all(_convert(x, "bool"), axis=axis, keepdims=keepdims)


def _arg_reduce(function, x, axis, keepdims):
    x = _convert(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    if axis is None:
        result = function(tf.reshape(x, [-1]), axis=0, output_type="int32")
        return tf.reshape(result, [1] * _rank(x)) if keepdims else result
    result = function(x, axis=axis, output_type="int32")
    return tf.expand_dims(result, axis) if keepdims else result


@op("argmax")
def argmax(x, axis=None, keepdims=False):
    """Index (int32) of the maximum along `axis`, of the flattened input when None."""
    return _arg_reduce(tf.argmax, x, axis, keepdims)


@op("argmin")
def argmin(x, axis=None, keepdims=False):
    """Index (int32) of the minimum along `axis`, of the flattened input when None."""
    return _arg_reduce(tf.argmin, x, axis, keepdims)


@op("count_nonzero")
def count_nonzero(x, axis=None):
    """Number of nonzero elements over `axis` (int32)."""
    return tf.math.count_nonzero(_convert(x), axis=axis, dtype="int32")


@op("average")
def average(x, axis=None, weights=None):
    """Weighted mean over `axis` (a plain mean when `weights` is None)."""
    if weights is None:
        return mean(x, axis=axis)
    x, weights = _promote(x, weights, extra=(float,))
    if _rank(weights) == 1 and _rank(x) > 1 and axis is not None:
        shape = [1] * _rank(x)
        shape[axis] = -1
        weights = tf.reshape(weights, shape)
    return tf.reduce_sum(x * weights, axis=axis) / tf.reduce_sum(
        weights * tf.ones_like(x), axis=axis
    )


def _moved_to_last(x, axis):
    """Returns `x` with the reduced axes moved last and flattened into one."""
    rank = _rank(x)
    if axis is None:
        return tf.reshape(x, [-1])
    axes = _axes(axis, rank)
    kept = [d for d in builtins.range(rank) if d not in axes]
    moved = tf.transpose(x, kept + axes)
    kept_shape = tf.shape(moved)[: len(kept)]
    return tf.reshape(moved, tf.concat([kept_shape, [-1]], 0))


@op("quantile")
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantile(s) of `x` over `axis`, with NumPy's interpolation `method`.

    Args:
        x: input tensor.
        q: a quantile in [0, 1], or a 1-D tensor of them (a leading output axis).
        axis: the axis or axes to reduce; all when None.
        method: one of `linear`, `lower`, `higher`, `midpoint`, `nearest`.
        keepdims: keep the reduced axes with size 1.
    """
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"Expected method in {methods}. Received: method={method!r}")
    x = _to_float(x)
    q_tensor = _convert(q, x.dtype)
    flat = _moved_to_last(x, axis)
    values = tf.sort(flat, axis=-1)
    count = tf.cast(tf.shape(values)[-1], x.dtype)
    position = q_tensor * (count - 1)
    below = tf.floor(position)
    above = tf.math.ceil(position)
    if method == "lower":
        index_low = index_high = below
    elif method == "higher":
        index_low = index_high = above
    elif method == "nearest":
        index_low = index_high = tf.round(position)
    else:
        index_low, index_high = below, above
    low = tf.gather(values, tf.cast(index_low, "int32"), axis=-1)
    high = tf.gather(values, tf.cast(index_high, "int32"), axis=-1)
    if method == "linear":
        fraction = position - below
        result = low + (high - low) * fraction
    elif method == "midpoint":
        result = (low + high) / 2
    else:
        result = low
    if _rank(q_tensor) == 1:
        result = tf.transpose(result, [_rank(result) - 1, *builtins.range(_rank(result) - 1)])
    if keepdims:
        rank = _rank(x)
        reduced = builtins.range(rank) if axis is None else _axes(axis, rank)
        shape = tf.shape(x)
        target = [1 if d in reduced else shape[d] for d in builtins.range(rank)]
        if _rank(q_tensor) == 1:
            target = [tf.shape(q_tensor)[0], *target]
        result = tf.reshape(result, tf.stack(target))
    return result


@op("percentile")
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentile(s) of `x` (`q` in [0, 100])."""
    return quantile(x, _convert(q, "float32") / 100.0, axis=axis, method=method, keepdims=keepdims)


@op("median")
def median(x, axis=None, keepdims=False):
    """Median of `x` over `axis`."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


@op("cumsum")
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along `axis` (of the flattened input when None)."""
    x = _convert(x, dtype)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.math.cumsum(x, axis=axis)


@op("cumprod")
def cumprod(x, axis=None, dtype=None):
    """Cumulative product along `axis` (of the flattened input when None)."""
    x = _convert(x, dtype)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.math.cumprod(x, axis=axis)


# ------------------------------------------------------------------ shapes
@op("reshape")
def reshape(x, newshape):
    """Gives `x` the shape `newshape` (one entry may be -1)."""
    return tf.reshape(_convert(x), newshape)


@op("ravel")
def ravel(x):
    """Flattens `x` to one dimension."""
    return tf.reshape(_convert(x), [-1])


@op("transpose")
def transpose(x, axes=None):
    """Permutes the axes of `x` (reverses them when `axes` is None)."""
    return tf.transpose(_convert(x), perm=axes)


@op("expand_dims")
def expand_dims(x, axis):
    """Inserts axes of size 1 at `axis` (an int or a tuple of them)."""
    x = _convert(x)
    if not isinstance(axis, (list, tuple)):
        return tf.expand_dims(x, axis)
    out_rank = _rank(x) + len(axis)
    for position in sorted(a % out_rank for a in axis):
        x = tf.expand_dims(x, position)
    return x


@op("squeeze")
def squeeze(x, axis=None):
    """Removes axes of size 1 (only those in `axis` when given)."""
    x = _convert(x)
    if axis is not None:
        for a in _axes(axis, _rank(x)):
            if x.shape[a] is not None and x.shape[a] != 1:
                raise ValueError(
                    f"Cannot squeeze axis {a}: its size is {x.shape[a]}, not 1. Received: "
                    f"x.shape={tuple(x.shape)}, axis={axis}"
                )
    return tf.squeeze(x, axis=axis)


@op("broadcast_to")
def broadcast_to(x, shape):
    """Broadcasts `x` to `shape`."""
    return tf.broadcast_to(_convert(x), shape)


@op("tile")
def tile(x, repeats):
    """Repeats `x` `repeats[i]` times along each axis (NumPy's rules for unequal lengths)."""
    x = _convert(x)
    repeats = list(repeats) if isinstance(repeats, (list, tuple)) else [repeats]
    rank = _rank(x)
    if len(repeats) < rank:
        repeats = [1] * (rank - len(repeats)) + repeats
    elif len(repeats) > rank:
        x = tf.reshape(x, tf.concat([[1] * (len(repeats) - rank), tf.shape(x)], 0))
    return tf.tile(x, repeats)


@op("repeat")
def repeat(x, repeats, axis=None):
    """Repeats each element `repeats` times along `axis` (of the flattened input when None)."""
    x = _convert(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.repeat(x, repeats, axis=axis)


@op("concatenate")
def concatenate(xs, axis=0):
    """Joins tensors along an existing axis (`axis=None` flattens them first)."""
    xs = _promote(*xs)
    if axis is None:
        xs, axis = [tf.reshape(x, [-1]) for x in xs], 0
    return tf.concat(xs, axis=axis)


@op("stack")
def stack(x, axis=0):
    """Joins tensors along a new axis."""
    return tf.stack(_promote(*x), axis=axis)


@op("vstack")
def vstack(xs):
    """Stacks tensors along the first axis (1-D inputs become rows)."""
    xs = [tf.reshape(x, [1, -1]) if _rank(x) == 1 else x for x in _promote(*xs)]
    return tf.concat(xs, axis=0)


@op("hstack")
def hstack(xs):
    """Stacks tensors along the second axis (the first for 1-D inputs)."""
    xs = _promote(*xs)
    return tf.concat(xs, axis=0 if _rank(xs[0]) == 1 else 1)


@op("split")
def split(x, indices_or_sections, axis=0):
    """Splits `x` into equal sections (an int) or at the given indices (a list).

    Returns:
        A list of tensors.
    """
    x = _convert(x)
    if isinstance(indices_or_sections, int):
        size = x.shape[axis]
        if size is not None and size % indices_or_sections:
            raise ValueError(
                f"Cannot split an axis of size {size} into {indices_or_sections} equal "
                f"sections. Received: indices_or_sections={indices_or_sections}"
            )
        return tf.split(x, indices_or_sections, axis=axis)
    total = x.shape[axis] if x.shape[axis] is not None else tf.shape(x)[axis]
    bounds = [0, *list(indices_or_sections), total]
    return [
        tf.gather(x, tf.range(bounds[i], bounds[i + 1]), axis=axis)
        for i in builtins.range(len(bounds) - 1)
    ]


@op("array_split")
def array_split(x, indices_or_sections, axis=0):
    """Splits `x` into `indices_or_sections` nearly equal parts (the first ones larger)."""
    x = _convert(x)
    size = x.shape[axis]
    base, extra = divmod(size, indices_or_sections)
    sizes = [base + 1] * extra + [base] * (indices_or_sections - extra)
    return tf.split(x, sizes, axis=axis)


@op("moveaxis")
def moveaxis(x, source, destination):
    """Moves axes `source` to positions `destination`."""
    x = _convert(x)
    rank = _rank(x)
    source = _axes(source, rank)
    destination = _axes(destination, rank)
    order = [d for d in builtins.range(rank) if d not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return tf.transpose(x, order)


@op("swapaxes")
def swapaxes(x, axis1, axis2):
    """Swaps two axes."""
    x = _convert(x)
    perm = list(builtins.range(_rank(x)))
    a, b = axis1 % len(perm), axis2 % len(perm)
    perm[a], perm[b] = perm[b], perm[a]
    return tf.transpose(x, perm)


@op("flip")
def flip(x, axis=None):
    """Reverses the order of elements along `axis` (all axes when None)."""
    x = _convert(x)
    axes = list(builtins.range(_rank(x))) if axis is None else _axes(axis, _rank(x))
    return tf.reverse(x, axes)


@op("roll")
def roll(x, shift, axis=None):
    """Rolls elements along `axis` (of the flattened input when None)."""
    x = _convert(x)
    if axis is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), tf.shape(x))
    return tf.roll(x, shift, axis)


@op("pad")
def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads `x`; `pad_width` is an int, a `(before, after)` pair or one pair per axis.

    Args:
        x: input tensor.
        pad_width: as NumPy's `pad`.
        mode: `"constant"`, `"reflect"` or `"symmetric"`.
        constant_values: the padding value for `"constant"` (0 by default).
    """
    modes = ("constant", "reflect", "symmetric")
    if mode not in modes:
        raise ValueError(f"Expected mode in {modes}. Received: mode={mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError(
            f"`constant_values` can only be given when mode='constant'. Received: mode={mode!r}"
        )
    x = _convert(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype="int64"), (_rank(x), 2))
    kwargs = {} if constant_values is None else {"constant_values": constant_values}
    return tf.pad(x, widths.tolist(), mode.upper(), **kwargs)


@op("tril")
def tril(x, k=0):
    """Zeroes the elements above the `k`-th diagonal of the last two axes."""
    x = _convert(x)
    shape = tf.shape(x)
    mask = _diagonal_mask(shape[-2], shape[-1], k, tf.less_equal)
    return tf.where(mask, x, tf.zeros_like(x))


@op("triu")
def triu(x, k=0):
    """Zeroes the elements below the `k`-th diagonal of the last two axes."""
    x = _convert(x)
    shape = tf.shape(x)
    mask = _diagonal_mask(shape[-2], shape[-1], k, tf.greater_equal)
    return tf.where(mask, x, tf.zeros_like(x))


@op("diag")
def diag(x, k=0):
    """A 1-D input becomes a diagonal matrix; a 2-D input gives its `k`-th diagonal."""
    x = _convert(x)
    if _rank(x) == 1:
        return tf.linalg.diag(x, k=k)
    if _rank(x) == 2:
        return tf.linalg.diag_part(x, k=k)
    raise ValueError(f"diag expects a 1-D or 2-D input. Received: x.shape={tuple(x.shape)}")


@op("diagonal")
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal (offset by `offset`) of the planes spanned by `axis1` and `axis2`."""
    x = _convert(x)
    moved = moveaxis(x, [axis1, axis2], [-2, -1])
    return tf.linalg.diag_part(moved, k=offset)


@op("trace")
def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of the diagonal given by `offset`, `axis1` and `axis2`."""
    values = diagonal(x, offset=offset, axis1=axis1, axis2=axis2)
    return tf.reduce_sum(tf.cast(values, _accumulation_dtype(values.dtype)), axis=-1)


@op("meshgrid")
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D coordinate vectors (`indexing` "xy" or "ij")."""
    return tf.meshgrid(*x, indexing=indexing)


@op("diff")
def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis`."""
    a = _convert(a)
    for _ in builtins.range(n):
        size = tf.shape(a)[axis]
        a = tf.gather(a, tf.range(1, size), axis=axis) - tf.gather(a, tf.range(size - 1), axis=axis)
    return a


# ------------------------------------------------------------------ indexing and selection
@op("take")
def take(x, indices, axis=None):
    """Gathers elements of `x` at `indices` along `axis` (of the flattened input when None).

    Negative indices count from the end.
    """
    x = _convert(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    indices = _convert(indices)
    if not indices.dtype.is_integer:
        indices = tf.cast(indices, "int32")
    size = tf.cast(tf.shape(x)[axis], indices.dtype)
    indices = tf.where(indices < 0, indices + size, indices)
    return tf.gather(x, indices, axis=axis)


@op("take_along_axis")
def take_along_axis(x, indices, axis=None):
    """Gathers `x` at `indices` along `axis`, `indices` broadcast with `x` elsewhere."""
    x = _convert(x)
    indices = _convert(indices, "int64")
    if axis is None:
        if _rank(indices) != 1:
            raise ValueError(
                f"`indices` must be 1-D when axis=None. Received: indices.shape="
                f"{tuple(indices.shape)}"
            )
        x, axis = tf.reshape(x, [-1]), 0
    rank = _rank(x)
    axis = axis % rank
    x_shape = tf.shape(x, out_type="int64")
    indices_shape = tf.shape(indices, out_type="int64")
    ones = tf.ones([1], "int64")
    without_axis = lambda s: tf.concat([s[:axis], ones, s[axis + 1 :]], 0)  # noqa: E731
    common = tf.broadcast_dynamic_shape(without_axis(x_shape), without_axis(indices_shape))
    x = tf.broadcast_to(
        x, tf.concat([common[:axis], x_shape[axis : axis + 1], common[axis + 1 :]], 0)
    )
    indices = tf.broadcast_to(
        indices, tf.concat([common[:axis], indices_shape[axis : axis + 1], common[axis + 1 :]], 0)
    )
    indices = tf.where(indices < 0, indices + x_shape[axis], indices)
    perm = [d for d in builtins.range(rank) if d != axis] + [axis]
    inverse = np.argsort(perm).tolist()
    gathered = tf.gather(tf.transpose(x, perm), tf.transpose(indices, perm), batch_dims=rank - 1)
    return tf.transpose(gathered, inverse)


@op("where")
def where(condition, x1=None, x2=None):
    """Elementwise `x1 if condition else x2`; with one argument, the indices where true."""
    condition = _convert(condition, "bool")
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError(
            f"`x1` and `x2` must both be given or both be None. Received: x1={x1!r}, x2={x2!r}"
        )
    x1, x2 = _promote(x1, x2)
    return tf.where(condition, x1, x2)


@op("nonzero")
def nonzero(x):
    """The indices of the nonzero elements, one tensor per axis."""
    x = _convert(x)
    return tuple(tf.unstack(tf.where(tf.cast(x, "bool")), _rank(x), axis=1))


@op("select")
def select(condlist, choicelist, default=0):
    """Picks, elementwise, from the first `choicelist` entry whose condition holds."""
    choices = _promote(*choicelist)
    result = tf.broadcast_to(tf.cast(default, choices[0].dtype), tf.shape(choices[0]))
    for condition, choice in reversed(list(zip(condlist, choices))):
        result = tf.where(_convert(condition, "bool"), choice, result)
    return result


@op("get_item")
def get_item(x, key):
    """`x[key]`."""
    return _convert(x)[key]


@op("sort")
def sort(x, axis=-1):
    """Sorts `x` along `axis` in ascending order."""
    x = _convert(x)
    if x.dtype == tf.bool:
        return tf.cast(tf.sort(tf.cast(x, "uint8"), axis=axis), "bool")
    return tf.sort(x, axis=axis)


@op("argsort")
def argsort(x, axis=-1):
    """Indices (int32) that sort `x` along `axis` (stable)."""
    x = _convert(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, "uint8")
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.argsort(x, axis=axis, stable=True)


@op("searchsorted")
def searchsorted(sorted_sequence, values, side="left"):
    """Indices where `values` would be inserted to keep the 1-D `sorted_sequence` sorted."""
    sorted_sequence, values = _promote(sorted_sequence, values)
    shape = tf.shape(values)
    flat = tf.reshape(values, [1, -1])
    result = tf.searchsorted(sorted_sequence[None], flat, side=side, out_type="int32")
    return tf.reshape(result, shape)


@op("digitize")
def digitize(x, bins):
    """Index of the bin each element of `x` falls in (`bins` increasing)."""
    x = _convert(x)
    bins = [float(b) for b in np.asarray(bins).tolist()]
    if x.dtype not in (tf.float32, tf.float64, tf.int32, tf.int64):
        x = tf.cast(x, "float32")
    return tf.raw_ops.Bucketize(input=x, boundaries=bins)


@op("bincount")
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts occurrences of each non-negative int (weighted by `weights` when given)."""
    x = _convert(x)
    dtype = "int32" if weights is None else result_type(dtype_of(weights))
    if weights is not None:
        weights = _convert(weights)
    return tf.cast(
        tf.math.bincount(
            x, weights=weights, minlength=minlength, axis=-1 if _rank(x) == 2 else None
        ),
        dtype,
    )


# ------------------------------------------------------------------ linear algebra
@op("matmul")
def matmul(x1, x2):
    """Matrix product with NumPy's rules (1-D operands, broadcast batch axes)."""
    x1, x2 = _promote(x1, x2)
    squeeze_first = _rank(x1) == 1
    squeeze_last = _rank(x2) == 1
    if squeeze_first:
        x1 = x1[None, :]
    if squeeze_last:
        x2 = x2[:, None]
    result = tf.linalg.matmul(x1, x2)
    if squeeze_first:
        result = tf.squeeze(result, -2)
    if squeeze_last:
        result = tf.squeeze(result, -1)
    return result


@op("dot")
def dot(x1, x2):
    """NumPy's `dot`: products of scalars, inner product of vectors, else tensordot."""
    x1, x2 = _promote(x1, x2)
    if _rank(x1) == 0 or _rank(x2) == 0:
        return x1 * x2
    if _rank(x2) == 1:
        return tf.reduce_sum(x1 * x2, axis=-1)
    return tf.tensordot(x1, x2, [[_rank(x1) - 1], [_rank(x2) - 2]])


@op("vdot")
def vdot(x1, x2):
    """Inner product of the flattened inputs."""
    x1, x2 = _promote(x1, x2)
    return tf.reduce_sum(tf.reshape(x1, [-1]) * tf.reshape(x2, [-1]))


@op("inner")
def inner(x1, x2):
    """Inner product over the last axes."""
    x1, x2 = _promote(x1, x2)
    if _rank(x1) == 0 or _rank(x2) == 0:
        return x1 * x2
    return tf.tensordot(x1, x2, [[-1], [-1]])


@op("outer")
def outer(x1, x2):
    """Outer product of the flattened inputs."""
    x1, x2 = _promote(x1, x2)
    return tf.reshape(x1, [-1, 1]) * tf.reshape(x2, [1, -1])


@op("tensordot")
def tensordot(x1, x2, axes=2):
    """Sum of products over the given axes (an int: the last/first `axes` axes)."""
    x1, x2 = _promote(x1, x2)
    return tf.tensordot(x1, x2, axes=axes)


@op("einsum")
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, e.g. `einsum("ij,jk->ik", a, b)`."""
    return tf.einsum(subscripts, *_promote(*operands), **kwargs)


@op("cross")
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors along the given axes."""
    x1, x2 = _promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    x1 = moveaxis(x1, axisa, -1)
    x2 = moveaxis(x2, axisb, -1)
    common = tf.broadcast_dynamic_shape(tf.shape(x1), tf.shape(x2))
    product = tf.linalg.cross(tf.broadcast_to(x1, common), tf.broadcast_to(x2, common))
    return moveaxis(product, -1, axisc)


@op("kron")
def kron(x1, x2):
    """Kronecker product of two 2-D tensors."""
    x1, x2 = _promote(x1, x2)
    rows = x1[:, None, :, None] * x2[None, :, None, :]
    shape = tf.shape(x1) * tf.shape(x2)
    return tf.reshape(rows, shape)


@op("ndim")
def ndim(x):
    """The rank of `x`."""
    return _rank(_convert(x))


@op("size")
def size(x):
    """The number of elements of `x`."""
    return tf.size(_convert(x))


# ------------------------------------------------------------------ more NumPy functions
cbrt = _float_unary(
    "cbrt",
    lambda x: tf.sign(x) * tf.pow(tf.abs(x), 1.0 / 3.0),
    "Elementwise cube root.",
    wide_int64=True,
)
deg2rad = _float_unary(
    "deg2rad", lambda x: x * (np.pi / 180.0), "Degrees to radians.", wide_int64=True
)
rad2deg = _float_unary(
    "rad2deg", lambda x: x * (180.0 / np.pi), "Radians to degrees.", wide_int64=True
)
fabs = _float_unary("fabs", tf.abs, "Elementwise absolute value as a float.")


def _sinc(x):
    safe = tf.where(tf.equal(x, 0), tf.ones_like(x), np.pi * x)
    return tf.where(tf.equal(x, 0), tf.ones_like(x), tf.sin(safe) / safe)


sinc = _float_unary("sinc", _sinc, "Elementwise normalized sinc, `sin(pi x) / (pi x)`.")


@op("signbit")
def signbit(x):
    """Elementwise test for a set sign bit (negative values, including -0.0)."""
    x = _convert(x)
    if x.dtype == tf.bool or x.dtype.is_unsigned:
        return tf.zeros_like(x, dtype="bool")
    if x.dtype.is_floating:
        return tf.bitcast(x, {2: tf.int16, 4: tf.int32, 8: tf.int64}[x.dtype.size]) < 0
    return x < 0


@op("heaviside")
def heaviside(x1, x2):
    """Step function: 0 below zero, `x2` at zero, 1 above."""
    x1, x2 = _promote_tensors(x1, x2, float_result=True)
    at_zero = tf.broadcast_to(x2, tf.shape(x1 + x2))
    x1 = tf.broadcast_to(x1, tf.shape(at_zero))
    return tf.where(x1 < 0, tf.zeros_like(x1), tf.where(x1 > 0, tf.ones_like(x1), at_zero))


@op("fmod")
def fmod(x1, x2):
    """Elementwise remainder with the sign of the dividend, as C's `fmod`."""
    x1, x2 = _promote_tensors(x1, x2)
    dtype = "int32" if x1.dtype == tf.bool else x1.dtype
    compute = "int32" if dtype in (tf.uint8, tf.uint16, tf.uint32) else dtype
    x1, x2 = tf.cast(x1, compute), tf.cast(x2, compute)
    return tf.cast(tf.sign(x1) * tf.math.floormod(tf.abs(x1), tf.abs(x2)), dtype)


@op("logaddexp2")
def logaddexp2(x1, x2):
    """Elementwise `log2(2**x1 + 2**x2)`, computed stably."""
    x1, x2 = _promote(x1, x2, extra=(float,))
    ln2 = tf.cast(np.log(2.0), x1.dtype)
    return logaddexp(x1 * ln2, x2 * ln2) / ln2


@op("isin")
def isin(x1, x2, assume_unique=False, invert=False):
    """Elementwise test of whether each element of `x1` appears in `x2`."""
    x1, x2 = _promote(x1, x2)
    found = tf.reduce_any(tf.equal(tf.expand_dims(x1, -1), tf.reshape(x2, [-1])), axis=-1)
    return tf.logical_not(found) if invert else found


@op("real")
def real(x):
    """The real part of `x`."""
    return tf.math.real(_convert(x))


@op("imag")
def imag(x):
    """The imaginary part of `x`."""
    return tf.math.imag(_convert(x))


@op("conjugate")
def conjugate(x):
    """The complex conjugate of `x`."""
    return tf.math.conj(_convert(x))


conj = conjugate


@op("fliplr")
def fliplr(x):
    """Reverses the second axis."""
    return flip(x, axis=1)


@op("flipud")
def flipud(x):
    """Reverses the first axis."""
    return flip(x, axis=0)


@op("rot90")
def rot90(array, k=1, axes=(0, 1)):
    """Rotates `array` by 90 degrees `k` times, from the first towards the second of `axes`."""
    array = _convert(array)
    k = k % 4
    first, second = _axes(list(axes), _rank(array))
    if k == 0:
        return array
    if k == 2:
        return flip(flip(array, first), second)
    if k == 1:
        return swapaxes(flip(array, second), first, second)
    return flip(swapaxes(array, first, second), second)


@op("dstack")
def dstack(xs):
    """Stacks tensors along the third axis."""
    xs = _promote(*xs)
    xs = [
        tf.reshape(x, [1, -1, 1]) if _rank(x) == 1 else (x[..., None] if _rank(x) == 2 else x)
        for x in xs
    ]
    return tf.concat(xs, axis=2)


@op("hsplit")
def hsplit(x, indices_or_sections):
    """`split` along the second axis (the first for 1-D inputs)."""
    return split(x, indices_or_sections, axis=0 if _rank(_convert(x)) == 1 else 1)


@op("vsplit")
def vsplit(x, indices_or_sections):
    """`split` along the first axis."""
    return split(x, indices_or_sections, axis=0)


@op("unravel_index")
def unravel_index(indices, shape):
    """Converts flat indices into a tuple of coordinate tensors for `shape`."""
    indices = _convert(indices)
    coordinates = []
    for size in reversed(list(shape)):
        coordinates.append(tf.math.floormod(indices, size))
        indices = tf.math.floordiv(indices, size)
    return tuple(reversed(coordinates))


def _without_nan(x, fill):
    x = _convert(x)
    if x.dtype.is_floating:
        x = tf.where(tf.math.is_nan(x), tf.cast(fill(x.dtype), x.dtype), x)
    return x


@op("nansum")
def nansum(x, axis=None, keepdims=False):
    """Sum over `axis`, treating NaN as zero."""
    return sum(_without_nan(x, lambda dtype: 0), axis=axis, keepdims=keepdims)


@op("nanprod")
def nanprod(x, axis=None, keepdims=False):
    """Product over `axis`, treating NaN as one."""
    return prod(_without_nan(x, lambda dtype: 1), axis=axis, keepdims=keepdims)


@op("nanmax")
def nanmax(x, axis=None, keepdims=False):
    """Maximum over `axis`, ignoring NaN."""
    return max(_without_nan(x, lambda dtype: dtype.min), axis=axis, keepdims=keepdims)


@op("nanmin")
def nanmin(x, axis=None, keepdims=False):
    """Minimum over `axis`, ignoring NaN."""
    return min(_without_nan(x, lambda dtype: dtype.max), axis=axis, keepdims=keepdims)


@op("nanmean")
def nanmean(x, axis=None, keepdims=False):
    """Mean over `axis` of the values that are not NaN."""
    x = _to_float(x)
    valid = tf.logical_not(tf.math.is_nan(x))
    total = tf.reduce_sum(tf.where(valid, x, tf.zeros_like(x)), axis=axis, keepdims=keepdims)
    return total / tf.reduce_sum(tf.cast(valid, x.dtype), axis=axis, keepdims=keepdims)


@op("nanvar")
def nanvar(x, axis=None, keepdims=False):
    """Variance over `axis` of the values that are not NaN."""
    x = _to_float(x)
    centred = x - nanmean(x, axis=axis, keepdims=True)
    return nanmean(tf.square(centred), axis=axis, keepdims=keepdims)


@op("nanstd")
def nanstd(x, axis=None, keepdims=False):
    """Standard deviation over `axis` of the values that are not NaN."""
    return tf.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


# ---------------------------------------------------------------- bitwise and integer maths


def _integer_pair(x, y):
    return _promote_tensors(x, y)


@op("bitwise_and")
def bitwise_and(x, y):
    """Element-wise bitwise AND of integer (or boolean) tensors."""
    x, y = _integer_pair(x, y)
    return tf.bitwise.bitwise_and(x, y)


@op("bitwise_or")
def bitwise_or(x, y):
    """Element-wise bitwise OR of integer (or boolean) tensors."""
    x, y = _integer_pair(x, y)
    return tf.bitwise.bitwise_or(x, y)


@op("bitwise_xor")
def bitwise_xor(x, y):
    """Element-wise bitwise XOR of integer (or boolean) tensors."""
    x, y = _integer_pair(x, y)
    return tf.bitwise.bitwise_xor(x, y)


@op("bitwise_invert")
def bitwise_invert(x):
    """Element-wise bitwise NOT of an integer tensor."""
    return tf.bitwise.invert(_convert(x))


@op("bitwise_not")
def bitwise_not(x):
    """Element-wise bitwise NOT of an integer tensor (alias of `bitwise_invert`)."""
    return bitwise_invert(x)


def _shift_operands(x, y):
    x = _convert(x)
    if isinstance(y, int):
        return x, tf.cast(y, x.dtype)
    return _promote_tensors(x, y)


@op("bitwise_left_shift")
def bitwise_left_shift(x, y):
    """Shifts the bits of `x` left by `y`."""
    return tf.bitwise.left_shift(*_shift_operands(x, y))


@op("left_shift")
def left_shift(x, y):
    """Shifts the bits of `x` left by `y` (alias of `bitwise_left_shift`)."""
    return bitwise_left_shift(x, y)


@op("bitwise_right_shift")
def bitwise_right_shift(x, y):
    """Shifts the bits of `x` right by `y`."""
    return tf.bitwise.right_shift(*_shift_operands(x, y))


@op("right_shift")
def right_shift(x, y):
    """Shifts the bits of `x` right by `y` (alias of `bitwise_right_shift`)."""
    return bitwise_right_shift(x, y)


def _require_integers(name, *tensors):
    for tensor in tensors:
        if not tensor.dtype.is_integer:
            raise TypeError(
                f"Arguments to `{name}` must be integers. Received: dtype={tensor.dtype.name}"
            )


@op("gcd")
def gcd(x1, x2):
    """Element-wise greatest common divisor of integer tensors (non-negative)."""
    x1, x2 = _promote_tensors(x1, x2)
    _require_integers("gcd", x1)
    shape = tf.broadcast_dynamic_shape(tf.shape(x1), tf.shape(x2))
    a, b = tf.broadcast_to(x1, shape), tf.broadcast_to(x2, shape)
    if not x1.dtype.is_unsigned:
        a, b = tf.abs(a), tf.abs(b)

    def step(a, b):
        nonzero = tf.not_equal(b, 0)
        safe_b = tf.where(nonzero, b, tf.ones_like(b))
        return tf.where(nonzero, b, a), tf.where(nonzero, tf.math.floormod(a, safe_b), b)

    result, _ = tf.while_loop(lambda a, b: tf.reduce_any(tf.not_equal(b, 0)), step, [a, b])
    return result


@op("lcm")
def lcm(x1, x2):
    """Element-wise least common multiple of integer tensors (non-negative)."""
    x1, x2 = _convert(x1), _convert(x2)
    _require_integers("lcm", x1, x2)
    x1, x2 = _promote_tensors(x1, x2)
    if not x1.dtype.is_unsigned:
        x1, x2 = tf.abs(x1), tf.abs(x2)
    divisor = gcd(x1, x2)
    zero = tf.equal(divisor, 0)
    result = x1 * (x2 // tf.where(zero, tf.ones_like(divisor), divisor))
    return tf.where(zero, tf.zeros_like(result), result)


@op("ldexp")
def ldexp(x1, x2):
    """`x1 * 2**x2`, with an integer exponent `x2`."""
    x1, x2 = _convert(x1), _convert(x2)
    if not x2.dtype.is_integer:
        raise TypeError(
            f"The exponent of `ldexp` must be an integer tensor. Received: x2.dtype={x2.dtype.name}"
        )
    dtype = result_type(x1.dtype, x2.dtype, float)
    x1 = tf.cast(x1, dtype)
    result = x1 * tf.pow(tf.constant(2.0, dtype), tf.cast(x2, dtype))
    return tf.where(tf.math.is_inf(x1) | tf.equal(x1, 0), x1, result)


def _nan_aware_extremum(x1, x2, extremum):
    dtype = result_type(dtype_of(x1), dtype_of(x2))
    x1, x2 = _convert(x1, dtype), _convert(x2, dtype)
    result = extremum(x1, x2)
    if "float" not in dtype:
        return result
    nan1, nan2 = tf.math.is_nan(x1), tf.math.is_nan(x2)
    result = tf.where(nan1 & ~nan2, x2, result)
    return tf.where(nan2 & ~nan1, x1, result)


@op("fmax")
def fmax(x1, x2):
    """Element-wise maximum that ignores NaN (NaN only where both are NaN)."""
    return _nan_aware_extremum(x1, x2, tf.maximum)


@op("fmin")
def fmin(x1, x2):
    """Element-wise minimum that ignores NaN (NaN only where both are NaN)."""
    return _nan_aware_extremum(x1, x2, tf.minimum)


@op("nextafter")
def nextafter(x1, x2):
    """The next representable float after `x1` towards `x2` (computed in float64)."""
    x1, x2 = _convert(x1), _convert(x2)
    dtype = result_type(x1.dtype, x2.dtype, float)
    return tf.cast(tf.math.nextafter(tf.cast(x1, "float64"), tf.cast(x2, "float64")), dtype)


# ------------------------------------------------------------------ predicates and complex


@op("isneginf")
def isneginf(x):
    """Whether each element is negative infinity."""
    x = _convert(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype="bool")
    return tf.equal(x, tf.constant(-np.inf, x.dtype))


@op("isposinf")
def isposinf(x):
    """Whether each element is positive infinity."""
    x = _convert(x)
    if not x.dtype.is_floating:
        return tf.zeros_like(x, dtype="bool")
    return tf.equal(x, tf.constant(np.inf, x.dtype))


@op("isreal")
def isreal(x):
    """Whether each element has a zero imaginary part (always true for real dtypes)."""
    x = _convert(x)
    if x.dtype.is_complex:
        return tf.equal(tf.math.imag(x), 0)
    return tf.ones_like(x, dtype="bool")


@op("angle")
def angle(x):
    """Argument (phase) of complex elements; `pi` for negative reals, else 0."""
    x = _convert(x)
    if x.dtype.is_complex:
        return tf.math.angle(x)
    dtype = backend.floatx() if x.dtype == "int64" else result_type(x.dtype, float)
    return tf.math.angle(tf.cast(x, dtype))


@op("i0")
def i0(x):
    """Modified Bessel function of the first kind, order 0."""
    x = _convert(x)
    dtype = backend.standardize_dtype(x.dtype)
    if dtype in ("int64", "float64"):
        dtype = "float64"
    elif dtype not in ("bfloat16", "float16"):
        dtype = backend.floatx()
    return tf.math.bessel_i0(tf.cast(x, dtype))


# --------------------------------------------------------------------------- windows


@op("bartlett")
def bartlett(x):
    """Bartlett (triangular) window of length `x`."""
    n = tf.range(x, dtype=backend.floatx())
    if x <= 1:
        return tf.ones([x], backend.floatx())
    half = (x - 1) / 2
    return tf.where(n <= half, 2.0 * n / (x - 1), 2.0 - 2.0 * n / (x - 1))


@op("blackman")
def blackman(x):
    """Blackman window of length `x`."""
    if x <= 1:
        return tf.ones([x], backend.floatx())
    n = tf.range(x, dtype=backend.floatx())
    return 0.42 - 0.5 * tf.cos(2 * np.pi * n / (x - 1)) + 0.08 * tf.cos(4 * np.pi * n / (x - 1))


@op("hamming")
def hamming(x):
    """Hamming window of length `x` (symmetric)."""
    return tf.signal.hamming_window(x, periodic=False, dtype=tf.as_dtype(backend.floatx()))


@op("hanning")
def hanning(x):
    """Hann window of length `x` (symmetric)."""
    return tf.signal.hann_window(x, periodic=False, dtype=tf.as_dtype(backend.floatx()))


@op("kaiser")
def kaiser(x, beta):
    """Kaiser window of length `x` with shape parameter `beta`."""
    return tf.signal.kaiser_window(x, beta=beta, dtype=tf.as_dtype(backend.floatx()))


# ---------------------------------------------------------------- shapes and construction


@op("append")
def append(x1, x2, axis=None):
    """Appends `x2` to `x1` along `axis` (both flattened when `axis` is None)."""
    x1, x2 = _promote_tensors(x1, x2)
    if axis is None:
        return tf.concat([tf.reshape(x1, [-1]), tf.reshape(x2, [-1])], axis=0)
    return tf.concat([x1, x2], axis=axis)


@op("diagflat")
def diagflat(x, k=0):
    """A 2-D matrix with the flattened `x` on its `k`-th diagonal."""
    return tf.linalg.diag(tf.reshape(_convert(x), [-1]), k=k)


@op("dsplit")
def dsplit(x, indices_or_sections):
    """Splits `x` along its third axis (see `split`)."""
    return split(x, indices_or_sections, axis=2)


@op("vander")
def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns are powers of `x` (decreasing unless `increasing`)."""
    x = _convert(x)
    columns = x.shape[0] if N is None else N
    powers = tf.range(columns) if increasing else tf.range(columns - 1, -1, -1)
    compute = result_type(x.dtype, "float32")
    values = tf.pow(tf.cast(x[:, None], compute), tf.cast(powers, compute))
    return tf.cast(values, x.dtype)


@op("geomspace")
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` values spaced evenly on a log scale from `start` to `stop` (same sign)."""
    start, stop = _convert(start), _convert(stop)
    compute = backend.standardize_dtype(dtype or backend.floatx())
    log_start = tf.math.log(tf.abs(tf.cast(start, compute))) / np.log(10.0)
    log_stop = tf.math.log(tf.abs(tf.cast(stop, compute))) / np.log(10.0)
    values = logspace(log_start, log_stop, num=num, endpoint=endpoint, dtype=compute, axis=axis)
    return values * tf.cast(tf.sign(tf.cast(start, compute)), values.dtype)


@op("view")
def view(x, dtype=None):
    """Reinterprets the bytes of `x` as `dtype`; the last axis grows or shrinks to fit.

    Raises:
        ValueError: if the bytes of the last axis do not divide into the new item size.
    """
    x = _convert(x)
    old_dtype = x.dtype
    new_dtype = tf.as_dtype(backend.standardize_dtype(dtype or x.dtype))
    old_size, new_size = old_dtype.size, new_dtype.size
    shape = x.shape.as_list()
    last = shape[-1] if shape else -1
    if (last == -1 and old_size != new_size) or (last * old_size) % new_size:
        raise ValueError(
            f"Cannot view an array of shape {tuple(x.shape)} and dtype {old_dtype.name} as "
            f"{new_dtype.name}: the bytes of the last axis do not divide into items of "
            f"{new_size} bytes. Received: dtype={dtype!r}"
        )
    if old_size == new_size:
        return tf.bitcast(x, new_dtype)
    if old_size > new_size:
        ratio = old_size // new_size
        return tf.reshape(tf.bitcast(x, new_dtype), shape[:-1] + [last * ratio])
    ratio = new_size // old_size
    return tf.bitcast(tf.reshape(x, shape[:-1] + [last // ratio, ratio]), new_dtype)


# --------------------------------------------------------------------- statistics


@op("nanargmax")
def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum ignoring NaN; -1 where every value is NaN."""
    return _nan_arg_reduce(x, axis, keepdims, argmax, -np.inf)


@op("nanargmin")
def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum ignoring NaN; -1 where every value is NaN."""
    return _nan_arg_reduce(x, axis, keepdims, argmin, np.inf)


def _nan_arg_reduce(x, axis, keepdims, reduce, fill):
    x = _convert(x)
    if not x.dtype.is_floating:
        return reduce(x, axis=axis, keepdims=keepdims)
    is_nan = tf.math.is_nan(x)
    indices = reduce(tf.where(is_nan, tf.constant(fill, x.dtype), x), axis, keepdims)
    all_nan = tf.reduce_all(is_nan, axis=axis, keepdims=keepdims)
    if axis is None and keepdims:
        all_nan = tf.reshape(all_nan, tf.shape(indices))
    return tf.where(all_nan, tf.constant(-1, "int32"), indices)


@op("nancumsum")
def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum treating NaN as zero."""
    return cumsum(nan_to_num(x), axis=axis, dtype=dtype)


@op("nancumprod")
def nancumprod(x, axis=None, dtype=None):
    """Cumulative product treating NaN as one."""
    return cumprod(nan_to_num(x, nan=1.0), axis=axis, dtype=dtype)


def _sorted_without_nan(x, axis):
    """Values along `axis` (flattened last) sorted with NaN last, and the count of non-NaN."""
    flat = _moved_to_last(x, axis)
    is_nan = tf.math.is_nan(flat)
    values = tf.sort(tf.where(is_nan, tf.constant(np.inf, x.dtype), flat), axis=-1)
    return values, tf.reduce_sum(tf.cast(~is_nan, "int32"), axis=-1)


def _quantile_of_sorted(values, count, q, method):
    count = tf.cast(count, values.dtype)
    position = q * tf.maximum(count - 1, 0)
    below, above = tf.floor(position), tf.math.ceil(position)
    if method == "lower":
        index_low = index_high = below
    elif method == "higher":
        index_low = index_high = above
    elif method == "nearest":
        index_low = index_high = tf.round(position)
    else:
        index_low, index_high = below, above
    batch_dims = _rank(values) - 1

    def pick(index):
        index = tf.cast(index, "int32")[..., None]
        return tf.gather(values, index, axis=-1, batch_dims=batch_dims)[..., 0]

    low, high = pick(index_low), pick(index_high)
    if method == "linear":
        result = low + (high - low) * (position - below)
    elif method == "midpoint":
        result = (low + high) / 2
    else:
        result = low
    return tf.where(count > 0, result, tf.constant(np.nan, values.dtype))


@op("nanquantile")
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantile(s) of `x` over `axis`, ignoring NaN (NaN where all are NaN).

    Args:
        x: input tensor.
        q: a quantile in [0, 1], or a 1-D tensor of them (a leading output axis).
        axis: the axis or axes to reduce; all when None.
        method: one of `linear`, `lower`, `higher`, `midpoint`, `nearest`.
        keepdims: keep the reduced axes with size 1.
    """
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"Expected method in {methods}. Received: method={method!r}")
    x = _to_float(x)
    q = _convert(q, x.dtype)
    values, count = _sorted_without_nan(x, axis)
    if _rank(q) == 1:
        result = tf.stack(
            [_quantile_of_sorted(values, count, q_i, method) for q_i in tf.unstack(q)]
        )
    else:
        result = _quantile_of_sorted(values, count, q, method)
    if keepdims:
        rank = _rank(x)
        reduced = builtins.range(rank) if axis is None else _axes(axis, rank)
        shape = tf.shape(x)
        target = [1 if d in reduced else shape[d] for d in builtins.range(rank)]
        if _rank(q) == 1:
            target = [tf.shape(q)[0], *target]
        result = tf.reshape(result, tf.stack(target))
    return result


@op("nanpercentile")
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentile(s) of `x` (`q` in [0, 100]), ignoring NaN."""
    q = _convert(q, "float32") / 100.0
    return nanquantile(x, q, axis=axis, method=method, keepdims=keepdims)


@op("nanmedian")
def nanmedian(x, axis=None, keepdims=False):
    """Median of `x` over `axis`, ignoring NaN."""
    if axis in ((), []):
        return _convert(x)
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


@op("argpartition")
def argpartition(x, kth, axis=-1):
    """Indices that partition `x` along `axis` around its `kth` smallest element.

    Element `kth` of the result indexes the value a full sort would put there; indices
    before it point to values no larger, indices after it to values no smaller. (This
    implementation returns a full stable argsort, which satisfies that contract.)
    """
    x = _convert(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    size = x.shape[axis]
    if size is not None and not -size <= kth < size:
        raise ValueError(
            f"Expected `kth` in [{-size}, {size}) for an axis of size {size}. Received: kth={kth}"
        )
    if x.dtype == tf.bool:
        x = tf.cast(x, "int32")
    return tf.argsort(x, axis=axis, stable=True)


@op("corrcoef")
def corrcoef(x):
    """Pearson correlation coefficients between the rows of `x`."""
    x = _convert(x)
    if x.dtype in ("bool", "int8", "int16", "int32", "uint8", "uint16", "uint32"):
        x = tf.cast(x, backend.floatx())
    elif x.dtype == "int64":
        x = tf.cast(x, "float64")
    centred = x - tf.reduce_mean(x, axis=-1, keepdims=True)
    count = tf.cast(tf.shape(x)[-1], x.dtype)
    covariance = tf.matmul(centred, centred, adjoint_b=True) / (count - 1)
    stddev = tf.sqrt(tf.math.real(tf.linalg.diag_part(covariance)))
    correlation = covariance / tf.cast(stddev[:, None] * stddev[None, :], covariance.dtype)
    real = tf.clip_by_value(tf.math.real(correlation), -1.0, 1.0)
    if correlation.dtype.is_complex:
        return tf.complex(real, tf.clip_by_value(tf.math.imag(correlation), -1.0, 1.0))
    return real


@op("correlate")
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences, as `numpy.correlate`.

    Raises:
        ValueError: for a `mode` other than `"valid"`, `"same"` or `"full"`.
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(
            f"Expected `mode` to be one of 'valid', 'same', 'full'. Received: mode={mode!r}"
        )
    x1, x2 = _convert(x1), _convert(x2)
    dtype = result_type(x1.dtype, x2.dtype)
    if dtype == "int64":
        dtype = "float64"
    elif dtype not in ("bfloat16", "float16", "float64"):
        dtype = "float32"
    x1, x2 = tf.cast(x1, dtype), tf.cast(x2, dtype)
    n, m = tf.shape(x1)[0], tf.shape(x2)[0]
    signal = x1 if mode == "valid" else tf.pad(x1, [[m - 1, m - 1]])
    result = tf.nn.conv1d(
        tf.reshape(signal, [1, -1, 1]), tf.reshape(x2, [-1, 1, 1]), stride=1, padding="VALID"
    )
    result = tf.reshape(result, [-1])
    if mode == "same":
        out_len = tf.maximum(n, m)
        start = (n + m - 1 - out_len) // 2
        result = tf.slice(result, [start], [out_len])
    return result


@op("histogram")
def histogram(x, bins=10, range=None):
    """Histogram of a 1-D tensor with `bins` equal-width bins over `range` (min to max).

    Returns:
        A tuple `(counts, bin_edges)`; `counts` has the dtype of `x`.

    Raises:
        ValueError: for a negative `bins`, a malformed `range` or a non-1-D `x`.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 0:
        raise ValueError(f"Expected `bins` to be a non-negative integer. Received: bins={bins!r}")
    if range is not None and (
        not isinstance(range, tuple) or len(range) != 2 or range[1] < range[0]
    ):
        raise ValueError(
            "Expected `range` to be a tuple `(low, high)` with low <= high. "
            f"Received: range={range!r}"
        )
    x = _convert(x)
    if _rank(x) != 1:
        raise ValueError(f"Expected a 1-D input. Received: x.shape={tuple(x.shape)}")
    if range is None:
        low, high = tf.reduce_min(x), tf.reduce_max(x)
    else:
        low, high = tf.cast(range[0], x.dtype), tf.cast(range[1], x.dtype)
    x = tf.boolean_mask(x, (x >= low) & (x <= high))
    edges = tf.cast(
        tf.linspace(tf.cast(low, "float64"), tf.cast(high, "float64"), bins + 1), x.dtype
    )
    indices = tf.searchsorted(edges[1:-1], x, side="right")
    counts = tf.scatter_nd(indices[:, None], tf.ones_like(indices, dtype=x.dtype), [bins])
    return counts, edges


@op("trapezoid")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of `y` along `axis` by the trapezoidal rule, at points `x` or spacing `dx`."""
    y = _to_float(y)
    y = moveaxis(y, axis, -1)
    if x is None:
        widths = tf.cast(dx, y.dtype)
    else:
        x = moveaxis(_convert(x, y.dtype), axis if _rank(_convert(x)) > 1 else -1, -1)
        widths = x[..., 1:] - x[..., :-1]
    return tf.reduce_sum(0.5 * (y[..., 1:] + y[..., :-1]) * widths, axis=-1)


@op("slogdet")
def slogdet(x):
    """Sign and natural log of the absolute determinant of square matrices.

    Returns:
        A tuple `(sign, logabsdet)`.
    """
    return tuple(tf.linalg.slogdet(_to_float(x)))


@op("unique")
def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """Unique elements of `x` (of the flattened input, or unique slices along `axis`).

    Args:
        x: input tensor.
        sorted: whether the unique values come sorted (else in order of first occurrence).
        return_index: also return the index of each value's first occurrence.
        return_inverse: also return, for each input element, the index of its unique value.
        return_counts: also return how often each unique value occurs.
        axis: the axis whose slices are compared; the flattened input when None.
        size: pad (with `fill_value`, default 0) or truncate the result to this length, for
            a static shape.
        fill_value: the padding value when `size` is larger than the number of unique values.

    Returns:
        The unique values, followed by the requested extra outputs, as a tuple when there
        is more than one.
    """
    x = _convert(x)
    flatten = axis is None
    original_shape = tf.shape(x)
    if flatten:
        x, axis = tf.reshape(x, [-1]), 0
        values, inverse, counts = tf.unique_with_counts(x, out_idx="int32")
    else:
        axis = axis % _rank(x)
        values, inverse, counts = tf.raw_ops.UniqueWithCountsV2(x=x, axis=[axis], out_idx="int32")
    count = tf.shape(values)[axis]
    first_index = tf.math.unsorted_segment_min(tf.range(tf.shape(x)[axis]), inverse, count)
    if sorted:
        if _rank(values) == 1:
            order = tf.argsort(values, stable=True)
        else:
            # Lexicographic order: stable sorts by each column, from the last to the first.
            rows = tf.reshape(moveaxis(values, axis, 0), [count, -1])

            def sort_by_column(column, order):
                keys = tf.gather(rows[:, column], order)
                return column - 1, tf.gather(order, tf.argsort(keys, stable=True))

            _, order = tf.while_loop(
                lambda column, order: column >= 0,
                sort_by_column,
                [tf.shape(rows)[1] - 1, tf.range(count)],
            )
        values = tf.gather(values, order, axis=axis)
        first_index = tf.gather(first_index, order)
        counts = tf.gather(counts, order)
        inverse = tf.gather(tf.math.invert_permutation(order), inverse)
    if size is not None:
        keep = tf.range(tf.minimum(count, size))
        values, first_index, counts = (
            tf.gather(values, keep, axis=axis),
            tf.gather(first_index, keep),
            tf.gather(counts, keep),
        )
        missing = tf.maximum(0, size - count)
        paddings = [[0, missing if d == axis else 0] for d in builtins.range(_rank(values))]
        fill = tf.cast(0 if fill_value is None else fill_value, values.dtype)
        values = tf.pad(values, paddings, constant_values=fill)
        first_index = tf.pad(first_index, [[0, missing]], constant_values=1)
        counts = tf.pad(counts, [[0, missing]])
        static = values.shape.as_list()
        static[axis] = size
        values.set_shape(static)
        first_index.set_shape([size])
        counts.set_shape([size])
    if return_inverse and flatten:
        inverse = tf.reshape(inverse, original_shape)
    results = [values]
    if return_index:
        results.append(first_index)
    if return_inverse:
        results.append(inverse)
    if return_counts:
        results.append(counts)
    return tuple(results) if len(results) > 1 else values


def _parse_gufunc_signature(signature):
    match = re.fullmatch(r"\s*(.*?)\s*->\s*(.*?)\s*", signature)
    if match is None:
        raise ValueError(
            f"Expected a signature like '(m,n),(n)->(m)'. Received: signature={signature!r}"
        )

    def dims(part):
        return [
            tuple(name.strip() for name in group.split(",") if name.strip())
            for group in re.findall(r"\(([^()]*)\)", part)
        ]

    return dims(match.group(1)), dims(match.group(2))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """Turns `pyfunc` on single elements (or core sub-arrays) into a function on tensors.

    Like `numpy.vectorize`: the non-core leading axes of the arguments broadcast together
    and `pyfunc` is mapped over them with `tf.vectorized_map`.

    Args:
        pyfunc: the function to vectorize.
        excluded: positions (ints) or keyword names of arguments passed through unmapped.
        signature: a generalized-ufunc signature such as `"(n),(n)->()"`; every argument
            is a scalar when None.

    Returns:
        The vectorized function.
    """
    excluded = set(excluded or ())
    input_core = output_core = None
    if signature is not None:
        input_core, output_core = _parse_gufunc_signature(signature)

    @functools.wraps(pyfunc)
    def vectorized(*args, **kwargs):
        mapped_positions = [i for i in builtins.range(len(args)) if i not in excluded]
        mapped_names = [name for name in kwargs if name not in excluded]
        tensors = [_convert(args[i]) for i in mapped_positions]
        tensors += [_convert(kwargs[name]) for name in mapped_names]
        core = input_core if input_core is not None else [()] * len(tensors)
        if len(core) != len(tensors):
            raise ValueError(
                f"The signature {signature!r} names {len(core)} inputs, but {len(tensors)} "
                "arguments are mapped."
            )
        batch_shape = tf.TensorShape([])
        for tensor, core_dims in zip(tensors, core, strict=True):
            batch_shape = tf.broadcast_static_shape(
                batch_shape, tensor.shape[: _rank(tensor) - len(core_dims)]
            )
        flat = []
        for tensor, core_dims in zip(tensors, core, strict=True):
            core_shape = tensor.shape[_rank(tensor) - len(core_dims) :]
            tensor = tf.broadcast_to(tensor, batch_shape.concatenate(core_shape))
            flat.append(tf.reshape(tensor, [-1, *core_shape.as_list()]))

        def call(elements):
            elements = list(elements)
            call_args = [
                elements.pop(0) if i in mapped_positions else args[i]
                for i in builtins.range(len(args))
            ]
            call_kwargs = {name: kwargs[name] for name in kwargs if name in excluded}
            call_kwargs.update({name: elements.pop(0) for name in mapped_names})
            result = pyfunc(*call_args, **call_kwargs)
            return tf.nest.map_structure(tf.convert_to_tensor, result)

        result = tf.vectorized_map(call, tuple(flat), fallback_to_while_loop=True)
        return tf.nest.map_structure(
            lambda r: tf.reshape(r, batch_shape.concatenate(r.shape[1:])), result
        )

    return vectorized


__all__ = [
    name
    for name in dir()
    if not name.startswith("_")
    and name
    not in {
        "backend",
        "builtins",
        "dtype_of",
        "functools",
        "named_op",
        "np",
        "op",
        "re",
        "result_type",
        "tf",
    }
]
