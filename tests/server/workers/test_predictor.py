"""The predictor pool: real sandboxed predictor processes, micro-batching, input checks."""

from __future__ import annotations

import concurrent.futures
import os
import time
from pathlib import Path

import numpy as np
import pytest

from server.config import Settings
from server.workers.predictor import PredictionInputError, PredictorPool, validate_payload

SETTINGS = Settings(data_dir=Path("/tmp"), predict_max_instances=100)
SPECS = [{"name": "pixels", "shape": [None, 64], "dtype": "float32"}]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> tuple[Path, object]:
    import kerascore as keras

    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)]
    )
    path = tmp_path_factory.mktemp("ckpt") / "epoch-0001.keras"
    model.save(path)
    return path, model


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    # No spare: each pool here loads one checkpoint, so a spare started after it would only
    # import TensorFlow for nothing (spares are exercised by the end-to-end tests).
    pool = PredictorPool(
        Settings(
            data_dir=data_dir,
            predictor_batch_wait_ms=100,
            predictor_idle_s=600,
            predictor_warm_spares=0,
        )
    )
    yield pool
    pool.close()


def test_predictions_match_the_model_and_concurrent_requests_share_batches(pool, checkpoint):
    path, model = checkpoint
    rows = np.random.default_rng(0).random((16, 64), dtype=np.float32)
    first = pool.predict("job_a", path, {"instances": rows[:1].tolist()})
    np.testing.assert_allclose(first, model.predict(rows[:1], verbose=0), atol=1e-5)
    (loaded,) = pool.stats()
    with concurrent.futures.ThreadPoolExecutor(16) as executor:
        futures = [
            executor.submit(pool.predict, "job_a", path, {"instances": [row.tolist()]})
            for row in rows
        ]
        results = np.asarray([future.result()[0] for future in futures])
    np.testing.assert_allclose(results, model.predict(rows, verbose=0), atol=1e-5)
    (after,) = pool.stats()
    assert after["pid"] == loaded["pid"]  # the checkpoint was loaded once
    assert after["batches"] - loaded["batches"] < 16  # concurrent rows were merged


def test_wrong_shape_names_expected_and_received(pool, checkpoint):
    path, _ = checkpoint
    with pytest.raises(PredictionInputError) as error:
        pool.predict("job_a", path, {"instances": [[1.0, 2.0, 3.0]]})
    assert "expects rows of shape (64,)" in error.value.message
    assert "rows of shape (3,)" in error.value.message
    assert error.value.details["expected_shape"] == [None, 64]
    assert error.value.details["received_shape"] == [1, 3]


def test_idle_predictors_are_stopped(tmp_path, checkpoint):
    path, _ = checkpoint
    pool = PredictorPool(Settings(data_dir=tmp_path, predictor_idle_s=1, predictor_warm_spares=0))
    try:
        pool.predict("job_b", path, {"inputs": [[0.0] * 64]})
        (loaded,) = pool.stats()
        process = Path(f"/proc/{loaded['pid']}")
        deadline = time.monotonic() + 10
        while (pool.stats() or process.exists()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pool.stats() == []
        assert not process.exists()
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"instances": []}, '"instances" must be a non-empty list'),
        ({"instances": [[1.0] * 64, [1.0] * 3]}, "ragged or not numeric"),
        ({"instances": [["a"] * 64]}, "ragged or not numeric"),
        ({"instances": [[10**400] * 64]}, "out of range for float32"),
        ({"inputs": {"other": [[1.0] * 64]}}, "Missing: ['pixels']; unknown: ['other']"),
        ({"instances": [[1.0] * 64], "inputs": {}}, 'either "instances"'),
        ({"instances": [[0.0] * 64] * 101}, "At most 100 rows"),
    ],
)
def test_payload_errors(payload, expected):
    with pytest.raises(PredictionInputError) as error:
        validate_payload(payload, SPECS, SETTINGS)
    assert expected in error.value.message


def test_payload_forms_give_the_same_arrays():
    rows = [[0.5] * 64, [1.0] * 64]
    by_rows, count = validate_payload({"instances": rows}, SPECS, SETTINGS)
    by_name, _ = validate_payload({"inputs": {"pixels": rows}}, SPECS, SETTINGS)
    by_dict_rows, _ = validate_payload(
        {"instances": [{"pixels": row} for row in rows]}, SPECS, SETTINGS
    )
    assert count == 2
    for arrays in (by_name, by_dict_rows):
        np.testing.assert_array_equal(arrays["pixels"], by_rows["pixels"])
    assert by_rows["pixels"].dtype == np.float32


