"""`OptimizerMap` and `MultiOptimizer`: different optimizers for different variables."""

import re
from collections.abc import MutableMapping

from kerascore.optimizers.base import Optimizer, _var_key
from kerascore.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


def _variable_path(variable):
    return getattr(variable, "path", None) or str(variable.name).split(":")[0]


def _deserialize_optimizer(config, custom_objects=None):
    # The package's `deserialize` knows every built-in optimizer and imports this module.
    from kerascore.optimizers import deserialize

    return deserialize(config, custom_objects=custom_objects)


@register_builtin
class OptimizerMap(MutableMapping):
    """Maps variable paths (exact or regular expressions) to optimizers.

    A key is first looked up exactly, then as a pattern matched with `re.fullmatch`
    (`"encoder/.*"` covers every variable under `encoder/`); variables that match nothing
    go to `default_optimizer`. Calling the map on a variable looks up its path.

    Args:
        default_optimizer: The `Optimizer` of unmapped variables.
        optimizer_map: Optional dict from path or pattern to `Optimizer`.

    Raises:
        TypeError: if `default_optimizer` is not an `Optimizer` or `optimizer_map` not a dict.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "Expected `default_optimizer` to be an Optimizer instance. "
                f"Received: default_optimizer={default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                f"Expected `optimizer_map` to be a dict. Received: optimizer_map={optimizer_map!r}"
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        """The optimizer of variables no key matches."""
        return self._default_optimizer

    def __getitem__(self, key):
        """Returns the optimizer of `key`: exact match, else the one matching pattern.

        Raises:
            ValueError: if `key` matches more than one pattern.
        """
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key!r}: patterns {matching} all "
                "match. Make the patterns disjoint."
            )
        if matching:
            return self._optimizer_map[matching[0]]
        return self.default_optimizer

    def __setitem__(self, key, optimizer):
        """Assigns `optimizer` to a path or pattern.

        Raises:
            ValueError: for a duplicate or non-string key, or an optimizer that is not a
                plain `Optimizer` (loss scaling and nested `MultiOptimizer`s are refused).
        """
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"Expected a string key. Received: key={key!r}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"Expected an Optimizer instance. Received: optimizer={optimizer!r}")
        if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ValueError(
                f"An OptimizerMap cannot hold a {type(optimizer).__name__}. "
                f"Received: optimizer={optimizer!r}"
            )
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[_variable_path(variable)]

    def get_config(self):
        """Returns the default optimizer and the map, serialized."""
        return {
            "default_optimizer": serialize_keras_object(self._default_optimizer),
            "optimizer_map": serialize_keras_object(self._optimizer_map),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a map from `get_config()`'s output."""
        optimizer_map = {
            key: _deserialize_optimizer(value, custom_objects)
            for key, value in (config.get("optimizer_map") or {}).items()
        }
        return cls(
            _deserialize_optimizer(config["default_optimizer"], custom_objects), optimizer_map
        )


@register_builtin
class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer an `OptimizerMap` (or a callable) picks.

    Example:

        optimizer = MultiOptimizer(
            OptimizerMap(SGD(), {"encoder/.*": Adam()})
        )
        model.compile(optimizer=optimizer, loss="mse")

    Each sub-optimizer keeps its own learning rate, state and iteration count;
    `MultiOptimizer.learning_rate` is not defined. `variables` are this optimizer's own
    (iterations, learning rate) followed by each sub-optimizer's.

    Args:
        optimizer_map: An `OptimizerMap`, or a callable `fn(variable) -> Optimizer`.
        loss_scale_factor: Overrides the loss scale factor of every sub-optimizer.
        name: Name of the optimizer.

    Raises:
        ValueError: at build time, if a variable is given something other than a plain
            `Optimizer`.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        inner = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None:
            inner.append(default)
        for optimizer in inner:
            if optimizer not in self._inner_optimizers:
                optimizer.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(optimizer)

    def build(self, var_list):
        """Assigns each variable to its optimizer and builds every optimizer on its share."""
        if self.built:
            return
        self._var_to_optimizer_index = {}
        shares = [[] for _ in self._inner_optimizers]
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer) or isinstance(
                optimizer, (LossScaleOptimizer, MultiOptimizer)
            ):
                raise ValueError(
                    f"The optimizer of variable {variable.name} must be a plain Optimizer "
                    f"(not a LossScaleOptimizer or MultiOptimizer). Received: {optimizer!r}"
                )
            if optimizer not in self._inner_optimizers:
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
                shares.append([])
            index = self._inner_optimizers.index(optimizer)
            self._var_to_optimizer_index[_var_key(variable)] = index
            shares[index].append(variable)
        for optimizer, variables in zip(self._inner_optimizers, shares, strict=True):
            if variables:
                optimizer.build(variables)
        super().build(var_list)

    @property
    def optimizers(self):
        """The sub-optimizers, in the order they were met."""
        return self._inner_optimizers

    @property
    def variables(self):
        found = self._variables[:]
        for optimizer in self._inner_optimizers:
            found.extend(optimizer.variables)
        return found

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate "
            "on the individual sub-optimizers (`optimizer.optimizers`) instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
            "individual sub-optimizers (`optimizer.optimizers`) instead."
        )

    @property
    def loss_scale_factor(self):
        """The loss scale factor shared by the sub-optimizers."""
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", []):
            optimizer.loss_scale_factor = value

    def apply(self, grads, trainable_variables=None):
        """Splits the gradients by optimizer and applies each share with its optimizer.

        Raises:
            ValueError: if the optimizer is not built and no variables are given, or the
                number of gradients does not match the variables.
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
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self._build_on_first_use(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(trainable_variables)} variables."
            )
        self._check_variables_are_known(trainable_variables)
        shares = [([], []) for _ in self._inner_optimizers]
        for grad, variable in zip(grads, trainable_variables, strict=True):
            index = self._var_to_optimizer_index[_var_key(variable)]
            shares[index][0].append(grad)
            shares[index][1].append(variable)
        for optimizer, (share_grads, share_variables) in zip(
            self._inner_optimizers, shares, strict=True
        ):
            if share_grads:
                optimizer.apply(share_grads, share_variables)
        self._iterations.assign_add(1)

    def finalize_variable_values(self, var_list):
        """Lets each sub-optimizer finalize its own variables (e.g. swap in EMA weights)."""
        shares = [[] for _ in self._inner_optimizers]
        for variable in var_list:
            shares[self._var_to_optimizer_index[_var_key(variable)]].append(variable)
        for optimizer, variables in zip(self._inner_optimizers, shares, strict=True):
            if variables:
                optimizer.finalize_variable_values(variables)

    def set_weights(self, weights):
        """Assigns this optimizer's own variables, then each sub-optimizer's, in order.

        Raises:
            ValueError: if the optimizer is not built.
        """
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not been built. "
                "Call `optimizer.build(trainable_variables)` first."
            )
        own = len(self._variables)
        for variable, weight in zip(self._variables, weights[:own], strict=True):
            variable.assign(weight)
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start : start + count])
                start += count

    def get_config(self):
        return {
            "optimizer_map": serialize_keras_object(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizer_map = config["optimizer_map"]
        if isinstance(optimizer_map, dict) and optimizer_map.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(
                optimizer_map["config"], custom_objects=custom_objects
            )
        else:
            config["optimizer_map"] = deserialize_keras_object(
                optimizer_map, custom_objects=custom_objects
            )
        return cls(**config)
