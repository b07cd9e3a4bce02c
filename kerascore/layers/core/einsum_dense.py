"""`EinsumDense`: a dense layer whose product is any einsum equation."""

import re

import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer, cast_to_compute
from kerascore.saving.serialization import register_builtin, serialize_keras_object


@register_builtin
class EinsumDense(Layer):
    """A layer computing `activation(einsum(equation, inputs, kernel) + bias)`.

    The equation names the axes of the input, the kernel and the output, with `...` standing
    for leading or trailing axes, as Keras 3's (`"ab,bc->ac"` is `Dense`).

    Args:
        equation: `"[X],[Y]->[Z]"`, `"...[X],[Y]->...[Z]"` or `"[X]...,[Y]->[Z]..."`.
        output_shape: the output shape without the batch axis (None for an axis to take from
            the input); an int for one axis.
        activation: an activation name or function.
        bias_axes: the output axes (letters of the output spec) that have a bias, or None.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: constraints of the weights.

    Example:
        layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8),
                                         bias_axes="de")
        layer(np.ones((2, 5, 3))).shape  # (2, 5, 4, 8)
    """

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        **kwargs,
    ):
        if lora_rank is not None:
            raise ValueError(
                "EinsumDense does not implement LoRA in kerascore. Received: "
                f"lora_rank={lora_rank!r}. Leave lora_rank=None."
            )
        super().__init__(**kwargs)
        if not isinstance(equation, str) or _split_equation(equation) is None:
            raise ValueError(
                f"Invalid einsum equation {equation!r}. Equations must be in the form "
                "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
            )
        self.equation = equation
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers.VarianceScaling) and (
            initializer.input_axes is None or initializer.output_axes is None
        ):
            # Fans over the contracted and produced kernel axes, as Keras 3 computes them.
            config = {**initializer.get_config(), "input_axes": input_axes}
            initializer = type(initializer).from_config({**config, "output_axes": output_axes})
        self.kernel = self.add_weight(
            name="kernel",
            shape=tuple(kernel_shape),
            initializer=initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=tuple(bias_shape),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.built = True

    def call(self, inputs, training=None):
        outputs = tf.einsum(self.equation, inputs, cast_to_compute(self.kernel, self.compute_dtype))
        if self.bias is not None:
            outputs = outputs + cast_to_compute(self.bias, self.compute_dtype)
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            batch_size = tf.cast(tf.shape(outputs)[0], outputs.dtype)
            self.add_loss(self.activity_regularizer(outputs) / batch_size)
        return outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        _, _, output_shape, _, _ = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        # An output axis left None that the input shares takes the input's size (Keras leaves
        # it None, which hides sizes that a following layer needs).
        input_spec, _, output_spec, side = _split_equation(self.equation)
        offset = len(output_shape) - len(output_spec) if side == "left" else 0
        input_offset = len(input_shape) - len(input_spec) if side == "left" else 0
        for index, char in enumerate(output_spec):
            if output_shape[index + offset] is None and char in input_spec:
                output_shape[index + offset] = input_shape[input_spec.index(char) + input_offset]
        return tuple(output_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "equation": self.equation,
            "output_shape": list(self.partial_output_shape),
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
            config[key] = regularizers.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_constraint", "bias_constraint"):
            config[key] = constraints.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_initializer", "bias_initializer"):
            if isinstance(config.get(key), dict):
                config[key] = initializers.deserialize(config[key])
        return cls(**config)


def _split_equation(equation):
    """`(input_spec, kernel_spec, output_spec, elided_side)` of an equation, or None."""
    replaced = re.sub(r"\.\.\.", "0", equation)
    for pattern, side in (
        (r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", None),
        (r"^0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", "left"),
        (r"^([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", "right"),
    ):
        match = re.match(pattern, replaced)
        if match:
            return (*match.groups(), side)
    return None


def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """The kernel shape, bias shape, full output shape, and the kernel's input and output
    axes (for fan computations) of an `EinsumDense` on `input_shape` (Keras 3's rules).

    Raises:
        ValueError: when the equation and the shapes do not agree.
    """
    input_spec, kernel_spec, output_spec, side = _split_equation(equation)
    left_elided = side == "left"
    elided = len(input_shape) - len(input_spec)
    output_shape = [input_shape[0], *output_shape]
    if elided > 0 and left_elided:
        for index in range(1, elided):
            output_shape.insert(1, input_shape[index])
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided :])
    if left_elided:
        input_dims = {dim: i + elided - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dims = {dim: i + elided for i, dim in enumerate(output_spec)}
    else:
        input_dims = {dim: i for i, dim in enumerate(input_spec)}
        output_dims = {dim: i for i, dim in enumerate(output_spec)}
    for dim in input_spec:
        if dim in output_dims:
            wanted = output_shape[output_dims[dim]]
            if wanted is not None and wanted != input_shape[input_dims[dim]]:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{dim}'. "
                    f"Input shape is {input_shape[input_dims[dim]]}, and output shape is "
                    f"{wanted}."
                )
    for dim in output_spec:
        if dim not in input_spec and dim not in kernel_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                f"corresponding dim in the input spec '{input_spec}' or the kernel spec "
                f"'{kernel_spec}'."
            )
    kernel_shape, input_axes, output_axes = [], [], []
    for index, dim in enumerate(kernel_spec):
        if dim in output_dims:
            kernel_shape.append(output_shape[output_dims[dim]])
            output_axes.append(index)
        elif dim in input_dims:
            kernel_shape.append(input_shape[input_dims[dim]])
            input_axes.append(index)
        else:
            raise ValueError(
                f"Kernel dimension '{dim}' matches neither the input spec '{input_spec}' nor "
                f"the output spec '{output_spec}'; the kernel must be fully specified."
            )
    bias_shape = None
    if bias_axes is not None:
        offset = elided if left_elided else 0
        sizes = {char: output_shape[i + offset] for i, char in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(
                    f"Bias dimension '{char}' was requested, but is not part of the output "
                    f"spec '{output_spec}'. Received: bias_axes={bias_axes!r}"
                )
        first = min(output_spec.find(char) for char in bias_axes)
        bias_shape = [sizes[char] if char in bias_axes else 1 for char in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * elided)
    return kernel_shape, bias_shape, output_shape, input_axes, output_axes
