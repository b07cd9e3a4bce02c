"""Activation layers with arguments or weights: ReLU, LeakyReLU, PReLU, ELU and Softmax.
(`Activation("name")` lives in `core`.)"""

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]

import numpy as np
import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.models.layer import InputSpec, Layer, cast_to_compute
from kerascore.saving.serialization import register_builtin, serialize_keras_object


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_non_negative(layer_name, argument, value, allow_none=False):
    if allow_none and value is None:
        return None
    if not _is_number(value) or value < 0:
        raise ValueError(
            f"{argument} of a {layer_name} layer cannot be None or a negative value. "
            f"Received: {argument}={value!r}"
        )
    return float(value)


@register_builtin
class ReLU(Layer):
    """Rectified linear unit with optional cap, leak and threshold:
    `min(x, max_value)` for `x >= threshold`, `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: non-negative float cap of the output, or None for no cap.
        negative_slope: non-negative float, the slope below the threshold.
        threshold: non-negative float, the threshold.

    Example:
        layers.ReLU(max_value=6.0)(np.array([-1.0, 3.0, 9.0]))  # [0, 3, 6]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _check_non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _check_non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _check_non_negative("ReLU", "threshold", threshold)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


@register_builtin
class LeakyReLU(Layer):
    """Leaky ReLU: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Args:
        negative_slope: non-negative float, the slope for negative inputs (`alpha` is
            accepted as its old name).

    Example:
        layers.LeakyReLU(0.1)(np.array([-2.0, 3.0]))  # [-0.2, 3.0]
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _check_non_negative("LeakyReLU", "negative_slope", negative_slope)
        self.supports_masking = True

    def call(self, inputs):
        return tf.nn.leaky_relu(inputs, alpha=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


@register_builtin
class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with `alpha` learned.

    Args:
        alpha_initializer: initializer of the weights `alpha` (zeros by default).
        alpha_regularizer: penalty on `alpha` added to the loss.
        alpha_constraint: projection applied to `alpha` after each update.
        shared_axes: axes (1-based, not the batch axis) along which one `alpha` is shared,
            e.g. `[1, 2]` for one slope per channel of `(batch, h, w, channels)` images.

    Example:
        layers.PReLU(shared_axes=[1, 2])(np.ones((2, 4, 4, 3))).shape  # (2, 4, 4, 3)
    """

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, (int, np.integer)) and a >= 1 for a in axes):
                raise ValueError(
                    "Expected `shared_axes` of PReLU to be positive ints (axis 0 is the batch). "
                    f"Received: shared_axes={shared_axes!r}"
                )
            self.shared_axes = [int(a) for a in axes]
        self.supports_masking = True

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(
                    f"shared_axes={self.shared_axes} of layer '{self.name}' is out of range for "
                    f"inputs of shape {tuple(input_shape)}."
                )
            param_shape[axis - 1] = 1
        if any(dim is None for dim in param_shape):
            raise ValueError(
                f"Layer '{self.name}' needs defined sizes for all non-shared axes. Received "
                f"input shape {tuple(input_shape)}; share the undefined axes with shared_axes."
            )
        self.alpha = self.add_weight(
            name="alpha",
            shape=param_shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        axes = {}
        if self.shared_axes:
            axes = {
                i: input_shape[i] for i in range(1, len(input_shape)) if i not in self.shared_axes
            }
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        alpha = cast_to_compute(self.alpha, self.compute_dtype)
        return tf.nn.relu(inputs) - alpha * tf.nn.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": serialize_keras_object(self.alpha_regularizer),
            "alpha_constraint": serialize_keras_object(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


@register_builtin
class ELU(Layer):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: float, the scale of the negative part.

    Example:
        layers.ELU()(np.array([-1.0, 2.0]))  # [-0.632, 2.0]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if not _is_number(alpha):
            raise ValueError(f"Expected a float for `alpha` of ELU. Received: alpha={alpha!r}")
        self.alpha = float(alpha)
        self.supports_masking = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative_number(dtype):
    return -3e4 if dtype == tf.float16 else -1e9


@register_builtin
class Softmax(Layer):
    """Softmax over `axis`: `exp(x) / sum(exp(x), axis)`.

    Args:
        axis: int or list of ints, the axes to normalize over.

    Call arguments:
        mask: optional tensor broadcastable to the inputs; positions where it is False
            (or <= 0.5) get probability 0 and the others share the mass.

    Example:
        layers.Softmax()(np.array([[1.0, 1.0]]))  # [[0.5, 0.5]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        valid = isinstance(axis, (int, np.integer)) or (
            isinstance(axis, (list, tuple))
            and axis
            and all(isinstance(a, (int, np.integer)) for a in axis)
        )
        if not valid or isinstance(axis, bool):
            raise ValueError(
                f"Expected an int or a list of ints for `axis` of Softmax. Received: axis={axis!r}"
            )
        self.axis = int(axis) if isinstance(axis, (int, np.integer)) else [int(a) for a in axis]
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = tf.convert_to_tensor(mask)
            if mask.shape.rank > inputs.shape.rank or any(
                m is not None and i is not None and m not in (1, i)
                for m, i in zip(mask.shape.as_list()[::-1], inputs.shape.as_list()[::-1])
            ):
                raise ValueError(
                    "The `mask` must be broadcastable to `inputs`. Received: "
                    f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
                )
            if mask.dtype != tf.bool:
                mask = mask > tf.cast(0.5, mask.dtype)
            inputs = tf.where(
                mask, inputs, tf.cast(_large_negative_number(inputs.dtype), inputs.dtype)
            )
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = tf.exp(inputs - tf.reduce_logsumexp(inputs, axis=self.axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = tf.nn.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = tf.where(mask, outputs, tf.zeros_like(outputs))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
