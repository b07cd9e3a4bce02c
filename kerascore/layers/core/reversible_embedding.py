"""`ReversibleEmbedding`: an embedding that also projects vectors back to vocabulary logits."""

import tensorflow as tf

from kerascore.layers.core.embedding import Embedding
from kerascore.layers.layer import cast_to_compute
from kerascore.saving.serialization import register_builtin


@register_builtin
class ReversibleEmbedding(Embedding):
    """An `Embedding` that can be called in reverse: `layer(hidden, reverse=True)` returns
    `hidden @ embeddings.T`, the logits over the vocabulary (a tied language-model head).

    Args:
        input_dim: the vocabulary size.
        output_dim: the size of each vector.
        tie_weights: whether the reverse projection uses the transposed embeddings (True) or
            its own `reverse_embeddings` weight `(output_dim, input_dim)`.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint: for the table.
        mask_zero: whether id 0 is padding (forward calls only).
        reverse_dtype: the dtype of the reverse matmul, e.g. `"float32"` under mixed
            precision; the compute dtype when None.
        logit_soft_cap: when set, logits become `cap * tanh(logits / cap)`.

    Call arguments:
        inputs: int ids (forward) or vectors `(..., output_dim)` (reverse).
        reverse: which direction to run.

    Example:
        embedding = keras.layers.ReversibleEmbedding(100, 16)
        hidden = embedding(np.array([[1, 2, 3]]))  # (1, 3, 16)
        logits = embedding(hidden, reverse=True)  # (1, 3, 100)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        **kwargs,
    ):
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        if logit_soft_cap is not None and not logit_soft_cap > 0:
            raise ValueError(
                f"`logit_soft_cap` must be positive or None. Received: "
                f"logit_soft_cap={logit_soft_cap!r}"
            )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = tf.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        dtype = self.reverse_dtype or self.compute_dtype
        inputs = tf.cast(inputs, dtype)
        logits = tf.linalg.matmul(inputs, cast_to_compute(kernel, dtype))
        if self.logit_soft_cap is not None:
            logits = tf.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero or not inputs.dtype.is_integer:
            return None
        return tf.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*tuple(input_shape)[:-1], self.input_dim)
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
