"""Numeric defaults shared by the whole library: float dtype and fuzz factor."""

import numpy as np
import tensorflow as tf

_FLOATX = "float32"
_EPSILON = 1e-7


def floatx():
    """Returns the default float dtype name, `"float32"` unless changed."""
    return _FLOATX


def set_floatx(dtype):
    """Sets the default float dtype (`"float16"`, `"bfloat16"`, `"float32"` or `"float64"`)."""
    global _FLOATX
    allowed = ("float16", "bfloat16", "float32", "float64")
    if dtype not in allowed:
        raise ValueError(f"Expected one of {allowed} for dtype. Received: dtype={dtype!r}")
    _FLOATX = dtype


def epsilon():
    """Returns the fuzz factor used to avoid division by zero and log(0)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def standardize_dtype(dtype):
    """Returns a dtype name string for a dtype given as string, numpy or TensorFlow dtype."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, tf.DType):
        return dtype.name
    return np.dtype(dtype).name if not isinstance(dtype, str) else tf.as_dtype(dtype).name


def convert_to_tensor(value, dtype=None):
    """Converts arrays, lists and scalars to a `tf.Tensor`; tensors and variables pass through."""
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    if isinstance(value, tf.Variable):
        value = value.value()
    if tf.is_tensor(value):
        return value if dtype is None or value.dtype == dtype else tf.cast(value, dtype)
    return tf.convert_to_tensor(value, dtype=dtype)


def _keep_library_out_of_autograph():
    """Autograph converts user code called from compiled steps. Converting kerascore's own
    code, which is already graph-ready, only costs tracing time (seconds per model), so it is
    exempted the way TensorFlow exempts its own modules.
    """
    try:
        from tensorflow.python.autograph.core import config as autograph_config
        from tensorflow.python.autograph.core import config_lib
    except ImportError:
        return
    rule = config_lib.DoNotConvert("kerascore")
    autograph_config.CONVERSION_RULES = (rule, *autograph_config.CONVERSION_RULES)


_keep_library_out_of_autograph()


def is_library_code(function):
    """Whether `function` (or a bound method) is defined in kerascore itself."""
    function = getattr(function, "__func__", function)
    return (getattr(function, "__module__", "") or "").startswith("kerascore.")


def autograph_user_code(function):
    """Returns `function` converted by autograph when tracing a compiled step, so user code
    may use Python `if`/`for` on tensors; kerascore's own code is returned as it is."""
    if is_library_code(function) or not tf.inside_function():
        return function
    return tf.__internal__.autograph.tf_convert(
        function, tf.__internal__.autograph.control_status_ctx()
    )


def autograph_user_code_lazy(function):
    """Like `autograph_user_code`, deciding at trace time (when the step is being compiled)."""
    if is_library_code(function):
        return function

    def call(*args, **kwargs):
        return autograph_user_code(function)(*args, **kwargs)

    return call


def release_cached_kernels():
    """Drops the kernels TensorFlow's eager runtime cached for every op and function it ran."""
    from tensorflow.python.eager import context

    context.context().clear_kernel_cache()
