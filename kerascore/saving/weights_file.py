"""The `.weights.h5` file: model variables, then optimizer variables, stored by position.

Layout: group `model` holds datasets `"0000"`, `"0001"`, ... in the order of `model.weights`,
each with a `name` attribute; group `optimizer` does the same for `model.optimizer.variables`
when the optimizer is built. Loading checks count and shapes of everything before assigning
anything, and reads numeric datasets only (no object or string dtypes).
"""

import warnings

import h5py
import numpy as np

MODEL_GROUP = "model"
OPTIMIZER_GROUP = "optimizer"
_NUMERIC_KINDS = "biuf"


def write_weights(model, h5_file):
    """Writes the model's and (if built) its optimizer's variables into an open h5 file."""
    _write_group(h5_file.create_group(MODEL_GROUP), model.weights)
    optimizer_variables = _built_optimizer_variables(model)
    if optimizer_variables:
        _write_group(h5_file.create_group(OPTIMIZER_GROUP), optimizer_variables)


def read_weights(model, h5_file, skip_mismatch=False, strict_optimizer=True):
    """Checks then assigns the variables stored in an open h5 file to `model`.

    Args:
        model: The model to fill.
        h5_file: An open `h5py.File`.
        skip_mismatch: Skip mismatching model variables with a warning instead of raising.
        strict_optimizer: Raise when stored optimizer variables do not match the model's
            optimizer; when False, skip them with a warning.

    Raises:
        ValueError: for a model that is not built, a missing `model` group, a non-numeric
            dataset, or a mismatch that is not skipped.
    """
    if MODEL_GROUP in h5_file and not getattr(model, "built", True):
        if not len(h5_file[MODEL_GROUP]):
            return  # Saved before it was built: there is nothing to load.
        raise ValueError(
            f"Model {getattr(model, 'name', type(model).__name__)!r} is not built yet, so it has "
            "no variables to load into. Build it first: call it on a batch of data, call "
            "model.build(input_shape), or start it with an Input."
        )
    if MODEL_GROUP not in h5_file:
        raise ValueError(
            f"The weights file has no {MODEL_GROUP!r} group; it was not written by kerascore. "
            f"Groups found: {sorted(h5_file.keys())}"
        )
    model_group = _member(h5_file, MODEL_GROUP, "weights file", h5py.Group)
    assignments = _match(model.weights, model_group, "model", skip_mismatch)
    if OPTIMIZER_GROUP in h5_file:
        optimizer_group = _member(h5_file, OPTIMIZER_GROUP, "weights file", h5py.Group)
        assignments += _optimizer_assignments(model, optimizer_group, strict_optimizer)
    for variable, value in assignments:
        variable.assign(value)


def _optimizer_assignments(model, group, strict):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    if not _optimizer_built(optimizer) and hasattr(optimizer, "build"):
        optimizer.build(model.trainable_variables)
    try:
        return _match(list(optimizer.variables), group, "optimizer", skip_mismatch=False)
    except ValueError as error:
        if strict:
            raise
        warnings.warn(f"Skipping the saved optimizer state: {error}", stacklevel=3)
        return []


def _match(variables, group, label, skip_mismatch):
    stored = sorted(group.keys(), key=lambda key: _position(key, label))
    if [int(key) for key in stored] != list(range(len(stored))):
        raise ValueError(
            f"The saved {label} weights are not numbered 0000, 0001, ... without gaps. "
            f"Entries found: {stored[:10]}"
        )
    if len(stored) != len(variables):
        message = (
            f"The saved {label} has {len(stored)} variables but this {label} has "
            f"{len(variables)} ({_names(variables)}). Check that the architecture matches the "
            "saved one."
        )
        if not skip_mismatch:
            raise ValueError(message)
        warnings.warn(message + " Loading the variables whose shapes match.", stacklevel=3)
    assignments = []
    for variable, key in zip(variables, stored, strict=False):
        dataset = _member(group, key, f"saved {label} weights", h5py.Dataset)
        if dataset.dtype.kind not in _NUMERIC_KINDS:
            raise ValueError(
                f"Saved {label} variable {key} has dtype {dataset.dtype}; only numeric weights "
                "are accepted."
            )
        expected = tuple(variable.shape)
        if tuple(dataset.shape) != expected:
            message = (
                f"Shape mismatch for {label} variable {variable.name!r} (position {int(key)}, "
                f"saved as {_stored_name(dataset)!r}): expected shape {expected}, received "
                f"shape {tuple(dataset.shape)}."
            )
            if not skip_mismatch:
                raise ValueError(message)
            warnings.warn(message + " Skipping it.", stacklevel=3)
            continue
        value = dataset[()]
        assignments.append((variable, np.asarray(value).astype(variable.dtype.as_numpy_dtype)))
    return assignments


def _member(parent, key, where, kind):
    """Returns `parent[key]` if it is a plain `kind` stored in this very file."""
    # External links, virtual datasets and external storage would read other files on disk.
    link = parent.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise ValueError(
            f"Entry {key!r} of the {where} is a {type(link).__name__}; only plain groups and "
            "datasets stored in the file itself are accepted."
        )
    member = parent[key]
    if not isinstance(member, kind):
        raise ValueError(
            f"Entry {key!r} of the {where} is a {type(member).__name__}; expected a "
            f"{kind.__name__}."
        )
    if kind is h5py.Dataset and (member.is_virtual or member.external):
        raise ValueError(
            f"Entry {key!r} of the {where} reads its data from outside the file; only data "
            "stored in the file itself is accepted."
        )
    return member


def _position(key, label):
    if not key.isdigit():
        raise ValueError(
            f"Unexpected entry {key!r} in the saved {label} weights; entries are numbered "
            "0000, 0001, ... in a kerascore weights file."
        )
    return int(key)


def _write_group(group, variables):
    for index, variable in enumerate(variables):
        value = variable.numpy()
        if value.dtype.kind not in _NUMERIC_KINDS or value.dtype.name == "bfloat16":
            # h5py has no bfloat16; float32 holds every bfloat16 value exactly.
            value = value.astype("float32")
        dataset = group.create_dataset(f"{index:04d}", data=value)
        dataset.attrs["name"] = variable.name


def _stored_name(dataset):
    name = dataset.attrs.get("name", "")
    return name.decode() if isinstance(name, bytes) else str(name)


def _names(variables):
    names = [variable.name for variable in variables[:6]]
    return ", ".join(names) + (", ..." if len(variables) > 6 else "")


def _optimizer_built(optimizer):
    # Before build an optimizer holds only its step counter and rate; its slots come later.
    return bool(getattr(optimizer, "built", False))


def _built_optimizer_variables(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not _optimizer_built(optimizer):
        return []
    return list(optimizer.variables)
