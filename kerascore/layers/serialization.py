"""`keras.layers.serialize` and `keras.layers.deserialize`: a layer to a JSON-able config
and back, by registered names only (never importing modules named in a config)."""

from kerascore.saving.serialization import deserialize_keras_object, serialize_keras_object


def serialize(layer):
    """Returns `{"class_name", "config", "registered_name"}` describing `layer`.

    Example:
        config = keras.layers.serialize(keras.layers.Dense(3))
        keras.layers.deserialize(config)  # a new Dense(3)
    """
    from kerascore.layers.layer import Layer

    if not isinstance(layer, Layer):
        raise ValueError(
            f"keras.layers.serialize expects a layer. Received: layer={layer!r} of type "
            f"{type(layer).__name__}"
        )
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Rebuilds a layer from `serialize`'s output (or a Keras 3 layer config).

    Args:
        config: a dict with `class_name` and `config`.
        custom_objects: `{name: class}` for custom layers that are not registered.

    Raises:
        ValueError: when the config names an unknown class, describes no layer, or asks for
            quantization (not implemented in kerascore).
    """
    from kerascore.layers.layer import Layer

    layer = deserialize_keras_object(_from_keras_format(config), custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            "keras.layers.deserialize was passed a config that does not describe a layer. "
            f"Received: config={config!r}"
        )
    return layer


_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy")


def _from_keras_format(config):
    """`config` with what Keras 3 adds to layer configs made plain: a serialized dtype policy
    becomes its name, and an empty `quantization_config` is dropped."""
    if isinstance(config, list):
        return [_from_keras_format(item) for item in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") in _POLICY_CLASSES and isinstance(config.get("config"), dict):
        return config["config"].get("name")
    converted = {key: _from_keras_format(value) for key, value in config.items()}
    inner = converted.get("config")
    if "class_name" in converted and isinstance(inner, dict) and "quantization_config" in inner:
        if inner["quantization_config"] is not None:
            raise ValueError(
                "kerascore layers are not quantized, so a quantized Keras layer cannot be "
                f"rebuilt. Received: quantization_config={inner['quantization_config']!r}"
            )
        converted["config"] = {k: v for k, v in inner.items() if k != "quantization_config"}
    return converted
