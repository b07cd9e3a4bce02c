"""`GaussianDropout`: multiplies by one-centred noise in training."""

import math

import tensorflow as tf

from kerascore.layers.regularization.training_noise import TrainingNoise, check_rate
from kerascore.saving.serialization import register_builtin


@register_builtin
class GaussianDropout(TrainingNoise):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` in training.

    Args:
        rate: float in [0, 1), the drop probability of the equivalent dropout.
        seed: an int for reproducible noise.

    Call arguments:
        training: apply noise only when True.

    Example:
        layer = keras.layers.GaussianDropout(0.2)
        layer(np.ones((2, 3)), training=True).shape  # (2, 3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("GaussianDropout", rate)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = tf.random.normal(
            tf.shape(inputs), mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed
        )
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
