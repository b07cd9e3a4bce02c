"""Muon: orthogonalised momentum for 2D weights, AdamW for the rest (Jordan et al., 2024)."""

import re

import tensorflow as tf

from kerascore.optimizers.base import Optimizer
from kerascore.saving.serialization import register_builtin


def _variable_path(variable):
    return getattr(variable, "path", None) or str(variable.name).split(":")[0]


def _swap_last_axes(x):
    order = list(range(len(x.shape)))
    order[-2], order[-1] = order[-1], order[-2]
    return tf.transpose(x, order)


@register_builtin
class Muon(Optimizer):
    """Muon optimizer.

    2D weights (except embeddings and `exclude_layers`) follow Nesterov momentum whose update
    is orthogonalised by Newton-Schulz iterations and rescaled to an RMS set by `rms_rate`;
    every other variable follows AdamW with learning rate `learning_rate * adam_lr_ratio`.

    Args:
        learning_rate: A float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        adam_beta_1: AdamW decay rate of the first moments.
        adam_beta_2: AdamW decay rate of the second moments.
        adam_weight_decay: Weight decay of the AdamW variables.
        epsilon: AdamW's small constant for numerical stability.
        weight_decay: Weight decay of the Muon variables.
        exclude_layers: Regular expressions; variables whose path matches one use AdamW.
        exclude_embeddings: Whether variables with "embedding" in their path use AdamW.
        muon_a: First Newton-Schulz coefficient.
        muon_b: Second Newton-Schulz coefficient.
        muon_c: Third Newton-Schulz coefficient.
        adam_lr_ratio: Learning rate of AdamW variables relative to `learning_rate`.
        momentum: Momentum of the Muon variables.
        ns_steps: Number of Newton-Schulz iterations.
        nesterov: Whether the Muon momentum is Nesterov momentum.
        rms_rate: Target RMS scale of Muon updates; `None` leaves updates unscaled.
        **kwargs: Base optimizer arguments (`clipnorm`, `name`, ...).
    """

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
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
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        if len(variable.shape) != 2:
            return True
        path = _variable_path(variable)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        """Creates a momentum slot per variable and a velocity slot per AdamW variable."""
        if self.built:
            return
        super().build(var_list)
        self.momentums = []
        self.adam_velocities = []
        for variable in var_list:
            self.momentums.append(self.add_variable_from_reference(variable, name="momentum"))
            self.adam_velocities.append(
                self.add_variable_from_reference(variable, name="velocity")
                if self._should_use_adamw(variable)
                else None
            )

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        m = self.momentums[index]
        v = self.adam_velocities[index]
        if v is not None:
            self._adamw_update_step(gradient, variable, learning_rate * self.adam_lr_ratio, m, v)
        else:
            self._muon_update_step(gradient, variable, learning_rate, m)

    def _muon_update_step(self, gradient, variable, learning_rate, m):
        dtype = variable.dtype
        gradient = tf.cast(gradient, dtype)
        lr = tf.cast(learning_rate, dtype)
        m.assign_add(gradient + m * (self.momentum - 1))
        direction = gradient + self.momentum * m if self.nesterov else tf.identity(m)
        update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        variable.assign_sub(self.lr_adjust(lr * update))

    def _adamw_update_step(self, gradient, variable, learning_rate, m, v):
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        gradient = tf.cast(gradient, dtype)
        local_step = tf.cast(self.iterations + 1, dtype)
        beta_1_power = tf.pow(tf.cast(self.adam_beta_1, dtype), local_step)
        beta_2_power = tf.pow(tf.cast(self.adam_beta_2, dtype), local_step)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((gradient - m) * (1 - self.adam_beta_1))
        v.assign_add((tf.square(gradient) - v) * (1 - self.adam_beta_2))
        variable.assign_sub((m * alpha) / (tf.sqrt(v) + self.epsilon))

    def lr_adjust(self, x):
        """Rescales an orthogonalised update to RMS `rms_rate` (the Moonlight recipe)."""
        if self.rms_rate is None:
            return x
        scale = tf.sqrt(tf.cast(max(x.shape[0], x.shape[1]), x.dtype))
        return x * scale * self.rms_rate

    def zeropower_via_newtonschulz5(self, x, steps):
        """Approximately orthogonalises `x` with `steps` quintic Newton-Schulz iterations.

        Raises:
            ValueError: if `x` has fewer than 2 dimensions.
        """
        shape = tuple(x.shape)
        if len(shape) < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={shape}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = shape[-2] > shape[-1]
        if tall:
            x = _swap_last_axes(x)
        x = x / (tf.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
        for _ in range(steps):
            gram = x @ _swap_last_axes(x)
            x = a * x + (b * gram + c * gram @ gram) @ x
        return _swap_last_axes(x) if tall else x

    def _apply_weight_decay(self, variables):
        # Muon and AdamW variables decay at their own rates (`weight_decay`, `adam_weight_decay`).
        def decay(variable):
            if self._should_use_adamw(variable):
                weight_decay = self.adam_weight_decay
            else:
                weight_decay = self.weight_decay
            if weight_decay is None or not self._use_weight_decay(variable):
                return
            wd = tf.cast(weight_decay, variable.dtype)
            lr = tf.cast(self.learning_rate, variable.dtype)
            variable.assign(variable - variable * wd * lr)

        def distributed_decay(distribution, variables):
            for variable in variables:
                distribution.extended.update(variable, decay, group=False)

        tf.__internal__.distribute.interim.maybe_merge_call(
            distributed_decay, self._distribution_strategy, variables
        )

    def get_config(self):
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
