"""`LossScaleOptimizer`: dynamic loss scaling around another optimizer, for float16 training."""

import tensorflow as tf

from kerascore.optimizers.base import Optimizer
from kerascore.saving.serialization import register_builtin, serialize_keras_object

_BASE_ARGUMENT_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


@register_builtin
class LossScaleOptimizer(Optimizer):
    """An optimizer that dynamically scales the loss to prevent float16 gradient underflow.

    `scale_loss(loss)` multiplies the loss by the current scale; `apply` divides the
    gradients by it before handing them to `inner_optimizer`. When any gradient is not
    finite the step is skipped and the scale halved; after `dynamic_growth_steps` steps in a
    row with finite gradients the scale is doubled.

    Args:
        inner_optimizer: The `Optimizer` to wrap. Its own `loss_scale_factor` is disabled.
        initial_scale: The initial loss scale.
        dynamic_growth_steps: Number of finite steps after which the scale doubles.
        name: Name of the optimizer.

    Raises:
        ValueError: for a non-optimizer `inner_optimizer`, a non-positive scale or growth
            step count, or base optimizer arguments (set those on `inner_optimizer`).
    """

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer does not support `dynamic=False`. Set `loss_scale_factor` "
                "on the inner optimizer instead. Received: dynamic=False"
            )
        for arg_name, default_value in _BASE_ARGUMENT_DEFAULTS.items():
            if arg_name in kwargs and kwargs.pop(arg_name) != default_value:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg_name}`. Instead, set "
                    f"`{arg_name}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                "`inner_optimizer` must be a kerascore Optimizer. "
                f"Received: inner_optimizer={inner_optimizer!r}"
            )
        if isinstance(initial_scale, bool) or not initial_scale > 0:
            raise ValueError(
                "`initial_scale` must be a positive number. "
                f"Received: initial_scale={initial_scale!r}"
            )
        if (
            isinstance(dynamic_growth_steps, bool)
            or not isinstance(dynamic_growth_steps, int)
            or dynamic_growth_steps < 1
        ):
            raise ValueError(
                "`dynamic_growth_steps` must be a positive integer. "
                f"Received: dynamic_growth_steps={dynamic_growth_steps!r}"
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        # Otherwise the gradients would be unscaled twice.
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        """Creates the step counter and the scale, then builds the inner optimizer."""
        if self.built:
            return
        self.step_counter = self._add_own_variable(0, "int64", "step_counter")
        self.dynamic_scale = self._add_own_variable(self.initial_scale, "float32", "dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    def _add_own_variable(self, initial_value, dtype, name):
        with self._creation_scope():
            variable = tf.Variable(
                initial_value,
                dtype=dtype,
                trainable=False,
                name=name,
                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
            )
        self._variables.append(variable)
        return variable

    @property
    def variables(self):
        """Own state (iterations, learning rate, step counter, scale), then the inner state."""
        return self._variables + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        """The inner optimizer's learning rate."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        """The inner optimizer's update count (skipped steps are not counted)."""
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """Returns `loss` multiplied by the current scale (in at least float32)."""
        loss = tf.convert_to_tensor(loss)
        if loss.dtype in (tf.float16, tf.bfloat16):
            loss = tf.cast(loss, "float32")
        scale = self.dynamic_scale if self.built else self.initial_scale
        return loss * tf.cast(scale, loss.dtype)

    def check_finite(self, grads):
        """Returns a boolean tensor: whether every gradient is finite."""
        finite = [
            tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(g)))
            for g in grads
            if g is not None
        ]
        return tf.reduce_all(tf.stack(finite))

    def apply(self, grads, trainable_variables=None):
        """Unscales `grads` and applies them with the inner optimizer, or skips the step.

        Raises:
            ValueError: if called in a cross-replica context of a distribution strategy.
        """
        grads = list(grads)
        if trainable_variables is not None:
            trainable_variables = list(trainable_variables)
        if not self.built:
            self._build_on_first_use(trainable_variables)
        if not tf.distribute.has_strategy():
            self._common_apply(grads, trainable_variables)
            return
        if tf.distribute.in_cross_replica_context():
            raise ValueError("apply() must be called in a replica context.")
        if tf.__internal__.distribute.strategy_supports_no_merge_call():
            self._common_apply(grads, trainable_variables)
            return

        def handle_cross_replica(distribution, grads, trainable_variables):
            finite_per_replica = distribution.extended.call_for_each_replica(
                self.check_finite, args=(grads,)
            )
            # Gradients are all-reduced, so every replica computed the same `finite`.
            finite = distribution.experimental_local_results(finite_per_replica)[0]

            def apply_fn():
                distribution.extended.call_for_each_replica(
                    self._apply_unscaled, args=(grads, trainable_variables)
                )
                # The scale is updated here, in the cross-replica context, where assigning
                # a mirrored variable needs no synchronization inside the `cond`.
                self._count_finite_step()

            tf.cond(finite, apply_fn, self._handle_non_finite_grads)

        tf.distribute.get_replica_context().merge_call(
            handle_cross_replica, args=(grads, trainable_variables)
        )

    def _common_apply(self, grads, trainable_variables):
        def apply_fn():
            self._apply_unscaled(grads, trainable_variables)
            self._count_finite_step()

        tf.cond(self.check_finite(grads), apply_fn, self._handle_non_finite_grads)

    def _unscale(self, gradient):
        if gradient is None:
            return None
        gradient = tf.convert_to_tensor(gradient)
        if gradient.dtype in (tf.float16, tf.bfloat16):
            gradient = tf.cast(gradient, "float32")
        return gradient / tf.cast(self.dynamic_scale, gradient.dtype)

    def _apply_unscaled(self, grads, trainable_variables):
        self.inner_optimizer.apply(
            [self._unscale(g) for g in grads], trainable_variables=trainable_variables
        )

    def _count_finite_step(self):
        def upscale():
            self.step_counter.assign(0)
            self.dynamic_scale.assign(self.dynamic_scale * 2.0)

        def increment():
            self.step_counter.assign_add(1)

        tf.cond(tf.equal(self.step_counter, self.dynamic_growth_steps - 1), upscale, increment)

    def _handle_non_finite_grads(self):
        self.step_counter.assign(0)
        self.dynamic_scale.assign(self.dynamic_scale * 0.5)

    def finalize_variable_values(self, var_list):
        """Delegates to the inner optimizer (EMA weights, if any)."""
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": serialize_keras_object(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Builds the optimizer, deserializing `inner_optimizer` first."""
        from kerascore import optimizers

        config = dict(config)
        inner_optimizer = optimizers.deserialize(
            config.pop("inner_optimizer"), custom_objects=custom_objects
        )
        return cls(inner_optimizer, **config)
