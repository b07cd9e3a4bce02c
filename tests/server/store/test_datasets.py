"""Dataset validation (no TensorFlow): the .npz key convention, CSV conversion, rejections."""

from __future__ import annotations

import io

import numpy as np
import pytest

from server.store.datasets import (
    DatasetError,
    detect_format,
    read_csv,
    save_npz,
    validate_dataset,
)


def _npz(tmp_path, **arrays):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    return path


def _csv(tmp_path, text: str | bytes):
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_npz_summary_lists_arrays_rows_and_splits(tmp_path):
    path = _npz(
        tmp_path,
        x=np.zeros((10, 4), "float32"),
        y=np.arange(10),
        x_val=np.ones((3, 4), "float32"),
        y_val=np.arange(3),
    )
    summary = validate_dataset(path, "npz").summary
    assert summary["rows"] == 10
    assert summary["splits"] == {"train": 10, "val": 3}
    assert {"name": "x", "shape": [10, 4], "dtype": "float32"} in summary["arrays"]
    assert {"name": "y_val", "shape": [3], "dtype": "int64"} in summary["arrays"]
    assert (summary["inputs"], summary["outputs"]) == (["x"], ["y"])


def test_npz_with_named_inputs_and_outputs(tmp_path):
    path = _npz(
        tmp_path,
        **{"x:image": np.zeros((5, 2, 2)), "x:meta": np.zeros((5, 3)), "y": np.zeros(5)},
    )
    summary = validate_dataset(path, "npz").summary
    assert summary["inputs"] == ["image", "meta"]
    assert summary["outputs"] == ["y"]


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"x": np.zeros((4, 2)), "y": np.zeros(3)}, "same number of rows"),
        ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, "is empty"),
        ({"x": np.zeros((4, 2))}, "needs training inputs and targets"),
        ({"x": np.zeros((4, 2)), "y": np.zeros(4), "features": np.zeros(4)}, "'features'"),
        ({"x": np.zeros((4, 2)), "y": np.zeros(4), "x_val": np.zeros((2, 2))}, "y_val is missing"),
        ({"x": np.array(["a", "b"]), "y": np.zeros(2)}, "not numeric"),
        ({"x": np.array([1.0, np.nan]), "y": np.zeros(2)}, "NaN or infinite"),
        ({"x": np.zeros((2, 2)), "x:a": np.zeros((2, 2)), "y": np.zeros(2)}, "not both"),
        ({"x": np.float32(1.0), "y": np.zeros(2)}, "scalar"),
    ],
)
def test_bad_npz_is_rejected_with_a_reason(tmp_path, arrays, message):
    path = _npz(tmp_path, **arrays)
    with pytest.raises(DatasetError, match=message):
        validate_dataset(path, "npz")


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = _npz(tmp_path, x=np.array([[1, 2], [3]], dtype=object), y=np.zeros(2))
    with pytest.raises(DatasetError, match="dtype=object") as info:
        validate_dataset(path, "npz")
    assert info.value.details == {"array": "x", "dtype": "object"}


def test_npz_that_decompresses_past_the_limit_is_refused_before_loading(tmp_path):
    path = tmp_path / "d.npz"
    np.savez_compressed(path, x=np.zeros((1000, 100), "float32"), y=np.zeros(1000))
    assert path.stat().st_size < 10_000
    with pytest.raises(DatasetError, match="decompresses to 40") as info:
        validate_dataset(path, "npz", max_array_bytes=100_000)
    assert info.value.details["limit_bytes"] == 100_000
    assert validate_dataset(path, "npz", max_array_bytes=1_000_000).summary["rows"] == 1000


def test_npz_whose_header_claims_an_impossible_shape_is_refused(tmp_path):
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**16,)}
    )
    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(DatasetError, match="truncated: its header declares shape"):
        validate_dataset(path, "npz")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"x,y\n1,2\n", "not a zip archive"),
        (np.lib.format.magic(1, 0) + b"rest", "not a zip archive"),
    ],
)
def test_a_file_that_is_not_npz_is_rejected(tmp_path, content, message):
    path = tmp_path / "d.npz"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        validate_dataset(path, "npz")


