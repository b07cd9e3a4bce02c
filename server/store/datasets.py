"""Validation of uploaded datasets, without TensorFlow (see docs/datasets.md).

A dataset is stored as one `.npz` whose keys follow one convention:

- `x`, `y`: training inputs and targets (required);
- `x_val`, `y_val` and `x_test`, `y_test`: optional validation and test splits (in pairs);
- several inputs or outputs: `x:<name>` / `y:<name>` (and `x_val:<name>`, ...), where `<name>`
  is the name of the model's `Input` or output layer.

A `.csv` upload (header row, numeric feature columns and one label column) is converted to that
layout on upload: `x` float32 `(rows, features)` and `y` (int64 for integer labels, float32 for
other numbers, class indices for text labels).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SPLITS = ("train", "val", "test")
_KEY_PATTERN = re.compile(r"^(?P<role>x|y)(?:_(?P<split>val|test))?(?::(?P<name>[A-Za-z_]\w*))?$")
_ACCEPTED_KINDS = "biuf"  # bool, signed and unsigned integers, floats
SUPPORTED_FORMATS = ("npz", "csv")
# A compressed `.npz` may hold at most this many times the upload limit once decompressed: the
# API loads the arrays to check them, and a small zip can decompress to far more than memory.
NPZ_MAX_EXPANSION = 10


class DatasetError(ValueError):
    """An uploaded dataset that cannot be used; `message` says why, `details` has the specifics."""

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


@dataclass
class ValidatedDataset:
    """Result of validation: the summary, and the arrays when the upload must be converted."""

    summary: dict[str, Any]
    arrays: dict[str, np.ndarray] | None = field(default=None, repr=False)


def detect_format(filename: str | None, declared: str | None = None) -> str:
    """Returns the dataset format ("npz" or "csv") from the declared format or the file name.

    Raises:
        DatasetError: if the format is missing or not supported.
    """
    fmt = (declared or Path(filename or "").suffix.lstrip(".")).lower()
    if fmt not in SUPPORTED_FORMATS:
        raise DatasetError(
            f"Expected a dataset file ending in .npz or .csv (or the form field `format` set to "
            f"one of {list(SUPPORTED_FORMATS)}). Received: filename={filename!r}"
            + (f", format={declared!r}" if declared else ""),
            {"filename": filename, "format": declared, "supported": list(SUPPORTED_FORMATS)},
        )
    return fmt


def validate_dataset(
    path: Path, fmt: str, label_column: str = "label", max_array_bytes: int | None = None
) -> ValidatedDataset:
    """Validates an uploaded dataset file.

    Args:
        path: the uploaded file.
        fmt: "npz" or "csv".
        label_column: name of the CSV label column.
        max_array_bytes: largest total size of an `.npz`'s arrays once decompressed, or None
            for no limit.

    Returns:
        The summary; for CSV also the arrays to store as `.npz`.

    Raises:
        DatasetError: with a message saying what is wrong and what to do.
    """
    if fmt == "npz":
        return ValidatedDataset(summary=inspect_npz(path, max_array_bytes))
    if fmt == "csv":
        arrays, extra = read_csv(path, label_column)
        summary = summarize_arrays(arrays, "csv")
        summary.update(extra)
        return ValidatedDataset(summary=summary, arrays=arrays)
    raise DatasetError(f"Expected format in {list(SUPPORTED_FORMATS)}. Received: {fmt!r}")


def inspect_npz(path: Path, max_array_bytes: int | None = None) -> dict[str, Any]:
    """Loads an `.npz` safely (no pickle), checks its keys and arrays, returns the summary.

    Args:
        path: the `.npz` file.
        max_array_bytes: largest total decompressed size of its members, or None for no limit.
    """
    if path.stat().st_size == 0:
        raise DatasetError("The uploaded .npz file is empty (0 bytes).")
    if not zipfile.is_zipfile(path):
        raise DatasetError(
            "The uploaded file is not a valid .npz (it is not a zip archive). Save it with "
            "numpy.savez(path, x=..., y=...).",
        )
    arrays: dict[str, Any] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            # Reading a member stops at its declared size, so this bounds what is inflated.
            members = archive.infolist()
            declared = sum(info.file_size for info in members)
            if max_array_bytes is not None and declared > max_array_bytes:
                raise DatasetError(
                    f"The uploaded .npz decompresses to {declared} bytes, more than the "
                    f"{max_array_bytes} bytes accepted ({NPZ_MAX_EXPANSION} times the upload "
                    "limit HORN_MAX_UPLOAD_MB). Upload a smaller dataset.",
                    {"uncompressed_bytes": declared, "limit_bytes": max_array_bytes},
                )
            if not members:
                raise DatasetError("The uploaded .npz holds no arrays. Expected at least x and y.")
            for info in members:
                arrays[info.filename.removesuffix(".npy")] = _stream_npy_member(archive, info)
    except DatasetError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetError(f"The uploaded .npz cannot be read: {error}") from None
    return summarize_arrays(arrays, "npz")


@dataclasses.dataclass(frozen=True)
class ArrayInfo:
    """What validation needs of an `.npz` member, read from its header and streamed values."""

    shape: tuple[int, ...]
    dtype: np.dtype
    non_finite: int

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)


# Values of a float member are checked this many bytes at a time (memory stays bounded).
NPY_CHUNK_BYTES = 16 * 1024 * 1024


def _stream_npy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> ArrayInfo:
    """Reads one `.npy` member's header, and streams its values to count non-finite ones.

    Nothing larger than `NPY_CHUNK_BYTES` is held at once, so a small upload that inflates to
    gigabytes (a zip bomb) costs time bounded by the expansion check, not memory.
    """
    name = info.filename
    if not name.endswith(".npy"):
        raise DatasetError(
            f"Member {name!r} of the .npz is not a .npy array. Save the dataset with "
            "numpy.savez(path, x=..., y=...).",
            {"member": name},
        )
    key = name.removesuffix(".npy")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise DatasetError(
                f"Array {key!r} uses .npy format version {version}, which is not supported. "
                "Save it with numpy.savez.",
                {"array": key},
            )
        if dtype.hasobject:
            raise DatasetError(
                f"Array {key!r} holds Python objects (dtype=object), which need pickle to load "
                "and are refused. Convert it to a numeric array (e.g. np.asarray(values, "
                "dtype='float32')); ragged lists must be padded first.",
                {"array": key, "dtype": "object"},
            )
        expected = math.prod(shape) * dtype.itemsize
        non_finite = 0
        remaining = expected
        while remaining > 0:
            step = min(remaining, NPY_CHUNK_BYTES - NPY_CHUNK_BYTES % dtype.itemsize)
            chunk = _read_exactly(member, step)
            if len(chunk) != step:
                raise DatasetError(
                    f"Array {key!r} of the .npz is truncated: its header declares shape "
                    f"{list(shape)} ({expected} bytes), the file holds less.",
                    {"array": key, "shape": list(shape)},
                )
            if dtype.kind == "f":
                values = np.frombuffer(chunk, dtype=dtype)
                non_finite += int(values.size - np.count_nonzero(np.isfinite(values)))
            remaining -= step
    del fortran_order
    return ArrayInfo(tuple(int(n) for n in shape), dtype, non_finite)


def _read_exactly(stream: Any, size: int) -> bytes:
    """Reads `size` bytes (fewer only at the end of the stream)."""
    parts = []
    while size > 0:
        part = stream.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def summarize_arrays(arrays: dict[str, Any], fmt: str) -> dict[str, Any]:
    """Checks arrays against the key convention and returns the summary.

    The summary is `{"format", "arrays": [{"name", "shape", "dtype"}], "rows": <training rows>,
    "splits": {"train": n, "val": n, "test": n}, "inputs": [...], "outputs": [...]}`; `inputs`
    and `outputs` are `["x"]` / `["y"]` for plain arrays, or the `<name>`s of `x:<name>`/`y:<name>`.
    """
    layout: dict[str, dict[str, dict[str | None, np.ndarray]]] = {}
    for key, array in arrays.items():
        match = _KEY_PATTERN.match(key)
        if match is None:
            raise DatasetError(
                f"Unexpected array name {key!r} in the dataset. Expected x, y, x_val, y_val, "
                "x_test, y_test, or x:<name> / y:<name> (and x_val:<name>, ...) for several "
                "inputs or outputs.",
                {"array": key, "arrays": sorted(arrays)},
            )
        split = match["split"] or "train"
        layout.setdefault(split, {}).setdefault(match["role"], {})[match["name"]] = array
        _check_array(key, array)

    train = layout.get("train", {})
    if "x" not in train or "y" not in train:
        raise DatasetError(
            f"The dataset needs training inputs and targets: arrays x and y (or x:<name> and "
            f"y:<name>). Received arrays: {sorted(arrays)}",
            {"arrays": sorted(arrays)},
        )
    splits: dict[str, int] = {}
    for split in SPLITS:
        parts = layout.get(split)
        if parts is None:
            continue
        suffix = "" if split == "train" else f"_{split}"
        if set(parts) != {"x", "y"}:
            missing = ({"x", "y"} - set(parts)).pop()
            raise DatasetError(
                f"The {split} split needs both inputs and targets; {missing}{suffix} is missing. "
                f"Received arrays: {sorted(arrays)}",
                {"split": split, "arrays": sorted(arrays)},
            )
        for role in ("x", "y"):
            names = set(parts[role])
            if None in names and len(names) > 1:
                raise DatasetError(
                    f"Use either {role}{suffix} or {role}{suffix}:<name> arrays, not both. "
                    f"Received arrays: {sorted(arrays)}",
                    {"arrays": sorted(arrays)},
                )
            if split != "train" and names != set(train[role]):
                raise DatasetError(
                    f"The {split} split must have the same {role} arrays as the training split. "
                    f"Training: {_names(train[role], role)}; {split}: {_names(parts[role], role)}",
                    {"split": split, "arrays": sorted(arrays)},
                )
        lengths = {
            _key(role, suffix, name): int(array.shape[0])
            for role in ("x", "y")
            for name, array in parts[role].items()
        }
        if len(set(lengths.values())) != 1:
            raise DatasetError(
                f"All arrays of the {split} split must have the same number of rows (first "
                f"dimension). Received rows: {lengths}",
                {"split": split, "rows": lengths},
            )
        rows = next(iter(lengths.values()))
        if rows == 0:
            raise DatasetError(
                f"The {split} split is empty (0 rows). Received rows: {lengths}",
                {"split": split, "rows": lengths},
            )
        splits[split] = rows
    return {
        "format": fmt,
        "arrays": [
            {"name": key, "shape": list(array.shape), "dtype": str(array.dtype)}
            for key, array in sorted(arrays.items())
        ],
        "rows": splits["train"],
        "splits": splits,
        "inputs": _names(train["x"], "x"),
        "outputs": _names(train["y"], "y"),
    }


def read_csv(path: Path, label_column: str = "label") -> tuple[dict[str, np.ndarray], dict]:
    """Reads a CSV with a header row into `x` (float32) and `y` arrays.

    Two streaming passes: the first checks every row and counts them, the second fills arrays
    allocated once, so memory is the arrays' size, not the parsed text's (a 21 MB CSV took the
    API to 690 MB when it was read as Python lists).

    Returns:
        The arrays and extra summary fields: `label_column`, `columns` (feature names) and, for
        text labels, `classes` (label `i` is `classes[i]`).
    """
    with open(path, "rb") as file:
        start = file.read(65536)
    if not start.strip():
        raise DatasetError("The uploaded CSV file is empty.")
    if b"\x00" in start:
        raise DatasetError(
            "The uploaded file is not a CSV text file (it holds binary data). Upload a "
            "comma-separated text file with a header row, or an .npz."
        )
    header, label_index, rows, numeric, classes = _check_csv(path, label_column)
    features = len(header) - 1
    x = np.empty((rows, features), dtype=np.float32)
    labels = np.empty(rows, dtype=np.float64 if numeric else np.int64)
    lookup = {name: index for index, name in enumerate(classes or [])}
    for row_index, row in enumerate(_csv_data_rows(path)):
        label = row.pop(label_index).strip()
        x[row_index] = [float(cell) for cell in row]
        labels[row_index] = float(label) if numeric else lookup[label]
    if numeric:
        if not np.isfinite(labels).all():
            raise DatasetError("The CSV label column holds NaN or infinite values.")
        y = labels.astype(np.int64) if np.all(labels == np.round(labels)) else labels
        y = y if y.dtype == np.int64 else y.astype(np.float32)
    else:
        y = labels
    extra: dict[str, Any] = {
        "label_column": label_column,
        "columns": [column for column in header if column != label_column],
    }
    if classes is not None:
        extra["classes"] = classes
    return {"x": x, "y": y}, extra


def _csv_data_rows(path: Path) -> Iterator[list[str]]:
    """The CSV's non-empty rows after the header, as cells (UTF-8, a BOM allowed)."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        next(reader, None)
        for row in reader:
            if row and any(cell.strip() for cell in row):
                yield row


