"""The `.keras` archive: a zip of `config.json`, `metadata.json` and `model.weights.h5`.

Loading is safe by construction: classes come from the serialization registry only, the JSON
is parsed as data, no module named in it is imported, nothing is unpickled or evaluated, and
the weights file is read as numeric arrays only.
"""

import datetime
import io
import json
import os
import zipfile
import zlib

import h5py
import numpy as np

from kerascore.saving import serialization, weights_file

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
WEIGHTS_SUFFIX = ".weights.h5"
_REQUIRED_MEMBERS = (CONFIG_FILENAME, WEIGHTS_FILENAME)
# A config is a few kilobytes to a few megabytes; more than this is not a model description.
_MAX_CONFIG_BYTES = 64 * 2**20
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


def save_model(model, filepath, overwrite=True):
    """Saves a model (architecture, weights, compile settings, optimizer state) to a `.keras` file.

    The archive is written to a temporary file beside `filepath` and moved into place, so a
    crash never leaves a half-written archive under the final name.

    Args:
        model: The model to save.
        filepath: Path ending in `.keras`.
        overwrite: Whether to replace an existing file.

    Raises:
        ValueError: if `filepath` does not end in `.keras`.
        FileExistsError: if the file exists and `overwrite=False`.

    Example:

    ```python
    model.save("classifier.keras")
    restored = kerascore.saving.load_model("classifier.keras")
    ```
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(
            "The filename must end in .keras to save a whole model. Received: "
            f"filepath={filepath!r}. Use model.save_weights() with a .weights.h5 path to save "
            "only the weights, or model.export() to write a TensorFlow SavedModel."
        )
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} already exists. Pass overwrite=True to replace it.")
    config = {
        **serialization.serialize_keras_object(model),
        "build_config": model.get_build_config(),
        "compile_config": model.get_compile_config() if _is_compiled(model) else None,
    }
    metadata = {
        "keras_version": f"kerascore-{_kerascore_version()}",
        "date_saved": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d@%H:%M:%S"),
    }
    config_json = _to_json(config, filepath)
    weights_buffer = io.BytesIO()
    with h5py.File(weights_buffer, "w") as handle:
        weights_file.write_weights(model, handle)

    def write(path):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(CONFIG_FILENAME, config_json, compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr(
                METADATA_FILENAME, json.dumps(metadata), compress_type=zipfile.ZIP_DEFLATED
            )
            archive.writestr(WEIGHTS_FILENAME, weights_buffer.getvalue())

    _write_atomically(filepath, write)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with `model.save()` / `save_model`.

    Classes are looked up in `custom_objects`, active `custom_object_scope`s and the registry
    (built-ins and `register_keras_serializable` classes) only. Lambda layers are refused:
    they would need Python bytecode from the file.

    Args:
        filepath: Path of a `.keras` archive.
        custom_objects: Dict of name to class or function for objects that are not registered.
        compile: Whether to compile the model as it was saved and restore its optimizer state.
        safe_mode: Accepted for Keras compatibility. kerascore never loads bytecode or
            pickles, whatever its value.

    Returns:
        The model, built, with its weights (and, if compiled, its optimizer state) restored.

    Raises:
        ValueError: if the file is missing, not a valid archive, misses a member, holds an
            invalid or unsafe config, names an unknown class, or its weights do not match.
    """
    del safe_mode  # Unsafe loading does not exist in kerascore.
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise ValueError(f"File not found: filepath={filepath!r}. Check the path.")
    if os.path.isdir(filepath):
        raise ValueError(
            f"{filepath!r} is a directory; load_model reads .keras files. A SavedModel from "
            "model.export() is loaded with tf.saved_model.load()."
        )
    config, weights_bytes = _read_archive(filepath)
    _refuse_code(config, filepath)
    with serialization.custom_object_scope(custom_objects or {}):
        model = _build_model(config, custom_objects, compile, filepath)
        _assign_weights(model, weights_bytes, filepath, skip_mismatch=False, strict_optimizer=True)
    return model


def save_weights(model, filepath, overwrite=True):
    """Saves the weights of `model` (and of its optimizer, if built) to a `.weights.h5` file.

    Args:
        model: The model whose weights to save.
        filepath: Path ending in `.weights.h5`.
        overwrite: Whether to replace an existing file.

    Raises:
        ValueError: if `filepath` does not end in `.weights.h5`.
        FileExistsError: if the file exists and `overwrite=False`.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(WEIGHTS_SUFFIX):
        raise ValueError(
            f"The filename must end in {WEIGHTS_SUFFIX}. Received: filepath={filepath!r}. "
            "To save the whole model (architecture, weights, optimizer), use model.save() with "
            "a .keras path."
        )
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} already exists. Pass overwrite=True to replace it.")

    def write(path):
        with h5py.File(path, "w") as handle:
            weights_file.write_weights(model, handle)

    _write_atomically(filepath, write)


def load_weights(model, filepath, skip_mismatch=False):
    """Loads weights into `model`, by position, from a `.weights.h5` file or a `.keras` archive.

    Optimizer state in the file is loaded too when the model has an optimizer whose variables
    match; otherwise it is skipped with a warning.

    Args:
        model: A built model with the same architecture as the saved one.
        filepath: Path ending in `.weights.h5` or `.keras`.
        skip_mismatch: Skip variables whose count or shape does not match, with a warning,
            instead of raising.

    Raises:
        ValueError: if the file is missing, has the wrong suffix or content, the model is not
            built, or (without `skip_mismatch`) the variable count or a shape differs. Nothing
            is assigned then.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith((WEIGHTS_SUFFIX, ".keras")):
        raise ValueError(
            f"The filename must end in {WEIGHTS_SUFFIX} or .keras. Received: filepath={filepath!r}."
        )
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath!r}. Check the path.")
    if filepath.endswith(".keras"):
        _, weights_bytes = _read_archive(filepath)
    else:
        with open(filepath, "rb") as handle:
            weights_bytes = handle.read()
    _assign_weights(model, weights_bytes, filepath, skip_mismatch, strict_optimizer=False)


