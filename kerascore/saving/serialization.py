"""Serialization registry: objects to JSON-able configs and back, by registered name only.

Deserialization never imports modules named in a config and never unpickles: a class is
resolved from `custom_objects`, an active `custom_object_scope`, or the registry, and
nothing else.
"""

import contextlib
import inspect
import threading

_BUILTIN_REGISTRY = {}
_CUSTOM_REGISTRY = {}
_SCOPE = threading.local()


def register_builtin(cls_or_fn=None, *, name=None):
    """Registers a kerascore class or function under its bare name (`"Dense"`, `"relu"`)."""

    def decorator(obj):
        registered = name or obj.__name__
        _BUILTIN_REGISTRY[registered] = obj
        obj._registered_name = registered
        return obj

    return decorator(cls_or_fn) if cls_or_fn is not None else decorator


def register_keras_serializable(package="Custom", name=None):
    """Registers a user class or function as `"package>name"` so that saved models can load it.

    Example:
        @register_keras_serializable(package="my_project")
        class Scale(keras.layers.Layer): ...
    """
    if ">" in str(package):
        raise ValueError(f"Expected a package name without '>'. Received: package={package!r}")

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: a class needs a get_config method to be "
                "serializable."
            )
        _CUSTOM_REGISTRY[registered] = obj
        obj._registered_name = registered
        return obj

    return decorator


def get_custom_objects():
    """Returns the global registry of custom objects (registered name → class or function).

    It is the live mapping, as in Keras: adding an entry (`get_custom_objects()["MyLayer"] =
    MyLayer`) makes that name loadable, like `register_keras_serializable` does.
    """
    return _CUSTOM_REGISTRY


def get_registered_name(obj):
    """Returns the name `obj` (a class, instance or function) is registered under."""
    is_class_or_function = isinstance(obj, type) or (
        callable(obj) and not hasattr(obj, "get_config")
    )
    target = obj if is_class_or_function else type(obj)
    registered = target.__dict__.get("_registered_name") if isinstance(target, type) else None
    if registered is None and not isinstance(target, type):
        registered = getattr(target, "_registered_name", None)
    return registered or target.__name__


def get_registered_object(name, custom_objects=None):
    """Looks `name` up in `custom_objects`, the active scopes, custom then built-in registry."""
    for mapping in (custom_objects or {}), *_active_scopes():
        if name in mapping:
            return mapping[name]
        short = name.split(">")[-1]
        if short in mapping:
            return mapping[short]
    if name in _CUSTOM_REGISTRY:
        return _CUSTOM_REGISTRY[name]
    return _BUILTIN_REGISTRY.get(name)


def _active_scopes():
    return list(getattr(_SCOPE, "stack", []))


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Makes `custom_objects` (name → class or function) visible to deserialization."""
    stack = getattr(_SCOPE, "stack", [])
    _SCOPE.stack = [*stack, dict(custom_objects or {})]
    try:
        yield
    finally:
        _SCOPE.stack = stack


CustomObjectScope = custom_object_scope


def serialize_keras_object(obj):
    """Returns a JSON-able description of `obj`: plain values as they are, functions by
    registered name, objects with `get_config` as `{"class_name", "config", "registered_name"}`.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        return {
            "class_name": type(obj).__name__,
            "config": obj.get_config(),
            "registered_name": get_registered_name(type(obj)),
        }
    if callable(obj):
        return get_registered_name(obj)
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}.")


def deserialize_keras_object(config, custom_objects=None, module_objects=None):
    """Rebuilds an object from `serialize_keras_object`'s output using registered names only.

    Raises:
        ValueError: if the config names a class or function that is not registered.
    """
    if config is None or isinstance(config, (bool, int, float)):
        return config
    module_objects = module_objects or {}
    if isinstance(config, str):
        found = module_objects.get(config) or get_registered_object(config, custom_objects)
        if found is None:
            raise ValueError(_unknown_message(config, module_objects))
        return found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a serialized object with a 'class_name'. Received: {config!r}")
    name = config.get("registered_name") or config["class_name"]
    cls = (
        module_objects.get(config["class_name"])
        or get_registered_object(name, custom_objects)
        or get_registered_object(config["class_name"], custom_objects)
    )
    if cls is None:
        raise ValueError(_unknown_message(name, module_objects))
    inner = config.get("config", {})
    if hasattr(cls, "from_config"):
        with custom_object_scope(custom_objects or {}):
            return cls.from_config(inner)
    return cls(**inner)


def _unknown_message(name, module_objects):
    known = sorted(set(module_objects) | set(_CUSTOM_REGISTRY))
    return (
        f"Unknown object {name!r}: it is neither built in nor registered. Register custom classes "
        "and functions with @kerascore.saving.register_keras_serializable() or pass them in "
        f"custom_objects={{...}}. Registered custom objects: {known or 'none'}."
    )


def resolve_identifier(identifier, kind, module_objects, expected, hint=""):
    """The `get()` of a module of named objects (losses, metrics, initializers, ...).

    `None` stays `None`; a dict is a serialized object; a string is looked up in
    `module_objects`, then among registered objects; a class found that way, or passed, is
    instantiated with its defaults; any other callable is returned as is.

    Args:
        identifier: what the user passed.
        kind: what the module holds, for messages (`"loss"`).
        module_objects: the module's name → class or function mapping.
        expected: what an identifier may be, for messages (`"a name, a config or a callable"`).
        hint: a sentence appended to the unknown-name message.

    Raises:
        ValueError: if `identifier` is an unknown name (the message lists the valid names) or
            not a name, a config or a callable.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize_keras_object(identifier, module_objects=module_objects)
    elif isinstance(identifier, str):
        obj = module_objects.get(identifier) or get_registered_object(identifier)
        if obj is None:
            raise ValueError(
                f"Unknown {kind}: {identifier!r}. Valid names: {sorted(module_objects)}.{hint}"
            )
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(
        f"Could not interpret {kind} identifier: expected {expected}. "
        f"Received: identifier={identifier!r}"
    )
