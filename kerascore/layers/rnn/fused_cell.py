"""`FusedCell`: the base of SimpleRNNCell, LSTMCell and GRUCell: gate weights in one kernel,
dropout masks, and the input projection of a whole sequence at once.
"""

import numpy as np
import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.layers.layer import Layer, cast_to_compute
from kerascore.saving.serialization import (
    serialize_keras_object,
)
from kerascore.utils.argument_validation import check_positive_int


def _check_rate(layer_name, argument, value):
    if (
        not isinstance(value, (int, float, np.floating))
        or isinstance(value, bool)
        or not (0 <= value <= 1)
    ):
        raise ValueError(
            f"Received an invalid value for argument `{argument}` of {layer_name}: expected a "
            f"float in [0, 1]. Received: {argument}={value!r}"
        )


def _dropout_masks(like, rate, count, seed):
    """`count` Keras-style dropout masks (kept entries scaled by 1 / (1 - rate)) shaped like
    `like`, or None when `rate` disables dropout."""
    if not 0 < rate < 1:
        return None
    ones = tf.ones_like(like)
    # Ops that share an op seed draw the same numbers in a graph: give each mask its own.
    seeds = [None] * count if seed is None else [seed + index for index in range(count)]
    return [tf.nn.dropout(ones, rate=rate, seed=op_seed) for op_seed in seeds]


def gated_matmul(inputs, kernel, masks, gates):
    """`inputs @ kernel`, where each of the `gates` column blocks of `kernel` sees `inputs`
    times its own dropout mask (one shared mask when `masks` has one entry)."""
    if masks is None:
        return tf.matmul(inputs, kernel)
    if len(masks) == 1:
        return tf.matmul(inputs * masks[0], kernel)
    blocks = tf.split(kernel, gates, axis=-1)
    return tf.concat([tf.matmul(inputs * m, k) for m, k in zip(masks, blocks)], axis=-1)


def _project_sequence(sequences, kernel, bias, masks, gates):
    """Projects time-major `sequences` `(time, batch, features)` with one matmul."""
    shape = tf.shape(sequences)
    flat = tf.reshape(sequences, (-1, sequences.shape[-1]))
    if masks is not None:
        # A dropout mask is per sample, shared by every timestep.
        tiled = [tf.tile(m, (shape[0], 1)) for m in masks]
        projected = gated_matmul(flat, kernel, tiled, gates)
    else:
        projected = tf.matmul(flat, kernel)
    if bias is not None:
        projected = tf.nn.bias_add(projected, bias)
    return tf.reshape(projected, tf.concat([shape[:2], [kernel.shape[-1]]], axis=0))


def init_arguments(init_locals, *exclude):
    """The named arguments of an `__init__`, read from its `locals()` before any assignment.

    Leaves out `self`, `kwargs` and the names in `exclude`.
    """
    skip = {"self", "__class__", "kwargs", *exclude}
    return {name: value for name, value in init_locals.items() if name not in skip}


class FusedCell(Layer):
    """Shared machinery of the built-in cells.

    A cell projects a whole time-major sequence at once (`project_inputs`) and builds a step
    function (`make_step(recurrent_masks, input_masks)`) that applies the recurrent kernel;
    a cell whose `project_inputs` returns the inputs as they are (LSTM) applies the input
    kernel and `input_masks` in its step instead. Called alone, as
    `cell(inputs, states, training=None)`, it does both for one timestep, as Keras cells do.
    """

    gates = 1

    def __init__(
        self,
        units,
        activation,
        use_bias,
        kernel_initializer,
        recurrent_initializer,
        bias_initializer,
        kernel_regularizer,
        recurrent_regularizer,
        bias_regularizer,
        kernel_constraint,
        recurrent_constraint,
        bias_constraint,
        dropout,
        recurrent_dropout,
        seed,
        **kwargs,
    ):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        name = type(self).__name__
        check_positive_int(name, "units", units)
        _check_rate(name, "dropout", dropout)
        _check_rate(name, "recurrent_dropout", recurrent_dropout)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.output_size = self.units
        self._cached_masks = None

    def _mask_count(self):
        # Keras uses one mask per gate once recurrent dropout is on (its `implementation=1`).
        return self.gates if self.recurrent_dropout > 0 else 1

    def dropout_masks(self, step_input, state, training):
        """Returns `(input_masks, recurrent_masks)` for one sequence (None when inactive)."""
        if not training:
            return None, None
        count = self._mask_count()
        return (
            _dropout_masks(step_input, self.dropout, count, self.seed),
            _dropout_masks(
                state,
                self.recurrent_dropout,
                count,
                None if self.seed is None else self.seed + count,
            ),
        )

    def _build_kernels(self, input_dim):
        width = self.units * self.gates
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    def _build_bias(self, shape, initializer=None):
        """Adds `bias` of `shape` (None without `use_bias`); `bias_initializer` by default."""
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=shape,
                initializer=self.bias_initializer if initializer is None else initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _input_bias(self):
        if self.bias is None:
            return None
        return cast_to_compute(self.bias, self.compute_dtype)

    def project_inputs(self, sequences, input_masks=None):
        """Applies the input kernel and input bias to time-major `(time, batch, features)`."""
        kernel = cast_to_compute(self.kernel, self.compute_dtype)
        return _project_sequence(sequences, kernel, self._input_bias(), input_masks, self.gates)

    def call(self, inputs, states, training=None):
        if not isinstance(states, (list, tuple)):
            states = [states]
        if self._cached_masks is not None:
            input_masks, recurrent_masks = self._cached_masks
        else:
            input_masks, recurrent_masks = self.dropout_masks(inputs, states[0], training)
        projected = self.project_inputs(inputs[None], input_masks)[0]
        return self.make_step(recurrent_masks, input_masks)(projected, list(states))

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [tf.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "recurrent_regularizer": serialize_keras_object(self.recurrent_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "recurrent_constraint": serialize_keras_object(self.recurrent_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
