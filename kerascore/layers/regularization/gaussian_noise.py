"""`GaussianNoise`: adds zero-centred noise in training."""

import tensorflow as tf

from kerascore.layers.regularization.training_noise import TrainingNoise
from kerascore.saving.serialization import register_builtin


@register_builtin
class GaussianNoise(TrainingNoise):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` in training.

    Args:
        stddev: non-negative float, the standard deviation of the noise.
        seed: an int for reproducible noise.

    Call arguments:
        training: add noise only when True.

    Example:
        layer = keras.layers.GaussianNoise(0.1)
        layer(np.ones((2, 3)), training=True).shape  # (2, 3)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(stddev, (int, float)) or isinstance(stddev, bool) or stddev < 0:
            raise ValueError(
                "Invalid value received for argument `stddev` of GaussianNoise: expected a "
                f"non-negative float. Received: stddev={stddev!r}"
            )
        self.stddev = float(stddev)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = tf.random.normal(
            tf.shape(inputs), stddev=self.stddev, dtype=inputs.dtype, seed=self.seed
        )
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
