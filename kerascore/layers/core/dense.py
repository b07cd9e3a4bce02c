"""`Dense`: the densely connected layer."""

import tensorflow as tf

from kerascore import activations, constraints, initializers, regularizers
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer, cast_to_compute
from kerascore.saving.serialization import register_builtin, serialize_keras_object
from kerascore.utils.argument_validation import check_positive_int


@register_builtin
class Dense(Layer):
    """A densely connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: positive int, the size of the output.
        activation: an activation name or function; none (linear) by default.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers of the weights.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections applied after each update.

    Input shape:
        `(batch_size, ..., input_dim)`.

    Output shape:
        `(batch_size, ..., units)`.

    Example:
        layer = keras.layers.Dense(4, activation="relu")
        layer(np.ones((2, 3))).shape  # (2, 4)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
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
                f"Dense does not implement LoRA in kerascore, so lora_rank would be ignored. "
                f"Received: lora_rank={lora_rank!r}. Leave lora_rank=None, or fine-tune the "
                "whole kernel."
            )
        super().__init__(**kwargs)
        check_positive_int("Dense", "units", units)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' needs a defined last input dimension. Received input "
                f"shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs, training=None):
        kernel = cast_to_compute(self.kernel, self.compute_dtype)
        if inputs.shape.rank == 2:
            outputs = tf.matmul(inputs, kernel)
        else:
            outputs = tf.tensordot(inputs, kernel, axes=[[inputs.shape.rank - 1], [0]])
        if self.bias is not None:
            outputs = tf.nn.bias_add(outputs, cast_to_compute(self.bias, self.compute_dtype))
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            # Keras 3 averages the activity penalty over the batch.
            batch_size = tf.cast(tf.shape(outputs)[0], outputs.dtype)
            self.add_loss(self.activity_regularizer(outputs) / batch_size)
        return outputs

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
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
