"""Optimizers, resolvable by name with `get("adam")`, and learning rate `schedules`."""

from kerascore.optimizers import schedules
from kerascore.optimizers.adadelta import Adadelta
from kerascore.optimizers.adafactor import Adafactor
from kerascore.optimizers.adagrad import Adagrad
from kerascore.optimizers.adam import Adam
from kerascore.optimizers.adamax import Adamax
from kerascore.optimizers.adamw import AdamW
from kerascore.optimizers.base import Optimizer
from kerascore.optimizers.ftrl import Ftrl
from kerascore.optimizers.lamb import Lamb
from kerascore.optimizers.lion import Lion
from kerascore.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerascore.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from kerascore.optimizers.muon import Muon
from kerascore.optimizers.nadam import Nadam
from kerascore.optimizers.rmsprop import RMSprop
from kerascore.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerascore.optimizers.sgd import SGD
from kerascore.saving.serialization import (
    deserialize_keras_object,
    get_registered_object,
    register_builtin,
    serialize_keras_object,
)

__all__ = [
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "Adamax",
    "AdamW",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "SGD",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

register_builtin(Optimizer)

ALL_OBJECTS_DICT = {
    cls.__name__.lower(): cls
    for cls in (
        Optimizer,
        Adam,
        SGD,
        RMSprop,
        AdamW,
        Adagrad,
        Adamax,
        Nadam,
        Adadelta,
        Ftrl,
        Lion,
        LossScaleOptimizer,
        Lamb,
        Adafactor,
        Muon,
        ScheduleFreeAdamW,
        MultiOptimizer,
    )
}


def serialize(optimizer):
    """Returns the JSON-able config of an optimizer."""
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """Rebuilds an optimizer from `serialize`'s output; class names are case-insensitive.

    Raises:
        ValueError: if the class is neither built in nor registered.
    """
    config = dict(config)
    name = str(config.get("class_name", ""))
    if name.lower() in ALL_OBJECTS_DICT:
        config["class_name"] = name.lower()
        config.pop("registered_name", None)
    elif get_registered_object(config.get("registered_name") or name, custom_objects) is None:
        raise ValueError(_unknown(name))
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns an optimizer from a name (`"adam"`), a config, or an `Optimizer`.

    Names give a new optimizer with default arguments.

    Raises:
        ValueError: if `identifier` cannot be interpreted; the message lists valid names.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(
        "Could not interpret optimizer identifier: expected a name, a config or an Optimizer. "
        f"Received: identifier={identifier!r}"
    )


def _unknown(name):
    valid = sorted(n for n in ALL_OBJECTS_DICT if n != "optimizer")
    return (
        f"Unknown optimizer: {name!r}. Valid names: {valid}. Custom optimizers can be passed "
        "as objects or registered with @kerascore.saving.register_keras_serializable()."
    )
