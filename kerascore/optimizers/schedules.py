"""Learning rate schedules: `schedule(step)` returns the learning rate at an optimizer step."""

import math

import tensorflow as tf

from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


@register_builtin
class LearningRateSchedule:
    """Base class of learning rate schedules.

    Subclasses implement `__call__(step)` (returning a scalar tensor; `step` may be a
    tensor or variable) and `get_config()`.
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in "
            "order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Builds a schedule from `get_config()`'s output."""
        return cls(**config)


def _check_decay_steps(decay_steps, name="decay_steps"):
    if decay_steps <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={decay_steps}")


@register_builtin
class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: Learning rate at step 0.
        decay_steps: Steps over which the rate is multiplied by `decay_rate` (> 0).
        decay_rate: The decay factor.
        staircase: Whether to decay in whole intervals (`floor(step / decay_steps)`).
        name: Name scope of the operations.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name):
            initial_learning_rate = tf.convert_to_tensor(self.initial_learning_rate)
            dtype = initial_learning_rate.dtype
            p = tf.cast(step, dtype) / tf.cast(self.decay_steps, dtype)
            if self.staircase:
                p = tf.floor(p)
            return initial_learning_rate * tf.pow(tf.cast(self.decay_rate, dtype), p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@register_builtin
class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate per interval of steps.

    Args:
        boundaries: Increasing step boundaries.
        values: Learning rates; `values[i]` applies for steps in
            `(boundaries[i - 1], boundaries[i]]`. One more value than boundaries.
        name: Name scope of the operations.

    Raises:
        ValueError: if `len(values) != len(boundaries) + 1`.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name):
            step = tf.convert_to_tensor(step)
            boundaries = [tf.cast(b, step.dtype) for b in self.boundaries]
            values = [tf.convert_to_tensor(v) for v in self.values]
            dtype = values[0].dtype
            result = tf.constant(0, dtype=dtype)
            result += tf.cast(step <= boundaries[0], dtype) * values[0]
            result += tf.cast(step > boundaries[-1], dtype) * values[-1]
            for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1], strict=True):
                result += tf.cast((step > low) & (step <= high), dtype) * value
            return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@register_builtin
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate` in `decay_steps`.

    Args:
        initial_learning_rate: Learning rate at step 0.
        decay_steps: Steps to reach `end_learning_rate` (> 0).
        end_learning_rate: Final learning rate.
        power: Power of the polynomial.
        cycle: Whether to restart the decay after `decay_steps`.
        name: Name scope of the operations.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name):
            initial_learning_rate = tf.convert_to_tensor(self.initial_learning_rate)
            dtype = initial_learning_rate.dtype
            end_learning_rate = tf.cast(self.end_learning_rate, dtype)
            power = tf.cast(self.power, dtype)
            global_step = tf.cast(step, dtype)
            decay_steps = tf.cast(self.decay_steps, dtype)
            if self.cycle:
                multiplier = tf.where(
                    tf.equal(global_step, 0),
                    tf.constant(1.0, dtype),
                    tf.math.ceil(global_step / decay_steps),
                )
                decay_steps = decay_steps * multiplier
            else:
                global_step = tf.minimum(global_step, decay_steps)
            p = global_step / decay_steps
            return (initial_learning_rate - end_learning_rate) * tf.pow(
                1 - p, power
            ) + end_learning_rate

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


@register_builtin
class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: Learning rate at step 0.
        decay_steps: Step scale of the decay (> 0).
        decay_rate: The decay factor.
        staircase: Whether to decay in whole intervals.
        name: Name scope of the operations.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name):
            initial_learning_rate = tf.convert_to_tensor(self.initial_learning_rate)
            dtype = initial_learning_rate.dtype
            p = tf.cast(step, dtype) / tf.cast(self.decay_steps, dtype)
            if self.staircase:
                p = tf.floor(p)
            return initial_learning_rate / (
                tf.constant(1, dtype) + tf.cast(self.decay_rate, dtype) * p
            )

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@register_builtin
class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup first.

    Without warmup the rate goes from `initial_learning_rate` to
    `alpha * initial_learning_rate` over `decay_steps`. With `warmup_target`, it first rises
    linearly from `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays
    from `warmup_target`.

    Args:
        initial_learning_rate: Learning rate at step 0.
        decay_steps: Steps of the cosine decay (> 0).
        alpha: Final rate as a fraction of the rate the decay starts from.
        name: Name scope of the operations.
        warmup_target: Learning rate at the end of the warmup, or `None` for no warmup.
        warmup_steps: Steps of the warmup.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, step, decay_steps, decay_from_lr, dtype):
        completed_fraction = step / decay_steps
        pi = tf.constant(math.pi, dtype=dtype)
        cosine_decayed = 0.5 * (1.0 + tf.cos(pi * completed_fraction))
        return decay_from_lr * ((1 - self.alpha) * cosine_decayed + self.alpha)

    def __call__(self, step):
        with tf.name_scope(self.name):
            initial_learning_rate = tf.convert_to_tensor(self.initial_learning_rate)
            dtype = initial_learning_rate.dtype
            decay_steps = tf.cast(self.decay_steps, dtype)
            global_step = tf.cast(step, dtype)
            if self.warmup_target is None:
                global_step = tf.minimum(global_step, decay_steps)
                return self._decay(global_step, decay_steps, initial_learning_rate, dtype)
            warmup_target = tf.cast(self.warmup_target, dtype)
            warmup_steps = tf.cast(self.warmup_steps, dtype)
            global_step = tf.minimum(global_step, decay_steps + warmup_steps)

            def warmup():
                fraction = global_step / warmup_steps
                return (warmup_target - initial_learning_rate) * fraction + initial_learning_rate

            return tf.cond(
                global_step < warmup_steps,
                warmup,
                lambda: self._decay(global_step - warmup_steps, decay_steps, warmup_target, dtype),
            )

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@register_builtin
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    Args:
        initial_learning_rate: Learning rate at step 0.
        first_decay_steps: Steps of the first decay period (> 0).
        t_mul: Factor lengthening each period.
        m_mul: Factor scaling the initial rate of each period.
        alpha: Final rate of a period as a fraction of its initial rate.
        name: Name scope of the operations.
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        _check_decay_steps(first_decay_steps, "first_decay_steps")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name):
            initial_learning_rate = tf.convert_to_tensor(self.initial_learning_rate)
            dtype = initial_learning_rate.dtype
            first_decay_steps = tf.cast(self.first_decay_steps, dtype)
            alpha = tf.cast(self.alpha, dtype)
            t_mul = tf.cast(self._t_mul, dtype)
            m_mul = tf.cast(self._m_mul, dtype)
            completed_fraction = tf.cast(step, dtype) / first_decay_steps

            def geometric():
                i_restart = tf.floor(
                    tf.math.log(1.0 - completed_fraction * (1.0 - t_mul)) / tf.math.log(t_mul)
                )
                sum_r = (1.0 - tf.pow(t_mul, i_restart)) / (1.0 - t_mul)
                return i_restart, (completed_fraction - sum_r) / tf.pow(t_mul, i_restart)

            def arithmetic():
                i_restart = tf.floor(completed_fraction)
                return i_restart, completed_fraction - i_restart

            i_restart, fraction = tf.cond(tf.equal(t_mul, 1.0), arithmetic, geometric)
            m_fac = tf.pow(m_mul, i_restart)
            cosine_decayed = (
                0.5 * m_fac * (1.0 + tf.cos(tf.constant(math.pi, dtype=dtype) * fraction))
            )
            return initial_learning_rate * ((1 - alpha) * cosine_decayed + alpha)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_OBJECTS_DICT = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule):
    """Returns the JSON-able config of a schedule."""
    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Rebuilds a schedule from `serialize`'s output."""
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )
