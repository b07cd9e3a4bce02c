"""Adafactor: Adam-like updates with factored second moments (Shazeer & Stern, 2018)."""

import tensorflow as tf

from kerascore.optimizers.base import Optimizer
from kerascore.saving.serialization import register_builtin


def _rms(x):
    return tf.sqrt(tf.reduce_mean(tf.square(x)))


@register_builtin
class Adafactor(Optimizer):
    """Adafactor optimizer.

    For variables of rank >= 2 the second moment is kept as a row and a column average over
    the last two axes, so the state grows with `rows + columns` instead of `rows * columns`.
    Updates are scaled by the weights' RMS and clipped by their own RMS.

    Args:
        learning_rate: A float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        beta_2_decay: Exponent of the second-moment decay, `beta_2 = 1 - step**beta_2_decay`.
        epsilon_1: Added to squared gradients.
        epsilon_2: Floor of the weights' RMS in the relative step size.
        clip_threshold: RMS above which the update is scaled down.
        relative_step: Whether a float learning rate is capped at `1 / sqrt(step)`.
        **kwargs: Base optimizer arguments (`weight_decay`, `clipnorm`, `name`, ...).
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list):
        """Creates row and column factors (rank >= 2) and a velocity slot per variable."""
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for variable in var_list:
            shape = tuple(variable.shape)
            if len(shape) < 2:
                self._r.append(None)
                self._c.append(None)
            else:
                name = str(variable.name).split(":")[0].replace("/", "_")
                self._r.append(
                    self.add_variable(shape[:-1], dtype=variable.dtype, name=f"{name}_row")
                )
                self._c.append(
                    self.add_variable(
                        shape[:-2] + shape[-1:], dtype=variable.dtype, name=f"{name}_column"
                    )
                )
            self._v.append(self.add_variable_from_reference(variable, name="velocity"))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        gradient = tf.cast(gradient, dtype)
        epsilon_2 = tf.cast(self.epsilon_2, dtype)
        local_step = tf.cast(self.iterations + 1, dtype)
        if not callable(self._learning_rate) and self.relative_step:
            lr = tf.minimum(lr, 1 / tf.sqrt(local_step))
        index = self._get_variable_index(variable)
        r, c, v = self._r[index], self._c[index], self._v[index]

        rho_t = tf.minimum(lr, 1 / tf.sqrt(local_step))
        alpha_t = tf.maximum(epsilon_2, _rms(variable)) * rho_t
        regulated_grad_square = tf.square(gradient) + self.epsilon_1
        beta_2_t = 1 - tf.pow(local_step, self.beta_2_decay)
        if len(variable.shape) >= 2:
            r.assign(beta_2_t * r + (1 - beta_2_t) * tf.reduce_mean(regulated_grad_square, axis=-1))
            c.assign(beta_2_t * c + (1 - beta_2_t) * tf.reduce_mean(regulated_grad_square, axis=-2))
            row_factor = r / tf.reduce_mean(r, axis=-1, keepdims=True)
            v.assign(tf.expand_dims(row_factor, -1) * tf.expand_dims(c, -2))
        else:
            v.assign(beta_2_t * v + (1 - beta_2_t) * regulated_grad_square)
        u_t = gradient / tf.sqrt(v)
        u_t_hat = u_t / tf.maximum(tf.ones((), dtype), _rms(u_t) / self.clip_threshold)
        variable.assign_sub(alpha_t * u_t_hat)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
