"""ScheduleFreeAdamW: AdamW without a learning rate schedule (Defazio et al., 2024)."""

import tensorflow as tf

from kerascore.optimizers.base import Optimizer
from kerascore.saving.serialization import register_builtin


@register_builtin
class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW: interpolates between an Adam iterate and its running average.

    The weights hold the interpolation point `y`; the `momentum` slot holds the Adam
    iterate `z`, initialised to the weights; the average `x` is recovered from both.

    Args:
        learning_rate: A float, a `LearningRateSchedule` or a callable. Defaults to 0.0025.
        beta_1: Interpolation weight between the average and the Adam iterate.
        beta_2: Decay rate of the second moment estimates.
        epsilon: Small constant for numerical stability.
        warmup_steps: Steps over which the learning rate ramps up linearly.
        **kwargs: Base optimizer arguments (`weight_decay`, `clipnorm`, `name`, ...).
    """

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, var_list):
        """Creates momentum (set to the weights) and velocity slots."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        with tf.init_scope():
            for momentum, variable in zip(self._momentums, var_list, strict=True):
                momentum.assign(variable)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        gradient = tf.cast(gradient, dtype)
        local_step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        if self.warmup_steps > 0:
            lr = lr * tf.minimum(local_step / tf.cast(self.warmup_steps, dtype), 1.0)
        index = self._get_variable_index(variable)
        momentum = self._momentums[index]
        velocity = self._velocities[index]
        bias_correction_2 = 1 - tf.pow(beta_2, local_step)
        velocity.assign_add((tf.square(gradient) - velocity) * (1 - beta_2))
        denominator = tf.sqrt(velocity / bias_correction_2) + tf.cast(self.epsilon, dtype)
        momentum.assign_sub(lr * gradient / denominator)
        weight = 1.0 / local_step
        # Keras 3 reads the momentum after its update here (its `momentum.value` is the live
        # variable under TensorFlow), and so does this, for identical weights.
        x_old = (variable - (1 - beta_1) * momentum) / beta_1
        x_new = (1 - weight) * x_old + weight * momentum
        variable.assign((1 - beta_1) * momentum + beta_1 * x_new)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
