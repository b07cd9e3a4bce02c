"""Models: `Model`, `Sequential`, `Functional`, and loading saved models."""

from kerascore.models.functional import Functional
from kerascore.models.model import Model
from kerascore.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with `model.save("name.keras")`; see `kerascore.saving.load_model`."""
    from kerascore import saving

    return saving.load_model(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


def clone_model(model):
    """Returns a new model with the same architecture and freshly initialized weights."""
    from kerascore.saving.serialization import deserialize_keras_object, serialize_keras_object

    return deserialize_keras_object(serialize_keras_object(model))


__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model"]
