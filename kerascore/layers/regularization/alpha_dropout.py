"""`AlphaDropout`: dropout that keeps SELU's mean and variance."""

import tensorflow as tf

from kerascore.layers.regularization.training_noise import TrainingNoise, check_rate
from kerascore.saving.serialization import register_builtin


@register_builtin
class AlphaDropout(TrainingNoise):
    """Dropout for self-normalizing (SELU) networks: in training, dropped inputs are set to
    SELU's negative saturation value and an affine correction keeps the mean and variance.

    Args:
        rate: float in [0, 1), the fraction of inputs to drop.
        noise_shape: the shape of the binary mask (None entries take the input's size).
        seed: an int for reproducible masks.

    Call arguments:
        training: drop only when True.

    Example:
        layer = keras.layers.AlphaDropout(0.1)
        layer(np.ones((2, 3)), training=True).shape  # (2, 3)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else list(noise_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = tf.shape(inputs)
        noise_shape = shape
        if self.noise_shape is not None:
            noise_shape = tf.stack(
                [shape[i] if dim is None else dim for i, dim in enumerate(self.noise_shape)]
            )
        alpha = 1.6732632423543772848170429916717
        scale = 1.0507009873554804934193349852946
        alpha_p = -alpha * scale
        kept = tf.cast(tf.random.uniform(noise_shape, seed=self.seed) >= self.rate, inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
