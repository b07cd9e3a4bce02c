"""`EinsumProjection`: the projection sublayers of `MultiHeadAttention`, and the einsum
equations they and the attention scores use.
"""

import string

import numpy as np
import tensorflow as tf

from kerascore import initializers
from kerascore.layers.layer import Layer, cast_to_compute


class EinsumProjection(Layer):
    """The projection sublayers of MultiHeadAttention (Keras's `EinsumDense` as MHA uses it):
    `einsum(equation, inputs, kernel) + bias`, the bias on the trailing output axes."""

    def __init__(
        self,
        equation,
        output_shape,
        bias_axes,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        activation=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = list(output_shape)
        self.bias_axes = bias_axes
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.activation = activation

    def _specs(self):
        inputs, rest = self.equation.split(",")
        kernel, output = rest.split("->")
        return inputs, kernel, output

    def full_output_shape(self, input_shape):
        return (input_shape[0], *self.partial_output_shape)

    def build(self, input_shape):
        input_spec, kernel_spec, output_spec = self._specs()
        dims = dict(zip(input_spec, input_shape))
        for char, dim in zip(output_spec, self.full_output_shape(input_shape)):
            if dim is not None:
                dims.setdefault(char, dim)
        kernel_shape = tuple(dims[char] for char in kernel_spec)
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers.VarianceScaling) and (
            initializer.input_axes is None or initializer.output_axes is None
        ):
            # Fans over the contracted and the produced axes, as Keras's EinsumDense does.
            initializer = initializers.VarianceScaling(
                scale=initializer.scale,
                mode=initializer.mode,
                distribution=initializer.distribution,
                seed=initializer.seed,
                input_axes=[i for i, c in enumerate(kernel_spec) if c in input_spec],
                output_axes=[i for i, c in enumerate(kernel_spec) if c in output_spec],
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape,
            initializer=initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.bias_axes:
            self.bias = self.add_weight(
                name="bias",
                shape=tuple(dims[char] for char in self.bias_axes),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs):
        outputs = tf.einsum(self.equation, inputs, cast_to_compute(self.kernel, self.compute_dtype))
        if self.bias is not None:
            outputs = outputs + cast_to_compute(self.bias, self.compute_dtype)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.full_output_shape(tuple(input_shape))


def _letters(count, offset=0):
    return string.ascii_lowercase[offset : offset + count]


def projection_equation(free_dims, bound_dims, output_dims):
    """Keras's `_build_proj_equation`: `(equation, bias_axes, output_rank)`."""
    free = _letters(free_dims)
    bound = _letters(bound_dims, free_dims)
    out = _letters(output_dims, free_dims + bound_dims)
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def attention_equations(rank, attention_axes):
    """Keras's `_build_attention_equation`: dot-product and combine equations, scores rank."""
    target = _letters(rank)
    batch_dims = tuple(np.delete(range(rank), attention_axes + (rank - 1,)))
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += string.ascii_lowercase[offset]
            offset += 1
    product = "".join(
        [target[i] for i in batch_dims]
        + [target[i] for i in attention_axes]
        + [source[i] for i in attention_axes]
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)
