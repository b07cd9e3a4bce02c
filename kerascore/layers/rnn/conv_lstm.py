"""`ConvLSTM`: the base of ConvLSTM1D/2D/3D, an LSTM whose products are convolutions."""

import tensorflow as tf

from kerascore import activations, constraints, initializers, random, regularizers
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer, cast_to_compute
from kerascore.saving.serialization import serialize_keras_object
from kerascore.utils.argument_validation import (
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from kerascore.utils.conv_utils import (
    TF_FORMATS,
    conv_output_length,
    to_channels_first,
    to_channels_last,
)

_GATES = 4


class ConvLSTM(Layer):
    """A convolutional LSTM (Shi et al., 2015) over `(batch, time, *spatial, channels)`.

    The gates are `i, f, c, o` as in Keras 3, each a convolution of the input plus a
    `"same"` convolution of the previous output; the weights are `kernel`
    `(*kernel_size, channels, 4 filters)`, `recurrent_kernel` `(*kernel_size, filters,
    4 filters)` and `bias` `(4 filters,)`, in Keras's order, so `set_weights` takes Keras's.

    Args:
        rank: the number of spatial axes (1, 2 or 3).
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or `rank` ints.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        activation, recurrent_activation: `tanh` and `sigmoid` by default.
        use_bias: whether the gates have biases.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: start the forget gate's bias at 1.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout, recurrent_dropout: dropout rates of the inputs and of the recurrent state
            (training only).
        seed: the int seed of the dropout.
        return_sequences: return every step's output, not only the last.
        return_state: also return the final output and cell states.
        go_backwards: run the sequence in reverse (the returned sequence is reversed).
        stateful: must be False (not supported for ConvLSTM in kerascore).
        unroll: accepted for Keras compatibility; the loop is never unrolled.

    Call arguments:
        inputs: `(batch, time, *spatial, channels)` (channels first after time for
            `"channels_first"`).
        mask: `(batch, time)` bool; masked steps keep the previous states.
        training: whether dropout is active.
        initial_state: `[output, cell]` states, zeros when omitted.
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"`filters` must be a positive int. Received: filters={filters!r}")
        if stateful:
            raise ValueError(
                "ConvLSTM layers do not support stateful=True in kerascore. Received: "
                "stateful=True; carry states explicitly with return_state and initial_state."
            )
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
                raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={rate!r}")
        self.rank = rank
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=rank + 3)

    def _split_shape(self, input_shape):
        """`(spatial dims, channels)` of a `(batch, time, ...)` input shape."""
        if self.data_format == "channels_first":
            return tuple(input_shape[3:]), input_shape[2]
        return tuple(input_shape[2:-1]), input_shape[-1]

    def build(self, input_shape):
        spatial, channels = self._split_shape(tuple(input_shape))
        if None in spatial or channels is None:
            raise ValueError(
                "ConvLSTM layers need static spatial and channel dimensions. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.filters * _GATES),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(*self.kernel_size, self.filters, self.filters * _GATES),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            bias_initializer = self.bias_initializer
            if self.unit_forget_bias:
                base = self.bias_initializer

                def bias_initializer(shape, dtype=None):
                    return tf.concat(
                        [
                            base((self.filters,), dtype=dtype),
                            tf.ones((self.filters,), dtype=dtype),
                            base((self.filters * 2,), dtype=dtype),
                        ],
                        axis=0,
                    )

            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters * _GATES,),
                initializer=bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(ndim=self.rank + 3, shape=(None, *tuple(input_shape)[1:]))
        self.built = True

    def _state_spatial(self, spatial):
        return tuple(
            conv_output_length(length, size, stride, self.padding, dilation)
            for length, size, stride, dilation in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate
            )
        )

    def _dropout_masks(self, shape, rate, dtype):
        return [
            tf.nn.experimental.stateless_dropout(
                tf.ones(shape, dtype), rate=rate, seed=random.draw_seed(self.seed_generator)
            )
            for _ in range(_GATES)
        ]

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if self.data_format == "channels_first":
            # (batch, time, channels, *spatial) -> (batch, time, *spatial, channels).
            inputs = tf.transpose(inputs, [0, 1, *range(3, self.rank + 3), 2])
        shape = tf.shape(inputs)
        batch, steps = shape[0], shape[1]
        kernel = cast_to_compute(self.kernel, self.compute_dtype)
        recurrent_kernel = cast_to_compute(self.recurrent_kernel, self.compute_dtype)
        folded = tf.reshape(inputs, tf.concat([[-1], shape[2:]], axis=0))
        folded.set_shape((None, *inputs.shape[2:]))
        dropping = bool(training) and self.dropout > 0
        input_masks = (
            self._dropout_masks(tf.shape(folded[:1]), self.dropout, folded.dtype)
            if dropping
            else None
        )
        kernels = tf.split(kernel, _GATES, axis=-1)
        projections = []
        for gate in range(_GATES):
            gate_inputs = folded * input_masks[gate] if dropping else folded
            projections.append(
                tf.nn.convolution(
                    gate_inputs,
                    kernels[gate],
                    strides=self.strides,
                    padding=self.padding.upper(),
                    dilations=self.dilation_rate,
                    data_format=TF_FORMATS[self.rank],
                )
            )
        projected = tf.concat(projections, axis=-1)
        if self.bias is not None:
            projected = projected + cast_to_compute(self.bias, self.compute_dtype)
        state_shape = tf.shape(projected)[1:-1]
        projected = tf.reshape(
            projected, tf.concat([[batch, steps], tf.shape(projected)[1:]], axis=0)
        )
        time_major = tf.transpose(projected, [1, 0, *range(2, self.rank + 3)])
        step_mask = None
        if mask is not None:
            step_mask = tf.transpose(tf.cast(mask, tf.bool), [1, 0])
        if self.go_backwards:
            time_major = tf.reverse(time_major, [0])
            if step_mask is not None:
                step_mask = tf.reverse(step_mask, [0])
        if initial_state is not None:
            states = [tf.convert_to_tensor(s, self.compute_dtype) for s in initial_state]
            if self.data_format == "channels_first":
                states = [to_channels_last(s) for s in states]
        else:
            zeros = tf.zeros(
                tf.concat([[batch], state_shape, [self.filters]], axis=0), self.compute_dtype
            )
            states = [zeros, zeros]
        recurrent_masks = None
        if bool(training) and self.recurrent_dropout > 0:
            recurrent_masks = self._dropout_masks(
                tf.shape(states[0]), self.recurrent_dropout, states[0].dtype
            )
        recurrent_kernels = tf.split(recurrent_kernel, _GATES, axis=-1)

        def step(carry, elements):
            output, cell = carry
            projection, keep = elements
            recurrent = []
            for gate in range(_GATES):
                previous = output * recurrent_masks[gate] if recurrent_masks else output
                recurrent.append(
                    tf.nn.convolution(
                        previous,
                        recurrent_kernels[gate],
                        padding="SAME",
                        data_format=TF_FORMATS[self.rank],
                    )
                )
            x_i, x_f, x_c, x_o = tf.split(projection, _GATES, axis=-1)
            input_gate = self.recurrent_activation(x_i + recurrent[0])
            forget_gate = self.recurrent_activation(x_f + recurrent[1])
            new_cell = forget_gate * cell + input_gate * self.activation(x_c + recurrent[2])
            output_gate = self.recurrent_activation(x_o + recurrent[3])
            new_output = output_gate * self.activation(new_cell)
            if keep is not None:
                keep = tf.reshape(keep, [-1] + [1] * (self.rank + 1))
                new_output = tf.where(keep, new_output, output)
                new_cell = tf.where(keep, new_cell, cell)
            return new_output, new_cell

        if step_mask is None:
            outputs, cells = tf.scan(
                lambda carry, projection: step(carry, (projection, None)),
                time_major,
                initializer=tuple(states),
            )
        else:
            outputs, cells = tf.scan(step, (time_major, step_mask), initializer=tuple(states))
        last_output, last_cell = outputs[-1], cells[-1]
        if self.return_sequences:
            result = tf.transpose(outputs, [1, 0, *range(2, self.rank + 3)])
            if self.data_format == "channels_first":
                result = tf.transpose(result, [0, 1, self.rank + 2, *range(2, self.rank + 2)])
        else:
            result = last_output
            if self.data_format == "channels_first":
                result = to_channels_first(result)
        if self.activity_regularizer is not None:
            penalty = self.activity_regularizer(result)
            self.add_loss(penalty / tf.cast(batch, penalty.dtype))
        if not self.return_state:
            return result
        if self.data_format == "channels_first":
            last_output, last_cell = to_channels_first(last_output), to_channels_first(last_cell)
        return [result, last_output, last_cell]

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial, _ = self._split_shape(input_shape)
        out_spatial = self._state_spatial(spatial)
        if self.data_format == "channels_first":
            state = (input_shape[0], self.filters, *out_spatial)
            sequence = (input_shape[0], input_shape[1], self.filters, *out_spatial)
        else:
            state = (input_shape[0], *out_spatial, self.filters)
            sequence = (input_shape[0], input_shape[1], *out_spatial, self.filters)
        output = sequence if self.return_sequences else state
        return [output, state, state] if self.return_state else output

    def compute_mask(self, inputs, previous_mask):
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        output_mask = previous_mask if self.return_sequences else None
        return [output_mask, None, None] if self.return_state else output_mask

    def get_config(self):
        config = {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "recurrent_regularizer": serialize_keras_object(self.recurrent_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "recurrent_constraint": serialize_keras_object(self.recurrent_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
        }
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in (
            "kernel_regularizer",
            "recurrent_regularizer",
            "bias_regularizer",
            "activity_regularizer",
        ):
            config[key] = regularizers.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_constraint", "recurrent_constraint", "bias_constraint"):
            config[key] = constraints.deserialize(config[key]) if config.get(key) else None
        for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
            if isinstance(config.get(key), dict):
                config[key] = initializers.deserialize(config[key])
        return cls(**config)
