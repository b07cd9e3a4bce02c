"""Numeric preprocessing: Normalization (with `adapt`) and Rescaling."""

import math

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance: `(x - mean) / sqrt(var)`.

    The statistics are given as `mean` and `variance`, or learned from data with `adapt`.

    Args:
        axis: the axis or axes that keep separate statistics (features), -1 by default;
            None for one mean and variance over everything.
        mean: the mean, broadcastable to the kept axes; set together with `variance`.
        variance: the variance.
        invert: apply the inverse transform, `x * sqrt(var) + mean`.

    Input shape:
        Any shape; the kept axes must be known when the layer builds.

    Output shape:
        Same as the input.

    Example:
        layer = keras.layers.Normalization()
        layer.adapt(np.array([[1.0], [2.0], [3.0]]))
        layer(np.array([[2.0]]))  # [[0.0]]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        if (mean is not None) != (variance is not None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "`mean` and `variance` must have the same shape. Received: mean shape "
                    f"{np.shape(mean)} and variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    "The rank of `mean` must be at most the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for "
                    f"axis={self.axis}"
                )

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        self._build_input_shape = input_shape
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(
                    f"All `axis` values to be kept must have a known size. Received "
                    f"axis={self.axis}, input shape {input_shape}, unknown size at index {a}"
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=self._mean_and_var_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=self._mean_and_var_shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                name="count", shape=(), dtype="int64", initializer="zeros", trainable=False
            )
        else:
            self._fixed_mean = self._broadcast_given(self.input_mean, ndim)
            self._fixed_variance = self._broadcast_given(self.input_variance, ndim)
        self.built = True

    def _broadcast_given(self, value, ndim):
        value = np.asarray(value, dtype="float64")
        if value.ndim:
            expanded = [1] * ndim
            for i in range(1, value.ndim + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        return np.broadcast_to(value, self._broadcast_shape)

    def adapt(self, data):
        """Computes the mean and variance of `data` over the non-kept axes.

        Args:
            data: a NumPy array or tensor, a batched `tf.data.Dataset` (of inputs, or of
                `(inputs, targets)` pairs), or an iterable of batches.
        """
        if isinstance(data, tf.data.Dataset):
            spec = data.element_spec
            spec = spec[0] if isinstance(spec, tuple) else spec
            if len(spec.shape) == 1:
                data = data.batch(128)
                spec = data.element_spec
                spec = spec[0] if isinstance(spec, tuple) else spec
            input_shape = tuple(spec.shape)
            batches = data
        elif isinstance(data, np.ndarray) or tf.is_tensor(data):
            input_shape = tuple(data.shape)
            batches = None
        elif hasattr(data, "__iter__"):
            batches = [np.asarray(_first(batch)) for batch in data]
            if not batches:
                raise ValueError("adapt() received an empty iterable; pass at least one batch.")
            input_shape = batches[0].shape
        else:
            raise TypeError(
                "adapt() expects a NumPy array, a tensor, a tf.data.Dataset or an iterable of "
                f"batches. Received: {type(data).__name__}"
            )
        if not self.built:
            self.build(input_shape)
        else:
            for a in self._keep_axis:
                if input_shape[a] != self._build_input_shape[a]:
                    raise ValueError(
                        f"The layer was built with input shape {self._build_input_shape}, but "
                        f"adapt() received data of incompatible shape {input_shape}."
                    )
        if self.input_mean is not None:
            raise ValueError(
                f"Cannot adapt layer '{self.name}': its mean and variance were given in the "
                "constructor."
            )
        if batches is None:
            values = np.asarray(data, dtype="float64")
            total_mean = np.mean(values, axis=self._reduce_axis)
            total_var = np.var(values, axis=self._reduce_axis)
        else:
            total_mean = np.zeros(self._mean_and_var_shape)
            total_var = np.zeros(self._mean_and_var_shape)
            total_count = 0
            for batch in batches:
                batch = np.asarray(_first(batch), dtype="float64")
                batch_mean = np.mean(batch, axis=self._reduce_axis)
                batch_var = np.var(batch, axis=self._reduce_axis)
                batch_count = math.prod(batch.shape[d] for d in self._reduce_axis)
                total_count += batch_count
                batch_weight = batch_count / total_count
                existing_weight = 1.0 - batch_weight
                new_mean = total_mean * existing_weight + batch_mean * batch_weight
                total_var = (total_var + (total_mean - new_mean) ** 2) * existing_weight + (
                    batch_var + (batch_mean - new_mean) ** 2
                ) * batch_weight
                total_mean = new_mean
        self.adapt_mean.assign(np.asarray(total_mean, dtype="float32"))
        self.adapt_variance.assign(np.asarray(total_var, dtype="float32"))

    def _statistics(self):
        if self.input_mean is not None:
            return (
                tf.constant(self._fixed_mean, self.compute_dtype),
                tf.constant(self._fixed_variance, self.compute_dtype),
            )
        mean = tf.reshape(tf.cast(self.adapt_mean, self.compute_dtype), self._broadcast_shape)
        variance = tf.reshape(
            tf.cast(self.adapt_variance, self.compute_dtype), self._broadcast_shape
        )
        return mean, variance

    def call(self, inputs):
        inputs = tf.cast(inputs, self.compute_dtype)
        mean, variance = self._statistics()
        scale = tf.maximum(tf.sqrt(variance), tf.cast(backend.epsilon(), self.compute_dtype))
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": list(self.axis),
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


def _first(batch):
    return batch[0] if isinstance(batch, tuple) else batch


@register_builtin
class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset`, e.g. `Rescaling(1 / 255)`.

    Args:
        scale: the scale (a float, or per-channel values).
        offset: the offset added after scaling.

    Input shape:
        Any shape.

    Output shape:
        Same as the input.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self.compute_dtype
        return tf.cast(inputs, dtype) * tf.cast(self.scale, dtype) + tf.cast(self.offset, dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


def _plain(value):
    return np.asarray(value).tolist() if not isinstance(value, (int, float)) else value