def _check_csv(path: Path, label_column: str) -> tuple[list[str], int, int, bool, list | None]:
    """First pass over a CSV: header, label column, row count; every row checked.

    Returns:
        (header, index of the label column, data rows, whether every label is a number, the
        sorted text labels or None when they are numbers).
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file)
            header = next(reader, None)
            if not header:
                raise DatasetError("The uploaded CSV has no header row.")
            header = [column.strip() for column in header]
            if label_column not in header:
                raise DatasetError(
                    f"The label column {label_column!r} is not in the CSV header. Columns: "
                    f"{header}. Pass the form field `label_column` with the name of the label "
                    "column.",
                    {"label_column": label_column, "columns": header},
                )
            if len(header) < 2:
                raise DatasetError(
                    f"The CSV needs at least one feature column beside the label. Columns: {header}"
                )
            label_index = header.index(label_column)
            rows = 0
            numeric = True
            texts: set[str] = set()
            cleared = False
            empty_label_row = None
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise DatasetError(
                        f"Line {line} of the CSV has {len(row)} values; the header has "
                        f"{len(header)} columns. Every row must have one value per column.",
                        {"line": line, "values": len(row), "columns": len(header)},
                    )
                rows += 1
                for index, cell in enumerate(row):
                    if index == label_index:
                        continue
                    try:
                        float(cell)
                    except ValueError:
                        raise DatasetError(
                            f"Line {line}, column {header[index]!r} of the CSV is not a number: "
                            f"{cell!r}. Feature columns must be numeric (encode categories "
                            "first).",
                            {"line": line, "column": header[index], "value": cell},
                        ) from None
                label = row[label_index].strip()
                if not label and empty_label_row is None:
                    empty_label_row = rows
                if numeric:
                    try:
                        float(label)
                    except ValueError:
                        numeric = False
                texts.add(label)
                if numeric and len(texts) > 1024:
                    texts.clear()  # numbers need no class list; keep memory flat
                    cleared = True
    except UnicodeDecodeError as error:
        raise DatasetError(
            f"The uploaded CSV is not UTF-8 text (a byte at {error.start} of a read block "
            "cannot be decoded). Save it as UTF-8."
        ) from None
    if rows == 0:
        raise DatasetError("The uploaded CSV has a header but no data rows.")
    if numeric:
        return header, label_index, rows, True, None
    if empty_label_row is not None:
        raise DatasetError(
            f"The label of data row {empty_label_row} of the CSV is empty. Every row needs a "
            "label.",
            {"row": empty_label_row},
        )
    if cleared:  # numbers first, then text: the class list needs every label after all
        texts = {row[label_index].strip() for row in _csv_data_rows(path)}
    return header, label_index, rows, False, sorted(texts)


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Writes arrays to an uncompressed `.npz` at `path` (callers rename it into place)."""
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _check_array(key: str, array: np.ndarray) -> None:
    if array.dtype.kind not in _ACCEPTED_KINDS:
        raise DatasetError(
            f"Array {key!r} has dtype {array.dtype}, which is not numeric. Expected bool, integer "
            "or float arrays (encode text labels as integers).",
            {"array": key, "dtype": str(array.dtype)},
        )
    if array.ndim == 0:
        raise DatasetError(
            f"Array {key!r} is a scalar. Expected an array with one row per sample.",
            {"array": key, "shape": []},
        )
    if array.dtype.kind == "f":
        if isinstance(array, ArrayInfo):
            bad = array.non_finite
        else:
            bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        if bad:
            raise DatasetError(
                f"Array {key!r} holds {bad} NaN or infinite values. Replace or drop them.",
                {"array": key, "non_finite": bad},
            )


def _names(parts: dict[str | None, np.ndarray], role: str) -> list[str]:
    return [role] if None in parts else sorted(parts)  # type: ignore[arg-type]


def _key(role: str, suffix: str, name: str | None) -> str:
    return f"{role}{suffix}" if name is None else f"{role}{suffix}:{name}"
