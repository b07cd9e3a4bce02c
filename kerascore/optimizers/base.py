"""`Optimizer` base class: learning rate, clipping, weight decay, slots and distribution.

Why one file of ~700 lines: one class whose parts (slots, the compiled apply, loss scaling,
EMA, distribution) read each other's state; Keras keeps it in one `base_optimizer.py` too.

The update maths of each subclass and the order of its state are those of Keras 3, so a
kerascore optimizer and a Keras one driven by the same gradients produce the same weights.
"""

import contextlib
import numbers
import re
import warnings

import tensorflow as tf

from kerascore import backend
from kerascore.optimizers import schedules
from kerascore.saving.serialization import deserialize_keras_object, serialize_keras_object


def _check_positive(name, value):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
        raise ValueError(f"Expected a positive number for `{name}`. Received: {name}={value!r}")


def global_norm(value_list):
    """Returns the L2 norm of all the tensors of `value_list` taken together."""
    squared = [tf.reduce_sum(tf.square(v)) for v in value_list if v is not None]
    return tf.sqrt(tf.reduce_sum(tf.stack(squared)))


def clip_by_global_norm(value_list, clip_norm):
    """Scales `value_list` so that its global norm is at most `clip_norm`."""
    use_norm = global_norm(value_list)
    scale_for_finite = clip_norm * tf.minimum(1.0 / use_norm, 1.0 / clip_norm)
    # Adding (norm - norm) makes the scale NaN when the norm is inf or NaN, as Keras does.
    scale = scale_for_finite + (use_norm - use_norm)
    return [v * tf.cast(scale, v.dtype) if v is not None else v for v in value_list]


def _var_key(variable):
    if isinstance(variable, tf.distribute.DistributedValues):
        # Its `handle` raises outside a replica context; the container is the key already.
        return variable._unique_id
    if hasattr(variable, "_distributed_container"):
        variable = variable._distributed_container()
    elif hasattr(variable, "handle") and hasattr(variable.handle, "_distributed_container"):
        variable = variable.handle._distributed_container()
    return variable._unique_id