def _assign_weights(model, weights_bytes, filepath, skip_mismatch, strict_optimizer):
    try:
        h5_file = h5py.File(io.BytesIO(weights_bytes), "r")
    except OSError as error:
        raise ValueError(
            f"The weights in {filepath!r} are not a readable HDF5 file: {error}"
        ) from None
    with h5_file:
        try:
            weights_file.read_weights(
                model, h5_file, skip_mismatch=skip_mismatch, strict_optimizer=strict_optimizer
            )
        except ValueError as error:
            raise ValueError(f"Cannot load the weights stored in {filepath!r}: {error}") from None


def _write_atomically(filepath, write):
    """Calls `write(path)` on a temporary file beside `filepath`, then moves it into place."""
    directory = os.path.dirname(os.path.abspath(filepath))
    temporary = os.path.join(directory, f".{os.path.basename(filepath)}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, filepath)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _read_archive(filepath):
    """Returns the parsed config and the raw weights bytes of a `.keras` archive."""
    try:
        with zipfile.ZipFile(filepath, "r") as archive:
            members = {info.filename: info for info in archive.infolist()}
            missing = [name for name in _REQUIRED_MEMBERS if name not in members]
            if missing:
                raise ValueError(
                    f"{filepath!r} is not a complete .keras archive: missing {missing}. "
                    f"Members found: {sorted(members)}. Save the model again with model.save()."
                )
            if members[CONFIG_FILENAME].file_size > _MAX_CONFIG_BYTES:
                raise ValueError(
                    f"{CONFIG_FILENAME} in {filepath!r} is {members[CONFIG_FILENAME].file_size} "
                    f"bytes, more than the {_MAX_CONFIG_BYTES} a model config can be."
                )
            config_bytes = archive.read(CONFIG_FILENAME)
            weights_bytes = archive.read(WEIGHTS_FILENAME)
    except _ZIP_ERRORS as error:
        raise ValueError(
            "The file is not a valid .keras archive (truncated or corrupted zip): "
            f"filepath={filepath!r}: {error}"
        ) from None
    try:
        config = json.loads(config_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{CONFIG_FILENAME} in {filepath!r} is not valid JSON: {error}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"{CONFIG_FILENAME} in {filepath!r} does not describe a model: expected an object "
            f"with a 'class_name'. Received: {str(config)[:200]}"
        )
    return config, weights_bytes


def _refuse_code(config, filepath):
    """Raises if any part of the config asks for Python code to be rebuilt from the file."""
    pending = [config]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        class_name = node.get("class_name")
        registered = node.get("registered_name")
        is_lambda_layer = class_name == "Lambda" and registered in (None, "Lambda")
        if is_lambda_layer or class_name == "__lambda__" or node.get("function_type") == "lambda":
            raise ValueError(
                f"{filepath!r} contains a Lambda layer or a serialized Python function. Those "
                "hold Python bytecode, and kerascore never loads code from a file. Replace the "
                "Lambda with a layer subclass registered with "
                "@kerascore.saving.register_keras_serializable() and save again."
            )
        pending.extend(node.values())


def _build_model(config, custom_objects, compile, filepath):
    model_config = {
        key: config[key]
        for key in ("class_name", "config", "registered_name", "module")
        if key in config
    }
    try:
        model = serialization.deserialize_keras_object(model_config, custom_objects)
    except ValueError as error:
        raise ValueError(f"Cannot rebuild the model saved in {filepath!r}: {error}") from None
    except (TypeError, KeyError) as error:
        raise ValueError(
            f"Cannot rebuild the model saved in {filepath!r}: its config does not match the "
            f"class it names ({type(error).__name__}: {error})."
        ) from error
    if not hasattr(model, "weights") or not hasattr(model, "build_from_config"):
        raise ValueError(
            f"{filepath!r} names {config.get('class_name')!r}, which is not a model class."
        )
    build_config = config.get("build_config")
    if not model.built and build_config:
        model.build_from_config(build_config)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        model.compile_from_config(compile_config)
        optimizer = model.optimizer
        # An unbuilt model has no variables yet; fit() builds the optimizer with them later.
        if model.built and not getattr(optimizer, "built", False):
            optimizer.build(model.trainable_variables)
    return model


def _is_compiled(model):
    return bool(getattr(model, "compiled", False)) and getattr(model, "optimizer", None) is not None


def _kerascore_version():
    import kerascore

    return kerascore.__version__


def _to_json(config, filepath):
    def convert(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(
            f"Cannot save {filepath!r}: the model config holds {value!r} of type "
            f"{type(value).__name__}, which is not JSON serializable. Make get_config() return "
            "plain Python values."
        )

    return json.dumps(config, default=convert)
