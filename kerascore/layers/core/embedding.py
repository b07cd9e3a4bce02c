"""`Embedding`: integer indices to dense vectors."""

import tensorflow as tf

from kerascore import constraints, initializers, regularizers
from kerascore.layers.layer import Layer, cast_to_compute
from kerascore.saving.serialization import register_builtin, serialize_keras_object
from kerascore.utils.argument_validation import check_positive_int


@register_builtin
class Embedding(Layer):
    """Turns non-negative integer ids into dense vectors of size `output_dim`.

    Args:
        input_dim: the vocabulary size (largest id + 1).
        output_dim: the size of each vector.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint: for the table.
        mask_zero: whether id 0 is padding to be masked downstream.
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        **kwargs,
    ):
        kwargs.pop("input_length", None)
        if lora_rank is not None:
            raise ValueError(
                f"Embedding does not implement LoRA in kerascore, so lora_rank would be ignored. "
                f"Received: lora_rank={lora_rank!r}. Leave lora_rank=None, or fine-tune the "
                "whole kernel."
            )
        super().__init__(**kwargs)
        check_positive_int("Embedding", "input_dim", input_dim)
        check_positive_int("Embedding", "output_dim", output_dim)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(
            "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        )
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self._initial_weights = weights
        self.autocast = False

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, inputs):
        if inputs.dtype not in (tf.int32, tf.int64):
            inputs = tf.cast(inputs, tf.int32)
        return tf.nn.embedding_lookup(cast_to_compute(self.embeddings, self.compute_dtype), inputs)

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        return tf.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("embeddings_initializer"), dict):
            config["embeddings_initializer"] = initializers.deserialize(
                config["embeddings_initializer"]
            )
        if config.get("embeddings_regularizer"):
            config["embeddings_regularizer"] = regularizers.deserialize(
                config["embeddings_regularizer"]
            )
        if config.get("embeddings_constraint"):
            config["embeddings_constraint"] = constraints.deserialize(
                config["embeddings_constraint"]
            )
        return cls(**config)
