"""Adadelta: per-dimension learning rates from running averages of updates and gradients."""

import tensorflow as tf

from kerascore.optimizers.base import Optimizer
from kerascore.saving.serialization import register_builtin


@register_builtin
class Adadelta(Optimizer):
    """Adadelta optimizer.

    Args:
        learning_rate: A float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        rho: Decay rate of the running averages.
        epsilon: Small constant for numerical stability.
        **kwargs: Base optimizer arguments (`weight_decay`, `clipnorm`, `name`, ...).
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.95,
        epsilon=1e-7,
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
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        """Creates the accumulated squared gradient and squared update slots."""
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        gradient = tf.cast(gradient, variable.dtype)
        rho = self.rho
        index = self._get_variable_index(variable)
        accumulated_grad = self._accumulated_grads[index]
        accumulated_delta_var = self._accumulated_delta_vars[index]

        def rms(x):
            return tf.sqrt(x + self.epsilon)

        accumulated_grad.assign(rho * accumulated_grad + (1 - rho) * tf.square(gradient))
        delta_var = -(rms(accumulated_delta_var) * gradient) / rms(accumulated_grad)
        accumulated_delta_var.assign(rho * accumulated_delta_var + (1 - rho) * tf.square(delta_var))
        variable.assign_add(lr * delta_var)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