class Optimizer:
    """Base class of optimizers.

    Subclasses create their slot variables in `build(var_list)` with
    `add_optimizer_variables` and implement `update_step(gradient, variable, learning_rate)`.

    Args:
        learning_rate: A float, a `LearningRateSchedule`, or a callable returning the rate.
        weight_decay: If set, weights decay by `weight_decay * learning_rate` of their value
            at each step (decoupled weight decay).
        clipnorm: If set, each gradient is clipped to this L2 norm.
        clipvalue: If set, each gradient is clipped element-wise to `[-clipvalue, clipvalue]`.
        global_clipnorm: If set, all gradients together are clipped to this global norm.
        use_ema: Whether to keep an exponential moving average (EMA) of the weights.
        ema_momentum: EMA momentum: `average = ema_momentum * average + (1 - ema_momentum) *
            weight`.
        ema_overwrite_frequency: With EMA, overwrite the weights with their average every
            this many steps; `None` to do it only in `finalize_variable_values`.
        loss_scale_factor: If set, `scale_loss` multiplies the loss by it and gradients are
            divided by it before the update.
        gradient_accumulation_steps: If an int >= 2, gradients are summed over that many
            calls and their mean applied on the last one; `iterations` then counts applied
            updates while schedules see every call.
        name: Name of the optimizer; defaults to the lower-case class name.

    Raises:
        ValueError: for invalid arguments, e.g. more than one clipping option.
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=2
            )
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        clip_args = {
            "clipnorm": clipnorm,
            "clipvalue": clipvalue,
            "global_clipnorm": global_clipnorm,
        }
        if sum(value is not None for value in clip_args.values()) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        for arg_name, value in clip_args.items():
            _check_positive(arg_name, value)
        _check_positive("loss_scale_factor", loss_scale_factor)
        if weight_decay is not None and (
            isinstance(weight_decay, bool)
            or not isinstance(weight_decay, numbers.Real)
            or weight_decay < 0
        ):
            raise ValueError(
                f"Expected a non-negative number for `weight_decay`. "
                f"Received: weight_decay={weight_decay!r}"
            )
        if gradient_accumulation_steps is not None and (
            isinstance(gradient_accumulation_steps, bool)
            or not isinstance(gradient_accumulation_steps, int)
            or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps!r}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency!r}"
                )
        self.name = name or type(self).__name__.lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._distribution_strategy = tf.distribute.get_strategy()

        with self._creation_scope():
            self._iterations = tf.Variable(
                0,
                name="iteration",
                dtype="int64",
                trainable=False,
                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
            )
        self._variables.append(self._iterations)
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
                raise ValueError(
                    "Argument `learning_rate` should be a float, a LearningRateSchedule, or a "
                    "callable that returns the learning rate. "
                    f"Received: learning_rate={learning_rate!r}"
                )
            with self._creation_scope():
                self._learning_rate = tf.Variable(
                    float(learning_rate),
                    name="learning_rate",
                    dtype=backend.floatx(),
                    trainable=False,
                    aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
                )
            self._variables.append(self._learning_rate)

    def _creation_scope(self):
        # Variables are created eagerly (even when first used inside a tf.function) and, when
        # the optimizer belongs to a distribution strategy, under that strategy.
        stack = contextlib.ExitStack()
        stack.enter_context(tf.init_scope())
        if not tf.distribute.has_strategy() and self._distribution_strategy is not None:
            stack.enter_context(self._distribution_strategy.scope())
        stack.enter_context(tf.name_scope(self._scope_name))
        return stack

    @property
    def _scope_name(self):
        # tf.name_scope rejects names such as "my adam" inside a tf.function.
        return re.sub(r"[^A-Za-z0-9_.\-/>]", "_", self.name).lstrip("_/->") or "optimizer"

    # ------------------------------------------------------------------ state

    @property
    def iterations(self):
        """The number of update steps applied, an int64 variable.

        With gradient accumulation, the number of accumulated updates (a tensor).
        """
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @property
    def variables(self):
        """The state, in a fixed order: iterations, learning rate (if a variable), slots."""
        return self._variables[:]

    @property
    def learning_rate(self):
        """The current learning rate: the variable, or the schedule's value at `iterations`.

        Under a distribution strategy the variable's value is returned as a tensor, so that
        `float(optimizer.learning_rate)` works everywhere; set it with
        `optimizer.learning_rate = value`.
        """
        learning_rate = self._get_current_learning_rate()
        if isinstance(learning_rate, tf.distribute.DistributedValues):
            return tf.convert_to_tensor(learning_rate)
        return learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate if isinstance(self._learning_rate, tf.Variable) else None
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if isinstance(self._learning_rate, schedules.LearningRateSchedule):
                raise ValueError(
                    "This optimizer was created with a LearningRateSchedule as its "
                    "`learning_rate`, hence its learning rate is not settable. Create the "
                    "optimizer with a float `learning_rate` to set it. "
                    f"Received: learning_rate={learning_rate!r}"
                )
            if previous is None:
                raise ValueError(
                    "This optimizer's learning rate is a callable and cannot be set to a "
                    f"number. Received: learning_rate={learning_rate!r}"
                )
            self._learning_rate.assign(learning_rate)
        if previous is not None and not isinstance(self._learning_rate, tf.Variable):
            self._variables = [v for v in self._variables if v is not previous]

    def _get_current_learning_rate(self):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(self._iterations)
        if isinstance(self._learning_rate, tf.Variable):
            return self._learning_rate
        if callable(self._learning_rate):
            return self._learning_rate()
        return self._learning_rate

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """Creates a non-trainable optimizer variable and appends it to `variables`.

        Args:
            shape: Shape of the variable.
            initializer: Initializer name or object.
            dtype: Dtype; defaults to `backend.floatx()`.
            name: Name of the variable.

        Returns:
            The `tf.Variable`.
        """
        from kerascore import initializers

        initializer = initializers.get(initializer)
        dtype = backend.standardize_dtype(dtype)
        shape = tuple(shape)
        with self._creation_scope():
            variable = tf.Variable(
                lambda: initializer(shape, dtype=dtype),
                dtype=dtype,
                trainable=False,
                name=name or "variable",
            )
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Creates a slot variable with the shape and dtype of `reference_variable`."""
        ref_name = str(reference_variable.name).split(":")[0].replace("/", "_")
        colocate = getattr(reference_variable, "_distributed_container", None)
        with (
            self._creation_scope(),
            self._distribution_strategy.extended.colocate_vars_with(
                colocate() if colocate else reference_variable
            ),
        ):
            return self.add_variable(
                shape=reference_variable.shape,
                initializer=initializer,
                dtype=reference_variable.dtype,
                name=f"{ref_name}_{name or 'var'}",
            )

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Creates one slot per trainable variable for each name in `name`.

        Slots are created variable by variable (all names for the first variable, then for the
        second, ...), which fixes the order of `variables`.

        Args:
            trainable_variables: The variables to create slots for.
            name: A slot name, or a list of slot names.
            initializer: Initializer (or list of initializers, one per name).

        Returns:
            A list of slots (for one name) or a tuple of lists (for a list of names).
        """
        names = [name] if isinstance(name, str) else list(name)
        inits = (
            initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        )
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided initializers. "
                f"Received: name={name!r}, initializer={initializer!r}"
            )
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (slot_name, slot_init) in enumerate(zip(names, inits, strict=True)):
                slots[i].append(
                    self.add_variable_from_reference(
                        variable, name=slot_name, initializer=slot_init
                    )
                )
        return slots[0] if isinstance(name, str) else slots

    def build(self, var_list):
        """Creates the slot variables for `var_list`; does nothing when already built.

        Args:
            var_list: The trainable variables this optimizer will update.
        """
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                var_list, "gradient_accumulator"
            )
        for i, variable in enumerate(var_list):
            self._trainable_variables_indices[_var_key(variable)] = i
        self._trainable_variables = list(var_list)
        self.built = True

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[_var_key(variable)]

    def set_weights(self, weights):
        """Assigns values to `variables`, in order.

        Raises:
            ValueError: if the optimizer is not built or a shape does not match.
        """
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not been built. "
                "Call `optimizer.build(trainable_variables)` first."
            )
        for variable, weight in zip(self.variables, weights, strict=False):
            if tuple(variable.shape) != tuple(getattr(weight, "shape", ())):
                raise ValueError(
                    f"Optimizer variable {variable.name} has shape {tuple(variable.shape)}, not "
                    f"compatible with provided weight shape {tuple(weight.shape)}."
                )
            variable.assign(weight)

    def get_weights(self):
        """Returns the values of `variables` as NumPy arrays."""
        return [v.numpy() for v in self.variables]

    def save_own_variables(self, store):
        """Writes `variables` into `store` under keys "0", "1", ..."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Restores `variables` from a `store` written by `save_own_variables`."""
        if len(store.keys()) != len(self.variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables.",
                stacklevel=2,
            )
            return
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    # ---------------------------------------------------------------- updates

    def update_step(self, gradient, variable, learning_rate):
        """Applies one update to `variable` from `gradient`."""
        raise NotImplementedError

    def scale_loss(self, loss):
        """Returns `loss` multiplied by `loss_scale_factor`, or unchanged when none is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def apply_gradients(self, grads_and_vars):
        """Applies `(gradient, variable)` pairs; pairs with a `None` gradient are skipped.

        Returns:
            The `iterations` variable.
        """
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            return self._iterations
        grads, trainable_variables = zip(*grads_and_vars, strict=True)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Applies gradients to variables: clip, decay weights, update, constrain, count.

        Args:
            grads: List of gradients (`None` entries are skipped).
            trainable_variables: Matching variables; defaults to those the optimizer was
                built with.

        Raises:
            ValueError: if the variables are unknown to a built optimizer, or no gradient is
                given.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            if len(grads) != len(self._trainable_variables_indices):
                raise ValueError(
                    f"Received {len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self._build_on_first_use(trainable_variables)
            self._check_variables_are_known(trainable_variables)
        with tf.name_scope(self._scope_name):
            grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
            grads = [
                tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads
            ]
            if self.loss_scale_factor is not None:
                grads = [g / self.loss_scale_factor for g in grads]
            self._backend_apply_gradients(grads, trainable_variables)
            for variable in trainable_variables:
                if getattr(variable, "constraint", None) is not None:
                    variable.assign(variable.constraint(variable))
        self._iterations.assign_add(1)

    def _backend_apply_gradients(self, grads, trainable_variables):
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            is_update_step = (self._iterations + 1) % steps == 0
            accumulators = [
                self._accumulated_gradients[self._get_variable_index(v)]
                for v in trainable_variables
            ]

            def update():
                mean_grads = [
                    (g + tf.cast(acc, g.dtype)) / steps
                    for g, acc in zip(grads, accumulators, strict=True)
                ]
                self._clip_decay_and_update(mean_grads, trainable_variables)
                for acc in self._accumulated_gradients:
                    acc.assign(tf.zeros_like(acc))

            def accumulate():
                for g, acc in zip(grads, accumulators, strict=True):
                    acc.assign_add(tf.cast(g, acc.dtype))

            tf.cond(is_update_step, update, accumulate)
        else:
            self._clip_decay_and_update(grads, trainable_variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                should_overwrite = (self.iterations + 1) % self.ema_overwrite_frequency == 0
                tf.cond(
                    should_overwrite,
                    lambda: self._overwrite_model_variables_with_average_value(
                        self._trainable_variables
                    ),
                    lambda: None,
                )

    def _clip_decay_and_update(self, grads, trainable_variables):
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(trainable_variables)
        self._backend_update_step(grads, trainable_variables, self.learning_rate)

    def _update_model_variables_moving_average(self, trainable_variables):
        not_first_step = tf.not_equal(self.iterations, 0)
        for var, average in zip(
            trainable_variables, self._model_variables_moving_average, strict=True
        ):
            momentum = tf.cast(not_first_step, var.dtype) * self.ema_momentum
            average.assign(momentum * average + (1 - momentum) * var)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The number of model variables ({len(trainable_variables)}) to overwrite "
                "does not match the number of moving averages stored in the optimizer "
                f"({len(self._model_variables_moving_average)})."
            )
        for var, average in zip(
            trainable_variables, self._model_variables_moving_average, strict=True
        ):
            var.assign(average)

    def finalize_variable_values(self, var_list):
        """Sets the variables to their moving averages when `use_ema=True` (end of training)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def _build_on_first_use(self, trainable_variables):
        if tf.distribute.in_cross_replica_context() or not tf.distribute.has_strategy():
            self.build(trainable_variables)
            return
        raise ValueError(
            f"Optimizer '{self.name}' is not built and cannot create its variables inside a "
            "distributed replica function. Call `optimizer.build(model.trainable_variables)` "
            "under the strategy scope before training."
        )

    def _check_variables_are_known(self, variables):
        for v in variables:
            if _var_key(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v.name}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of "
                    "variables, you should recreate a new optimizer instance."
                )

    def _filter_empty_gradients(self, grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
        if not kept:
            raise ValueError(
                "No gradients provided for any variable. Check that the loss depends on the "
                "trainable variables."
            )
        missing = [v.name for g, v in zip(grads, variables, strict=True) if g is None]
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        return [g for g, _ in kept], [v for _, v in kept]

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [tf.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [tf.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay, by object or by name pattern.

        Args:
            var_list: Variables to exclude.
            var_names: Substrings (regular expressions); variables whose name matches one
                are excluded.

        Raises:
            ValueError: if the optimizer is already built.
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer "
                "is built."
            )
        self._exclude_from_weight_decay = {_var_key(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None
        )

    def _use_weight_decay(self, variable):
        if _var_key(variable) in getattr(self, "_exclude_from_weight_decay", set()):
            return False
        pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
        return not (pattern is not None and re.search(pattern, variable.name) is not None)

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return

        def distributed_apply_weight_decay(distribution, variables):
            def weight_decay_fn(variable):
                if self._use_weight_decay(variable):
                    lr = tf.cast(self.learning_rate, variable.dtype)
                    wd = tf.cast(self.weight_decay, variable.dtype)
                    variable.assign_sub(variable * wd * lr)

            for variable in variables:
                distribution.extended.update(variable, weight_decay_fn, group=False)

        tf.__internal__.distribute.interim.maybe_merge_call(
            distributed_apply_weight_decay, self._distribution_strategy, variables
        )

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        grads_and_vars = self._all_reduce_sum_gradients(
            list(zip(grads, trainable_variables, strict=True))
        )

        def apply_grad_to_update_var(var, grad, learning_rate):
            return self.update_step(grad, var, learning_rate)

        def distributed_update(distribution, grads_and_vars, learning_rate):
            for grad, var in grads_and_vars:
                distribution.extended.update(
                    var, apply_grad_to_update_var, args=(grad, learning_rate), group=False
                )

        tf.__internal__.distribute.interim.maybe_merge_call(
            distributed_update, self._distribution_strategy, grads_and_vars, learning_rate
        )

    def _all_reduce_sum_gradients(self, grads_and_vars):
        replica_context = tf.distribute.get_replica_context()
        if not replica_context or replica_context.num_replicas_in_sync <= 1:
            return grads_and_vars
        reduced = replica_context.all_reduce(
            tf.distribute.ReduceOp.SUM, [g for g, _ in grads_and_vars]
        )
        return list(zip(reduced, [v for _, v in grads_and_vars], strict=True))

    # ------------------------------------------------------------------ config

    def get_config(self):
        """Returns the constructor arguments as a JSON-able dict."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            learning_rate = serialize_keras_object(self._learning_rate)
        elif isinstance(self._learning_rate, tf.Variable):
            learning_rate = float(self._learning_rate.numpy())
        elif tf.is_tensor(self._learning_rate):
            learning_rate = float(self._learning_rate)
        else:
            learning_rate = serialize_keras_object(self._learning_rate)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Builds an optimizer from `get_config()`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), (dict, str)):
            config["learning_rate"] = deserialize_keras_object(
                config["learning_rate"],
                custom_objects=custom_objects,
                module_objects=schedules.ALL_OBJECTS_DICT,
            )
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"