def test_csv_is_converted_with_numeric_and_text_labels(tmp_path):
    validated = validate_dataset(_csv(tmp_path, "a,b,label\n1,2,0\n3,4.5,1\n"), "csv")
    np.testing.assert_array_equal(validated.arrays["x"], [[1, 2], [3, 4.5]])
    assert validated.arrays["x"].dtype == np.float32
    assert validated.arrays["y"].dtype == np.int64
    assert validated.summary["columns"] == ["a", "b"]
    assert validated.summary["rows"] == 2

    text = validate_dataset(_csv(tmp_path, "kind,w\ncat,1\ndog,2\ncat,3\n"), "csv", "kind")
    np.testing.assert_array_equal(text.arrays["y"], [0, 1, 0])
    assert text.summary["classes"] == ["cat", "dog"]

    # The converted arrays survive the .npz round trip the runner reads.
    out = tmp_path / "out.npz"
    save_npz(out, validated.arrays)
    assert validate_dataset(out, "npz").summary["arrays"] == validated.summary["arrays"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("a,b,label\n1,2,0\n3,0\n", "Line 3 of the CSV has 2 values"),
        ("a,b,label\n1,oops,0\n", "Line 2, column 'b' of the CSV is not a number: 'oops'"),
        ("a,b,target\n1,2,0\n", "label column 'label' is not in the CSV header"),
        ("a,b,label\n", "no data rows"),
        ("", "empty"),
        ("a,label\n1,\n2,1\n", "label of data row 1"),
        (b"PK\x03\x04\x00\x00binary", "binary data"),
        (b"a,label\n\xff\xfe,1\n", "not UTF-8"),
    ],
)
def test_bad_csv_is_rejected_with_a_reason(tmp_path, content, message):
    with pytest.raises(DatasetError, match=message.replace("(", r"\(")):
        validate_dataset(_csv(tmp_path, content), "csv")


def test_format_comes_from_the_declared_format_or_extension():
    assert detect_format("data.NPZ") == "npz"
    assert detect_format("blob", "csv") == "csv"
    with pytest.raises(DatasetError, match="filename='data.json'"):
        detect_format("data.json")


def test_npz_member_that_is_not_npy_is_refused(tmp_path):
    # Issue 12, item 12: such an .npz answered 500 (AttributeError).
    import zipfile

    path = tmp_path / "d.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 2)))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", buffer.getvalue())
        archive.writestr("y.txt", b"1\n2\n")
    with pytest.raises(DatasetError, match="'y.txt' of the .npz is not a .npy array"):
        validate_dataset(path, "npz")


def run_measuring_peak_memory(function: str, path) -> tuple[object, int]:
    """Calls `server.store.datasets.<function>(path)` in a fresh interpreter.

    Returns:
        (a JSON summary of what it returned, how much its peak resident memory grew in MB).
    """
    import json
    import subprocess
    import sys

    script = (
        "import json, resource, sys\n"
        "from pathlib import Path\n"
        "from server.store import datasets\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"result = datasets.{function}(Path(sys.argv[1]))\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "if isinstance(result, tuple):  # read_csv: (arrays, extra)\n"
        "    result = [result[0]['x'].shape[0], str(result[0]['y'].dtype)]\n"
        "print(json.dumps([result, (after - before) // 1024]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result, grown_mb = json.loads(done.stdout.splitlines()[-1])
    return (tuple(result) if isinstance(result, list) else result), grown_mb


def test_a_zip_bomb_is_checked_in_bounded_memory(tmp_path):
    # Issue 12, item 12: a 1.6 MB .npz took the API from 133 to 2,056 MB while it was checked.
    import zipfile

    path = tmp_path / "bomb.npz"
    rows = 50 << 20  # 400 MiB of float64 zeros, about 0.4 MB compressed
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, length in (("x.npy", rows), ("y.npy", rows)):
            with archive.open(name, "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(
                    member, {"descr": "<f8", "fortran_order": False, "shape": (length,)}
                )
                zeros = bytes(8 << 20)
                for _ in range(length * 8 // len(zeros)):
                    member.write(zeros)
    assert path.stat().st_size < 2 << 20
    summary, grown_mb = run_measuring_peak_memory("inspect_npz", path)
    assert summary["rows"] == rows
    assert grown_mb < 100, f"checking grew the process by {grown_mb} MB"


def test_a_large_csv_is_read_in_memory_close_to_its_arrays(tmp_path):
    # Issue 12, item 12: a 21 MB CSV took the API from 133 to 690 MB.

    rows, features = 150_000, 20
    path = tmp_path / "big.csv"
    values = np.random.default_rng(0).random((rows, features)).round(6)
    labels = np.arange(rows) % 7
    with open(path, "w") as file:
        file.write(",".join([f"f{i}" for i in range(features)] + ["label"]) + "\n")
        np.savetxt(file, np.column_stack([values, labels]), delimiter=",", fmt="%.6g")
    assert path.stat().st_size > 15 << 20
    (rows_read, dtype), grown_mb = run_measuring_peak_memory("read_csv", path)
    assert (rows_read, dtype) == (rows, "int64")
    assert grown_mb < 60, f"reading grew the process by {grown_mb} MB"  # x is 12 MB


def test_csv_labels_that_turn_to_text_late_get_every_class(tmp_path):
    path = tmp_path / "late.csv"
    lines = ["a,label"] + [f"{i},{i}" for i in range(1500)] + ["1,cat"]
    path.write_text("\n".join(lines) + "\n")
    arrays, extra = read_csv(path)
    assert len(extra["classes"]) == 1501 and extra["classes"][arrays["y"][-1]] == "cat"