def test_non_finite_rows_are_refused_with_their_row_numbers():
    # Issue 12, item 12: NaN/Infinity rows answered 200 with nulls.
    rows = np.zeros((3, 64)).tolist()
    rows[1][5] = float("nan")
    rows[2][0] = float("inf")
    with pytest.raises(PredictionInputError, match=r"NaN or infinite values \(rows \[1, 2\]\)"):
        validate_payload({"instances": rows}, SPECS, SETTINGS)


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        (b'{"instances": [[1, 2]], "inputs": {"x": [[1]]}}', "validation_error", "exactly one"),
        (b"{}", "validation_error", "exactly one"),
        (b'{"instances": []}', "validation_error", "at least one row"),
        (b'{"inputs": {}}', "validation_error", "at least one input"),
        (b'{"rows": [[1]]}', "validation_error", "rows"),
        (b"{oops", "validation_error", "not JSON"),
        (b"[1, 2]", "validation_error", "JSON object"),
        (b'{"instances": [[1]], "signature_name": "other"}', "validation_error", "'other'"),
        (b'{"instances": [[1], [2], [3]]}', "too_many_instances", "At most 2 instances"),
    ],
)
def test_a_predict_body_is_checked_where_it_is_parsed(body, code, text):
    from server.workers.predictor import check_body

    with pytest.raises(PredictionInputError) as refused:
        check_body(body, SETTINGS.model_copy(update={"predict_max_instances": 2}))
    assert refused.value.code == code and text in refused.value.message
    assert refused.value.status == (413 if code == "too_many_instances" else 422)


def test_tf_serving_bodies_pass_the_check():
    from server.workers.predictor import check_body

    body = b'{"signature_name": "serving_default", "inputs": [[1.0, 2.0]]}'
    assert check_body(body, SETTINGS) == {"inputs": [[1.0, 2.0]]}


def test_arrays_cross_the_pipe_as_binary_frames():
    import io

    from server.workers.predictor import read_frame, write_frame

    arrays = {
        "pixels": np.arange(12, dtype="float32").reshape(3, 4),
        "ids": np.array([[1], [2], [3]], dtype="int64"),
        "text": np.array(["a", "bcd", ""], dtype=object),
    }
    stream = io.BytesIO()
    write_frame(stream, {"id": 7, "type": "predict"}, arrays)
    write_frame(stream, {"id": 8, "type": "load"}, {})
    stream.seek(0)
    first = read_frame(stream)
    assert first["id"] == 7 and first["array_names"] == ["pixels", "ids", "text"]
    for (name, sent), received in zip(arrays.items(), first["arrays"], strict=True):
        np.testing.assert_array_equal(received, sent.astype(str) if name == "text" else sent)
        assert received.shape == sent.shape
    second = read_frame(stream)
    assert second["id"] == 8 and second["arrays"] == []
    assert read_frame(stream) is None


def test_an_export_is_read_out_of_the_box_without_following_links(tmp_path):
    import io
    import tarfile

    from server.workers.checkpoints import archive_box_folder

    secret = tmp_path / "host-secret"
    secret.write_text("the host's")
    export = tmp_path / "work" / "export-1"
    (export / "variables").mkdir(parents=True)
    (export / "saved_model.pb").write_bytes(b"graph")
    (export / "variables" / "variables.index").write_bytes(b"index")
    (export / "leak").symlink_to(secret)  # planted by the box's code
    (export / "variables" / "dir-link").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(export / "fifo")
    archive = archive_box_folder(export, "savedmodel", limit_bytes=1024)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = sorted(tar.getnames())
        assert names == [
            "savedmodel/saved_model.pb",
            "savedmodel/variables",
            "savedmodel/variables/variables.index",
        ]
        assert tar.extractfile("savedmodel/saved_model.pb").read() == b"graph"
    with pytest.raises(ValueError, match="larger than 4 bytes"):
        archive_box_folder(export, "savedmodel", limit_bytes=4)


def test_a_full_queue_answers_busy_instead_of_waiting_longer():
    import threading

    from server.workers.predictor import PredictorBusyError, _Predictor

    release = threading.Event()

    class SlowProcess:  # the pipe to a predictor that is busy with a long batch
        def call(self, message, timeout_s, arrays=None):
            release.wait(10)
            return {"ok": True, "arrays": [np.zeros((len(arrays["x"]), 1))]}

        def close(self):
            release.set()

    settings = SETTINGS.model_copy(update={"predictor_max_queue": 2, "predictor_max_batch": 1})
    predictor = _Predictor(SlowProcess(), {"inputs": [{"name": "x"}]}, settings)
    try:
        first = predictor.submit({"x": np.zeros((1, 1))}, 1)
        deadline = time.monotonic() + 5
        while predictor.queue and time.monotonic() < deadline:  # the first is in its batch
            time.sleep(0.01)
        waiting = [predictor.submit({"x": np.zeros((1, 1))}, 1) for _ in range(2)]
        with pytest.raises(PredictorBusyError, match="HORN_PREDICTOR_MAX_QUEUE"):
            predictor.submit({"x": np.zeros((1, 1))}, 1)
        release.set()
        for future in [first, *waiting]:
            assert future.result(timeout=10) == [[[0.0]]]
    finally:
        predictor.close()
