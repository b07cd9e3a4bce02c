"""`SpectralNormalization`: divides a layer's kernel by its largest singular value."""

import tensorflow as tf

from kerascore import initializers
from kerascore.layers.core.wrapper import Wrapper
from kerascore.layers.input_spec import InputSpec
from kerascore.saving.serialization import register_builtin


@register_builtin
class SpectralNormalization(Wrapper):
    """Spectral normalization (Miyato et al., 2018) of a layer with a `kernel` (or
    `embeddings`): in training, power iteration estimates the kernel's spectral norm and the
    kernel is divided by it in place, as Keras 3 does; at inference the layer runs as is.

    Args:
        layer: a layer with a `kernel` or `embeddings` weight (Dense, Conv2D, Embedding...).
        power_iterations: power-iteration steps per training call, a positive int.

    Example:
        layer = keras.layers.SpectralNormalization(keras.layers.Dense(4))
        layer(np.ones((2, 3)), training=True)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if (
            isinstance(power_iterations, bool)
            or not isinstance(power_iterations, int)
            or power_iterations < 1
        ):
            raise ValueError(
                "`power_iterations` should be a positive int. Received: "
                f"power_iterations={power_iterations!r}"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(
                f"SpectralNormalization needs a layer with a `kernel` or `embeddings` weight. "
                f"Received: layer of type {type(self.layer).__name__}"
            )
        self.kernel_shape = tuple(self.kernel.shape)
        # Keras tracks the wrapped kernel as the wrapper's own weight too, so the weight order
        # is kernel, vector_u, then the wrapped layer's others; the same order here lets
        # set_weights take Keras's weights.
        (self._own_trainable if self.kernel.trainable else self._own_non_trainable).append(
            self.kernel
        )
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            dtype=self.kernel.dtype,
        )
        self.built = True

    def call(self, inputs, training=False):
        if training:
            new_vector_u, new_kernel = tf.cond(
                tf.reduce_all(tf.equal(self.kernel, 0)),
                lambda: (tf.identity(self.vector_u), tf.identity(self.kernel)),
                self.normalized_weights,
            )
            self.vector_u.assign(new_vector_u)
            self.kernel.assign(new_kernel)
        return tf.cast(self.layer(inputs), inputs.dtype)

    def normalized_weights(self):
        """The next power-iteration vector and the kernel divided by its spectral norm."""
        weights = tf.reshape(self.kernel, (-1, self.kernel_shape[-1]))
        vector_u = tf.convert_to_tensor(self.vector_u)
        for _ in range(self.power_iterations):
            vector_v = tf.math.l2_normalize(tf.matmul(vector_u, weights, transpose_b=True))
            vector_u = tf.math.l2_normalize(tf.matmul(vector_v, weights))
        vector_u = tf.stop_gradient(vector_u)
        vector_v = tf.stop_gradient(vector_v)
        sigma = tf.matmul(tf.matmul(vector_v, weights), vector_u, transpose_b=True)
        kernel = tf.reshape(self.kernel / sigma, self.kernel_shape)
        return tf.cast(vector_u, self.vector_u.dtype), tf.cast(kernel, self.kernel.dtype)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
