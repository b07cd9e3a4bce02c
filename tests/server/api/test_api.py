"""The HTTP API with a real app, lifespan, SQLite (or PostgreSQL) and event bus.

Jobs are not sent to a broker here: the dispatcher dependency is replaced by a recorder (the
end-to-end tests use the real one with real workers).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from server.store.db import (
    Checkpoint,
    Dataset,
    Job,
    JobStatus,
    Metric,
    ModelSource,
    session_scope,
    utcnow,
)
from server.store.events import EventType
from server.store.jobs import update_job_if
from server.store.keys import create_api_key
from server.store.workers import register_worker

MODEL_SOURCE = b"""import kerascore as keras


def build_model(hparams):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(hparams.get("units", 8), activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
"""


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


GOOD_NPZ = npz_bytes(x=np.random.rand(12, 4).astype("float32"), y=np.arange(12) % 3)


def upload_dataset(client, auth, content=GOOD_NPZ, filename="d.npz", **fields):
    return client.post(
        "/v1/datasets", headers=auth, files={"file": (filename, content)}, data=fields
    )


def upload_model(client, auth, content=MODEL_SOURCE, filename="model.py", **fields):
    return client.post("/v1/models", headers=auth, files={"file": (filename, content)}, data=fields)


@pytest.fixture
def resources(client, auth):
    """A model and a dataset of the bootstrap tenant."""
    model = upload_model(client, auth)
    dataset = upload_dataset(client, auth)
    assert model.status_code == 201, model.text
    assert dataset.status_code == 201, dataset.text
    return {"model_id": model.json()["id"], "dataset_id": dataset.json()["id"]}


def create_job(client, auth, refs, headers=None, **body):
    payload = {**refs, "training": {"epochs": 2}, **body}
    return client.post("/v1/jobs", headers={**auth, **(headers or {})}, json=payload)


def stored_files(data_dir: Path) -> set[str]:
    """Files under the data dir, without the database's and broker's own files."""
    return {
        path.relative_to(data_dir).as_posix()
        for path in data_dir.rglob("*")
        if path.is_file()
        and not path.name.startswith("horn.db")
        and "broker" not in path.relative_to(data_dir).parts
    }


def row_counts(app) -> tuple[int, int, int]:
    with app.state.sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Dataset, ModelSource, Job)
        )


def assert_error(response, status: int, code: str, text: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}
    if text is not None:
        assert text in error["message"]
    return error


def set_status(app, job_id: str, status: str, **values) -> None:
    with session_scope(app.state.sessions) as session:
        assert update_job_if(session, job_id, JobStatus.ALL, status=status, **values)


def other_tenant_auth(app) -> dict[str, str]:
    with session_scope(app.state.sessions) as session:
        key = create_api_key(session, "other")
    return {"Authorization": f"Bearer {key}"}


def parse_sse(text: str) -> list[dict]:
    events = []
    for block in text.split("\n\n"):
        fields: dict = {}
        for line in block.splitlines():
            if line.startswith(":") or not line:
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields:
            fields["data"] = json.loads(fields["data"])
            events.append(fields)
    return events


# Service endpoints and errors -------------------------------------------------------------


def test_health_readiness_metrics_and_docs(client, auth, resources):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert {name for name, check in ready.json()["checks"].items() if check["ok"]} == {
        "database",
        "broker",
        "events",
    }
    create_job(client, auth, resources)
    from fastapi.testclient import TestClient

    assert client.get("/metrics").status_code == 403  # not from loopback, no token set
    local = TestClient(client.app, client=("127.0.0.1", 50000))
    metrics = local.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'horn_jobs{status="queued"} 1' in metrics.text
    assert 'horn_jobs{status="running"} 0' in metrics.text
    assert 'horn_http_requests_total{method="POST",route="/v1/jobs",status="202"} 1' in metrics.text
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/v1/datasets",
        "/v1/datasets/{dataset_id}",
        "/v1/models",
        "/v1/models/{model_id}",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/cancel",
        "/v1/jobs/{job_id}/metrics",
        "/v1/jobs/{job_id}/events",
        "/v1/jobs/{job_id}/logs",
        "/v1/jobs/{job_id}/checkpoints",
        "/v1/jobs/{job_id}/checkpoints/{epoch}",
        "/v1/jobs/{job_id}/predict",
        "/healthz",
        "/readyz",
        "/metrics",
    ]:
        assert path in paths
    assert "multipart/form-data" in paths["/v1/datasets"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200


def test_readiness_fails_when_the_broker_folder_is_gone(client, settings):
    (settings.broker_dir / "queue").rmdir()
    error = assert_error(client.get("/readyz"), 503, "not_ready", "broker")
    assert error["details"]["checks"]["database"]["ok"] is True


def test_unknown_routes_and_methods_answer_json(client, auth):
    assert_error(client.get("/v1/nope", headers=auth), 404, "not_found", "/v1/nope")
    assert_error(client.put("/v1/jobs", headers=auth), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "wrong", "not-bearer"],
)
def test_v1_routes_need_a_valid_key(client, headers):
    for method, path in [
        ("GET", "/v1/jobs"),
        ("GET", "/v1/jobs/job_x"),
        ("POST", "/v1/jobs"),
        ("GET", "/v1/datasets"),
        ("POST", "/v1/models"),
        ("GET", "/v1/jobs/job_x/events"),
    ]:
        response = client.request(method, path, headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_key_is_refused(app, client, auth):
    from server.store.keys import revoke_api_key

    other = other_tenant_auth(app)
    assert client.get("/v1/jobs", headers=other).status_code == 200
    with session_scope(app.state.sessions) as session:
        assert revoke_api_key(session, other["Authorization"].split()[1])
    assert_error(client.get("/v1/jobs", headers=other), 401, "unauthorized", "revoked")


def test_validated_keys_are_cached_for_auth_cache_s(data_dir):
    from fastapi.testclient import TestClient

    from server.api.app import create_app
    from server.config import Settings
    from server.store.keys import revoke_api_key

    settings = Settings(data_dir=data_dir, auth_cache_s=0.5, predictor_warm_spares=0)
    app = create_app(settings)
    with TestClient(app) as client:
        other = other_tenant_auth(app)
        assert client.get("/v1/jobs", headers=other).status_code == 200
        with session_scope(app.state.sessions) as session:
            assert revoke_api_key(session, other["Authorization"].split()[1])
        assert client.get("/v1/jobs", headers=other).status_code == 200  # still cached
        time.sleep(0.6)
        assert_error(client.get("/v1/jobs", headers=other), 401, "unauthorized", "revoked")


# Datasets and models ---------------------------------------------------------------------


def test_dataset_upload_get_list_delete(app, client, auth, data_dir):
    created = upload_dataset(client, auth, name="digits")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "digits" and body["format"] == "npz"
    assert body["size_bytes"] == len(GOOD_NPZ)
    import hashlib

    assert body["sha256"] == hashlib.sha256(GOOD_NPZ).hexdigest()
    assert body["summary"]["rows"] == 12
    assert {"name": "x", "shape": [12, 4], "dtype": "float32"} in body["summary"]["arrays"]
    assert len(stored_files(data_dir)) == 1

    assert client.get(f"/v1/datasets/{body['id']}", headers=auth).json() == body
    listed = client.get("/v1/datasets", headers=auth).json()
    assert listed == {"items": [body], "next": None}

    assert client.delete(f"/v1/datasets/{body['id']}", headers=auth).status_code == 204
    assert stored_files(data_dir) == set()
    assert_error(client.get(f"/v1/datasets/{body['id']}", headers=auth), 404, "not_found")


def test_csv_upload_is_converted_to_npz(app, client, auth):
    csv = b"f1,f2,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n"
    created = upload_dataset(client, auth, csv, "iris.csv", label_column="species")
    assert created.status_code == 201, created.text
    summary = created.json()["summary"]
    assert summary["classes"] == ["setosa", "virginica"]
    assert summary["label_column"] == "species"
    with app.state.sessions() as session:
        path = app.state.artifacts.resolve(session.get(Dataset, created.json()["id"]).path)
    with np.load(path, allow_pickle=False) as stored:
        np.testing.assert_array_equal(stored["x"], [[1, 2], [3, 4], [5, 6]])
        np.testing.assert_array_equal(stored["y"], [0, 1, 0])


BAD_UPLOADS = {
    "npz-not-a-zip": (b"definitely not a zip", "d.npz", {}, 422, "invalid_dataset", "zip"),
    "npz-object-array": (
        npz_bytes(x=np.array([[1], [2, 3]], dtype=object), y=np.zeros(2)),
        "d.npz",
        {},
        422,
        "invalid_dataset",
        "dtype=object",
    ),
    "npz-length-mismatch": (
        npz_bytes(x=np.zeros((5, 2)), y=np.zeros(4)),
        "d.npz",
        {},
        422,
        "invalid_dataset",
        "same number of rows",
    ),
    "npz-empty-file": (b"", "d.npz", {}, 422, "invalid_dataset", "empty"),
    "npz-no-rows": (
        npz_bytes(x=np.zeros((0, 2)), y=np.zeros(0)),
        "d.npz",
        {},
        422,
        "invalid_dataset",
        "empty",
    ),
    "csv-ragged": (b"a,b,label\n1,2,0\n1,0\n", "d.csv", {}, 422, "invalid_dataset", "Line 3"),
    "csv-non-numeric": (b"a,label\nhello,1\n", "d.csv", {}, 422, "invalid_dataset", "'hello'"),
    "csv-binary": (b"\x00\x01\x02\x03binary", "d.csv", {}, 422, "invalid_dataset", "binary"),
    "csv-missing-label": (b"a,b\n1,2\n", "d.csv", {}, 422, "invalid_dataset", "'label'"),
    "unsupported-format": (b"{}", "d.json", {}, 422, "invalid_dataset", ".npz or .csv"),
    "too-large": (b"0" * (1024 * 1024 + 10), "d.npz", {}, 413, "payload_too_large", "limit"),
    "unknown-field": (GOOD_NPZ, "d.npz", {"colour": "red"}, 422, "invalid_upload", "'colour'"),
    # Longer than the database columns (PostgreSQL refuses them with an error).
    "long-name": (GOOD_NPZ, "d.npz", {"name": "n" * 201}, 422, "invalid_upload", "200"),
    "long-filename": (GOOD_NPZ, "d" * 252 + ".npz", {}, 422, "invalid_upload", "255"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_dataset_uploads_leave_nothing_behind(app, client, auth, data_dir, case):
    content, filename, fields, status, code, text = BAD_UPLOADS[case]
    before = stored_files(data_dir)
    response = upload_dataset(client, auth, content, filename, **fields)
    assert_error(response, status, code, text)
    assert stored_files(data_dir) == before
    assert row_counts(app) == (0, 0, 0)


def test_upload_without_a_file_or_multipart_is_refused(app, client, auth, data_dir):
    assert_error(
        client.post("/v1/datasets", headers=auth, data={"name": "x"}, files={"other": ("a", b"")}),
        422,
        "invalid_upload",
    )
    as_json = client.post("/v1/datasets", headers=auth, json={"x": 1})
    assert_error(as_json, 415, "unsupported_media_type")
    assert_error(
        client.post("/v1/datasets", headers=auth, data={"name": "n"}),
        415,
        "unsupported_media_type",
    )
    assert stored_files(data_dir) == set()
    assert row_counts(app) == (0, 0, 0)


def post_chunks(app, auth, chunks: list[bytes]) -> tuple[int, dict, int]:
    """POSTs a multipart dataset body chunk by chunk straight to the ASGI app.

    TestClient would buffer the whole body before the app runs. After the last chunk the
    client disconnects. Returns the status, the JSON body and how many chunks were read.
    """
    import asyncio

    pulled = 0
    messages = []

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": True}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/datasets",
        "raw_path": b"/v1/datasets",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", auth["Authorization"].encode()),
            (b"content-type", b"multipart/form-data; boundary=b0undary"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], json.loads(body), pulled


MULTIPART_HEAD = (
    b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="d.npz"\r\n\r\n'
)


def test_the_size_limit_is_enforced_while_streaming(app, client, auth, data_dir):
    chunks = [MULTIPART_HEAD] + [b"\0" * (1024 * 1024)] * 64  # 64 MiB, the limit is 1 MiB
    status, body, pulled = post_chunks(app, auth, chunks)
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    assert pulled < 30  # stopped reading: the limit plus a bounded drain, not all 64 MiB
    assert stored_files(data_dir) == set()


def test_an_upload_cut_short_leaves_nothing_behind(app, client, auth, data_dir):
    status, body, _ = post_chunks(app, auth, [MULTIPART_HEAD, GOOD_NPZ[:100]])
    assert (status, body["error"]["code"]) == (400, "client_disconnected")
    assert stored_files(data_dir) == set()
    assert row_counts(app) == (0, 0, 0)


def test_model_upload_get_list_delete(client, auth, data_dir):
    created = upload_model(client, auth, name="mlp")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["entry_point"] == "build_model" and body["name"] == "mlp"
    assert body["source"] == MODEL_SOURCE.decode()
    assert client.get(f"/v1/models/{body['id']}", headers=auth).json()["source"] == body["source"]
    listed = client.get("/v1/models", headers=auth).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert listed["items"][0]["source"] is None
    assert client.delete(f"/v1/models/{body['id']}", headers=auth).status_code == 204
    assert stored_files(data_dir) == set()
    assert_error(client.get(f"/v1/models/{body['id']}", headers=auth), 404, "not_found")


@pytest.mark.parametrize(
    "content, filename, text",
    [
        (b"def build_model(hparams):\n    return (\n", "m.py", "line 2"),
        (b"def make_model(hparams):\n    pass\n", "m.py", "build_model"),
        (b"def build_model():\n    pass\n", "m.py", "no parameter"),
        (MODEL_SOURCE, "m.txt", ".py"),
    ],
)
def test_bad_model_sources_are_rejected(app, client, auth, data_dir, content, filename, text):
    error = assert_error(
        upload_model(client, auth, content, filename), 422, "invalid_model_source", text
    )
    if "line" in text:
        assert error["details"]["line"] == 2
    assert stored_files(data_dir) == set()
    assert row_counts(app) == (0, 0, 0)


def test_model_sources_have_their_own_size_limit(app, client, auth, data_dir, settings):
    big = b"#" * (settings.max_source_bytes + 1)
    assert_error(upload_model(client, auth, big), 413, "payload_too_large", "HORN_MAX_SOURCE_KB")
    assert stored_files(data_dir) == set()
    assert row_counts(app) == (0, 0, 0)


# Jobs --------------------------------------------------------------------------------------


def test_create_job_queues_it_and_dispatches_once(app, client, auth, resources, dispatcher):
    response = create_job(
        client, auth, resources, name="first", hyperparameters={"units": 16}, max_runtime_s=60
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["id"].startswith("job_")
    assert job["status"] == "queued" and job["queue"] == "cpu"
    assert job["progress"] == {"epoch": 0, "epochs": 2}
    assert job["hyperparameters"] == {"units": 16}
    assert job["training"]["epochs"] == 2 and job["training"]["batch_size"] == 32
    assert job["max_runtime_s"] == 60
    assert job["attempts"] == [] and job["metrics"] is None and job["error"] is None
    assert dispatcher.calls == [(job["id"], "cpu")]
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth).json() == job

    # A GPU job needs a live worker with enough GPUs; without one it is refused at once.
    assert_error(
        create_job(client, auth, resources, resources={"gpus": 1}),
        422,
        "no_worker_for_gpus",
        "no live worker takes GPU jobs",
    )
    with session_scope(app.state.sessions) as session:
        register_worker(session, "gpu-host:1", "gpu-host", ["gpu"], gpus=2)
        register_worker(session, "cpu-host:1", "cpu-host", ["cpu"], gpus=0)
    gpu = create_job(client, auth, resources, resources={"gpus": 2})
    assert gpu.status_code == 202, gpu.text
    assert dispatcher.calls[-1] == (gpu.json()["id"], "gpu")
    too_many = create_job(client, auth, resources, resources={"gpus": 3})
    assert_error(too_many, 422, "no_worker_for_gpus", "at most 2 GPUs each")
    assert dispatcher.calls[-1] == (gpu.json()["id"], "gpu")  # nothing more was sent


def test_invalid_job_requests_are_refused(app, client, auth, resources, settings, dispatcher):
    other = other_tenant_auth(app)
    foreign_model = upload_model(client, other).json()["id"]
    cases = [
        ({"model_id": "mdl_nope"}, 404, "not_found", "mdl_nope"),
        ({"model_id": foreign_model}, 404, "not_found", foreign_model),
        ({"dataset_id": "ds_nope"}, 404, "not_found", "ds_nope"),
        ({"training": {"epochs": 0}}, 422, "validation_error", "epochs"),
        ({"training": {"epoch": 3}}, 422, "validation_error", "epoch"),
        ({"max_runtime_s": settings.job_max_runtime_s + 1}, 422, "validation_error", "at most"),
        ({"resources": {"gpus": -1}}, 422, "validation_error", "gpus"),
    ]
    for body, status, code, text in cases:
        assert_error(create_job(client, auth, resources, **body), status, code, text)
    assert dispatcher.calls == []
    assert row_counts(app)[2] == 0


def test_idempotency_key_returns_the_same_job(client, auth, resources, dispatcher):
    first = create_job(client, auth, resources, headers={"Idempotency-Key": "abc"})
    again = create_job(client, auth, resources, headers={"Idempotency-Key": "abc"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = create_job(client, auth, resources, headers={"Idempotency-Key": "xyz"})
    assert other.json()["id"] != first.json()["id"]
    assert len(dispatcher.calls) == 2
    assert len(client.get("/v1/jobs", headers=auth).json()["items"]) == 2


def test_jobs_list_pages_and_filters(app, client, auth, resources):
    ids = [create_job(client, auth, resources).json()["id"] for _ in range(5)]
    set_status(app, ids[1], JobStatus.RUNNING)
    set_status(app, ids[3], JobStatus.SUCCEEDED)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/jobs", headers=auth, params=params).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == ids[::-1]  # newest first, each once
    running = client.get("/v1/jobs", headers=auth, params={"status": "running"}).json()
    assert [item["id"] for item in running["items"]] == [ids[1]]
    both = client.get("/v1/jobs", headers=auth, params={"status": "running,succeeded"}).json()
    assert {item["id"] for item in both["items"]} == {ids[1], ids[3]}
    assert_error(client.get("/v1/jobs?status=bogus", headers=auth), 422, "validation_error")
    assert_error(client.get("/v1/jobs?cursor=zzz", headers=auth), 400, "invalid_cursor")
    assert_error(client.get("/v1/jobs?limit=0", headers=auth), 422, "validation_error")


def test_unknown_and_foreign_jobs_answer_404(app, client, auth, resources):
    job_id = create_job(client, auth, resources).json()["id"]
    other = other_tenant_auth(app)
    for path in [
        "",
        "/metrics",
        "/logs",
        "/checkpoints",
        "/checkpoints/latest",
        "/events",
    ]:
        assert_error(client.get(f"/v1/jobs/{job_id}{path}", headers=other), 404, "not_found")
        assert_error(client.get(f"/v1/jobs/job_unknown{path}", headers=auth), 404, "not_found")
    assert_error(client.post(f"/v1/jobs/{job_id}/cancel", headers=other), 404, "not_found")
    assert_error(
        client.post(f"/v1/jobs/{job_id}/predict", headers=other, json={"instances": [[1]]}),
        404,
        "not_found",
    )
    assert client.get("/v1/jobs", headers=other).json()["items"] == []
    assert client.get("/v1/datasets", headers=other).json()["items"] == []


def test_cancel_is_idempotent_in_every_state(app, client, auth, resources):
    queued = create_job(client, auth, resources).json()["id"]
    cancelled = client.post(f"/v1/jobs/{queued}/cancel", headers=auth)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["finished_at"] is not None
    again = client.post(f"/v1/jobs/{queued}/cancel", headers=auth).json()
    assert again["status"] == "cancelled" and again["updated_at"] == cancelled.json()["updated_at"]
    statuses = [e.data["status"] for e in app.state.events.read(queued) if e.type == "status"]
    assert statuses == ["queued", "cancelled"]

    running = create_job(client, auth, resources).json()["id"]
    set_status(app, running, JobStatus.RUNNING)
    cancelling = client.post(f"/v1/jobs/{running}/cancel", headers=auth).json()
    assert (cancelling["status"], cancelling["cancel_requested"]) == ("cancelling", True)
    assert client.post(f"/v1/jobs/{running}/cancel", headers=auth).json()["status"] == "cancelling"

    done = create_job(client, auth, resources).json()["id"]
    set_status(app, done, JobStatus.SUCCEEDED, reason="completed")
    unchanged = client.post(f"/v1/jobs/{done}/cancel", headers=auth).json()
    assert (unchanged["status"], unchanged["cancel_requested"]) == ("succeeded", False)


def test_resources_in_use_cannot_be_deleted(app, client, auth, resources, data_dir):
    job_id = create_job(client, auth, resources).json()["id"]
    in_use = [("datasets", resources["dataset_id"]), ("models", resources["model_id"])]
    for kind, resource_id in in_use:
        error = assert_error(
            client.delete(f"/v1/{kind}/{resource_id}", headers=auth), 409, "in_use", job_id
        )
        assert error["details"]["jobs"] == [job_id]
    set_status(app, job_id, JobStatus.FAILED)
    assert client.delete(f"/v1/datasets/{resources['dataset_id']}", headers=auth).status_code == 204
    assert client.delete(f"/v1/models/{resources['model_id']}", headers=auth).status_code == 204
    job = client.get(f"/v1/jobs/{job_id}", headers=auth).json()
    assert (job["dataset_id"], job["model_id"]) == (None, None)
    assert stored_files(data_dir) == set()


def test_metrics_logs_and_checkpoints(app, client, auth, resources):
    job_id = create_job(client, auth, resources).json()["id"]
    with session_scope(app.state.sessions) as session:
        for epoch, loss in [(1, 0.9), (2, 0.5)]:
            session.add(Metric(job_id=job_id, epoch=epoch, step=10, values={"loss": loss + 0.1}))
            session.add(Metric(job_id=job_id, epoch=epoch, values={"loss": loss}))
    metrics = client.get(f"/v1/jobs/{job_id}/metrics", headers=auth).json()
    assert [(m["epoch"], m["step"], m["values"]["loss"]) for m in metrics["items"]] == [
        (1, None, 0.9),
        (2, None, 0.5),
    ]
    steps = client.get(f"/v1/jobs/{job_id}/metrics?steps=true&limit=3", headers=auth).json()
    assert len(steps["items"]) == 3 and steps["next"]
    rest = client.get(
        f"/v1/jobs/{job_id}/metrics", headers=auth, params={"steps": True, "cursor": steps["next"]}
    ).json()
    assert len(rest["items"]) == 1 and rest["next"] is None

    assert client.get(f"/v1/jobs/{job_id}/logs", headers=auth).text == ""
    log = app.state.artifacts.log_path(job_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"line {i}\n" for i in range(10)))
    logs = client.get(f"/v1/jobs/{job_id}/logs", headers=auth)
    assert logs.headers["content-type"].startswith("text/plain")
    assert logs.text.count("\n") == 10
    assert client.get(f"/v1/jobs/{job_id}/logs?tail=2", headers=auth).text == "line 8\nline 9\n"

    assert client.get(f"/v1/jobs/{job_id}/checkpoints", headers=auth).json()["items"] == []
    assert_error(
        client.get(f"/v1/jobs/{job_id}/checkpoints/latest", headers=auth), 409, "no_checkpoint"
    )
    store = app.state.artifacts
    with session_scope(app.state.sessions) as session:
        for epoch in (1, 2):
            path = store.checkpoint_path(job_id, epoch)
            store.write_bytes_atomic(path, f"weights {epoch}".encode())
            session.add(
                Checkpoint(
                    job_id=job_id,
                    epoch=epoch,
                    path=store.relative(path),
                    size_bytes=9,
                    metrics={"loss": 1.0 / epoch},
                )
            )
    listed = client.get(f"/v1/jobs/{job_id}/checkpoints", headers=auth).json()["items"]
    assert [(c["epoch"], c["size_bytes"], c["metrics"]) for c in listed] == [
        (1, 9, {"loss": 1.0}),
        (2, 9, {"loss": 0.5}),
    ]
    latest = client.get(f"/v1/jobs/{job_id}/checkpoints/latest", headers=auth)
    assert latest.content == b"weights 2"
    assert latest.headers["content-type"] == "application/octet-stream"
    assert f"{job_id}-epoch-0002.keras" in latest.headers["content-disposition"]
    assert client.get(f"/v1/jobs/{job_id}/checkpoints/1", headers=auth).content == b"weights 1"
    assert_error(client.get(f"/v1/jobs/{job_id}/checkpoints/7", headers=auth), 404, "not_found")
    assert_error(
        client.get(f"/v1/jobs/{job_id}/checkpoints/abc", headers=auth), 422, "validation_error"
    )
    # Python calls "²" a digit, and a 30-digit number overflows the database's integers.
    for bad in ("\u00b2", "9" * 30):
        assert_error(
            client.get(f"/v1/jobs/{job_id}/checkpoints/{bad}", headers=auth),
            422,
            "validation_error",
            repr(bad),
        )
        assert_error(
            client.get(f"/v1/jobs/{job_id}/metrics", headers=auth, params={"cursor": bad}),
            400,
            "invalid_cursor",
            repr(bad),
        )


def test_predict_needs_a_checkpoint_and_a_body_within_the_limit(client, auth, resources, settings):
    # The body's form is checked where it is parsed, in the serving process (see
    # tests/server/workers/test_predictor.py and the end-to-end test).
    job_id = create_job(client, auth, resources).json()["id"]
    url = f"/v1/jobs/{job_id}/predict"
    assert_error(
        client.post(url, headers=auth, json={"instances": [[1, 2, 3, 4]]}),
        409,
        "no_checkpoint",
        "no checkpoint yet",
    )
    too_large = b"[" * (int(settings.predict_max_body_mb * 1024 * 1024) + 1)
    assert_error(
        client.post(url, headers={**auth, "Content-Type": "application/json"}, content=too_large),
        413,
        "payload_too_large",
    )


# Events -------------------------------------------------------------------------------------


def finish_job(app, job_id: str, publish_terminal: bool = True) -> None:
    set_status(app, job_id, JobStatus.SUCCEEDED, reason="completed", finished_at=utcnow())
    if publish_terminal:
        app.state.events.publish(
            job_id, EventType.STATUS, {"status": "succeeded", "reason": "completed"}
        )


def test_event_stream_ends_with_done_and_resumes_without_repeats(app, client, auth, resources):
    job_id = create_job(client, auth, resources).json()["id"]
    bus = app.state.events
    bus.publish(job_id, EventType.STATUS, {"status": "running"})
    for epoch in (1, 2):
        bus.publish(job_id, EventType.METRIC, {"epoch": epoch, "step": None, "loss": 1 / epoch})
    bus.publish(job_id, EventType.LOG, {"line": "epoch 2 done", "stream": "stdout"})
    finish_job(app, job_id)

    response = client.get(f"/v1/jobs/{job_id}/events", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert [e["event"] for e in events] == [
        "status",
        "status",
        "metric",
        "metric",
        "log",
        "status",
        "done",
    ]
    assert [e["data"].get("status") for e in events if e["event"] == "status"] == [
        "queued",
        "running",
        "succeeded",
    ]
    assert events[-1]["data"]["status"] == "succeeded"
    ids = [e["id"] for e in events[:-1]]
    assert len(set(ids)) == len(ids)

    resumed = parse_sse(
        client.get(f"/v1/jobs/{job_id}/events", headers={**auth, "Last-Event-ID": ids[2]}).text
    )
    assert [e["id"] for e in resumed[:-1]] == ids[3:]
    assert resumed[-1]["event"] == "done"
    by_query = parse_sse(
        client.get(f"/v1/jobs/{job_id}/events?last_event_id={ids[-1]}", headers=auth).text
    )
    assert [e["event"] for e in by_query] == ["done"]
    assert_error(
        client.get(f"/v1/jobs/{job_id}/events", headers={**auth, "Last-Event-ID": "x"}),
        400,
        "invalid_event_id",
    )


def test_event_stream_follows_a_live_job(app, client, auth, resources):
    job_id = create_job(client, auth, resources).json()["id"]

    def train() -> None:
        time.sleep(0.5)
        app.state.events.publish(job_id, EventType.METRIC, {"epoch": 1, "loss": 0.3})
        time.sleep(0.3)
        finish_job(app, job_id)

    worker = threading.Thread(target=train)
    worker.start()
    events = parse_sse(client.get(f"/v1/jobs/{job_id}/events", headers=auth).text)
    worker.join()
    assert [e["event"] for e in events] == ["status", "metric", "status", "done"]


def test_event_stream_ends_for_a_finished_job_without_a_terminal_event(
    app, client, auth, resources
):
    job_id = create_job(client, auth, resources).json()["id"]
    set_status(
        app,
        job_id,
        JobStatus.FAILED,
        reason="worker_lost",
        message="The worker stopped answering.",
        finished_at=utcnow() - timedelta(seconds=30),
    )
    events = parse_sse(client.get(f"/v1/jobs/{job_id}/events", headers=auth).text)
    assert [e["event"] for e in events] == ["status", "done"]
    assert events[-1]["data"] == {
        "status": "failed",
        "reason": "worker_lost",
        "message": "The worker stopped answering.",
    }


# Other stores ------------------------------------------------------------------------------


def test_api_on_postgresql_and_redis(postgres_db, redis_url, data_dir, dispatcher, auth):
    from fastapi.testclient import TestClient

    from server.api.app import create_app
    from server.api.deps import get_job_dispatcher
    from server.config import Settings
    from server.store.events import RedisEventBus

    settings = Settings(
        data_dir=data_dir,
        database_url=postgres_db,
        redis_url=redis_url,
        bootstrap_api_key=auth["Authorization"].split()[1],
        predictor_warm_spares=0,
    )
    app = create_app(settings)
    app.dependency_overrides[get_job_dispatcher] = lambda: dispatcher
    with TestClient(app) as client:
        assert isinstance(app.state.events, RedisEventBus)
        assert client.get("/readyz").status_code == 200
        resources = {
            "model_id": upload_model(client, auth).json()["id"],
            "dataset_id": upload_dataset(client, auth).json()["id"],
        }
        ids = [create_job(client, auth, resources).json()["id"] for _ in range(3)]
        try:
            page = client.get("/v1/jobs?limit=2", headers=auth).json()
            rest = client.get(f"/v1/jobs?cursor={page['next']}", headers=auth).json()
            assert [j["id"] for j in page["items"] + rest["items"]] == ids[::-1]
            finish_job(app, ids[0])
            events = parse_sse(client.get(f"/v1/jobs/{ids[0]}/events", headers=auth).text)
            assert [e["event"] for e in events] == ["status", "status", "done"]
            assert "-" in events[0]["id"]  # a Redis stream id
            resumed = client.get(
                f"/v1/jobs/{ids[0]}/events", headers={**auth, "Last-Event-ID": events[0]["id"]}
            )
            assert [e["event"] for e in parse_sse(resumed.text)] == ["status", "done"]
        finally:
            app.state.events.client.delete(*(app.state.events.key(job_id) for job_id in ids))


def test_the_api_never_imports_tensorflow(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        import numpy as np, io
        from fastapi.testclient import TestClient
        from server.api.app import create_app
        from server.api.deps import get_job_dispatcher
        from server.config import Settings

        import server.workers.dispatch  # what the real dispatcher dependency imports
        settings = Settings(data_dir=sys.argv[1], bootstrap_api_key="k" * 24,
                            predictor_warm_spares=0)
        app = create_app(settings)
        app.dependency_overrides[get_job_dispatcher] = lambda: (lambda *args: None)
        auth = {"Authorization": "Bearer " + "k" * 24}
        buffer = io.BytesIO()
        np.savez(buffer, x=np.zeros((4, 2), "float32"), y=np.zeros(4))
        with TestClient(app) as client:
            model = client.post("/v1/models", headers=auth,
                                files={"file": ("m.py", b"def build_model(h):\\n    pass\\n")})
            data = client.post("/v1/datasets", headers=auth,
                               files={"file": ("d.npz", buffer.getvalue())})
            job = client.post("/v1/jobs", headers=auth, json={
                "model_id": model.json()["id"], "dataset_id": data.json()["id"]}).json()
            assert client.get("/v1/jobs/" + job["id"], headers=auth).status_code == 200
            client.post("/v1/jobs/" + job["id"] + "/cancel", headers=auth)
            assert client.get("/v1/jobs/" + job["id"] + "/events", headers=auth).status_code == 200
            client.post("/v1/jobs/" + job["id"] + "/predict", headers=auth,
                        json={"instances": [[0, 0]]})
        heavy = ("tensorflow", "kerascore", "keras")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
        print("LOADED", loaded)
        assert not loaded, loaded
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LOADED []" in result.stdout


def test_a_job_is_created_while_the_broker_and_redis_are_down(settings, auth):
    # Issue 12, item 5: the job was committed, then POST answered 500 and a retry duplicated it.
    from fastapi.testclient import TestClient

    from server.api.app import create_app
    from server.api.deps import get_job_dispatcher
    from server.store.db import Job, make_engine, session_factory, session_scope

    def broker_down(*_: object) -> None:
        raise ConnectionError("Error 111 connecting to the broker. Connection refused.")

    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    app = create_app(down)
    app.dependency_overrides[get_job_dispatcher] = lambda: broker_down
    with TestClient(app) as client:
        refs = {
            "model_id": upload_model(client, auth).json()["id"],
            "dataset_id": upload_dataset(client, auth).json()["id"],
        }
        response = create_job(client, auth, refs)
        assert response.status_code == 202, response.text
        job = response.json()
        assert "the broker could not be reached" in job["message"]
        assert client.get(f"/v1/jobs/{job['id']}", headers=auth).json()["status"] == "queued"
    with session_scope(session_factory(make_engine(down.database_url))) as session:
        assert session.get(Job, job["id"]).enqueued_at is None  # the reconciler sends it


def test_every_response_carries_the_security_headers(client, auth):
    # Issue 12, item 13: the page could be framed; no nosniff; CSP only in a <meta> tag.
    for path, headers in (("/", {}), ("/v1/jobs", auth), ("/v1/nothing", auth), ("/docs", {})):
        response = client.get(path, headers=headers)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "body",
    [
        '{"training": {"learning_rate": Infinity}}',
        '{"training": {"early_stopping": {"min_delta": NaN}}}',
        '{"hyperparameters": {"lr": Infinity}}',
        '{"hyperparameters": {"big": "' + "x" * 70_000 + '"}}',
        '{"hyperparameters": {"name": "a\\u0000b"}}',
        '{"name": "a\\u0000b"}',
        '{"training": {"metrics": [' + ", ".join(['"accuracy"'] * 21) + "]}}",
    ],
    ids=["inf-lr", "nan-delta", "inf-hparam", "huge-hparams", "nul-hparam", "nul-name", "metrics"],
)
def test_job_fields_that_cannot_be_meant_or_stored_answer_422(client, auth, resources, body):
    # Issue 12, item 12: Infinity was accepted; a 50 MiB hyperparameter string bloated every
    # GET /v1/jobs; NUL characters answered 500 on PostgreSQL.
    extra = json.loads(body)
    payload = json.dumps({**resources, **extra}, allow_nan=True)
    response = client.post(
        "/v1/jobs", headers={**auth, "Content-Type": "application/json"}, content=payload
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]


def test_a_large_log_is_streamed_by_range_and_tailed_from_its_end(app, client, auth, resources):
    # Issue 12, item 12: GET /logs read the whole log into memory (100 MB log -> +200 MB).
    from server.api.routes.jobs import last_lines

    job_id = create_job(client, auth, resources).json()["id"]
    log = app.state.artifacts.log_path(job_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        for i in range(200_000):
            handle.write(f"line {i:07d} " + "x" * 40 + "\n")
    part = client.get(f"/v1/jobs/{job_id}/logs", headers={**auth, "Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.content.startswith(b"line 0000000 ")
    whole = client.get(f"/v1/jobs/{job_id}/logs", headers=auth)
    assert whole.status_code == 200 and len(whole.content) == log.stat().st_size
    tail = client.get(f"/v1/jobs/{job_id}/logs?tail=3", headers=auth).text.splitlines()
    assert [line.split()[1] for line in tail] == ["0199997", "0199998", "0199999"]
    assert last_lines(log, 1, block=7).startswith("line 0199999 ")  # lines across blocks


def test_wrong_keys_from_one_address_are_limited_with_429(settings, auth):
    # Issue 12, item 13: 300 wrong keys were checked in 2.6 s.
    from fastapi.testclient import TestClient

    from server.api.app import create_app

    with TestClient(create_app(settings.model_copy(update={"auth_failures_per_minute": 5}))) as c:
        wrong = {"Authorization": "Bearer horn_wrong_key_0123456789abcdef"}
        statuses = [c.get("/v1/jobs", headers=wrong).status_code for _ in range(5)]
        assert statuses == [401] * 5
        limited = c.get("/v1/jobs", headers=wrong)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert "HORN_AUTH_FAILURES_PER_MINUTE" in limited.json()["error"]["message"]
        # While limited no key is checked from this address: a right guess would tell.
        assert c.get("/v1/jobs", headers=auth).status_code == 429
        sign_in = c.post(
            "/v1/session",
            json={"api_key": "horn_wrong_key_0123456789abcdef"},
            headers={"Origin": "http://testserver"},
        )
        assert sign_in.status_code == 429


def test_metrics_need_the_metrics_token_when_one_is_set(settings):
    # Issue 12, item 13: /metrics was open and counted every tenant's jobs.
    from fastapi.testclient import TestClient

    from server.api.app import create_app

    app = create_app(settings.model_copy(update={"metrics_token": "m" * 32}))
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        assert local.get("/metrics").status_code == 401
        wrong = local.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        right = local.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
        assert right.status_code == 200 and "horn_jobs" in right.text


def test_an_upload_that_fills_the_disk_answers_507_and_leaves_nothing(tmp_path, auth):
    # Issue 12, item 9: a large upload on a full disk answered a bare 500.
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounts a small tmpfs as the data dir: run as root")
    from fastapi.testclient import TestClient

    from server.api.app import create_app
    from server.config import Settings

    full = tmp_path / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(full)], check=True)
    try:
        settings = Settings(
            data_dir=full,
            database_url=f"sqlite:///{tmp_path / 'horn.db'}",
            broker_url="filesystem://",
            bootstrap_api_key=auth["Authorization"].split()[1],
            max_upload_mb=16,
            _env_file=None,
        )
        with TestClient(create_app(settings)) as client:
            big = io.BytesIO()
            np.savez(big, x=np.random.default_rng(0).random((40_000, 16)), y=np.zeros(40_000))
            response = client.post(
                "/v1/datasets", headers=auth, files={"file": ("d.npz", big.getvalue())}
            )
            assert response.status_code == 507, response.text
            error = response.json()["error"]
            assert error["code"] == "insufficient_storage" and str(full) in error["message"]
            assert not [p for p in full.rglob("*") if p.is_file() and p.name.endswith(".tmp")]
            assert client.get("/v1/datasets", headers=auth).json()["items"] == []
    finally:
        subprocess.run(["umount", "-l", str(full)], check=False)


def test_api_docs_load_nothing_from_a_cdn(client):
    # Issue 12, item 13: /docs loaded Swagger UI from a CDN.
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "https://" not in docs.text and "http://" not in docs.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/web/vendor/swagger-ui/{asset}" in docs.text
        assert client.get(f"/web/vendor/swagger-ui/{asset}").status_code == 200
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize(
    ("training", "metrics_by_epoch", "best_epoch"),
    [
        # No early stopping: val_loss where the checkpoints have it, lowest wins.
        (
            {},
            {
                1: {"loss": 0.5, "val_loss": 0.9},
                2: {"loss": 0.4, "val_loss": 0.7},
                3: {"loss": 0.3, "val_loss": 0.8},
            },
            2,
        ),  # fmt: skip
        # No validation: loss.
        ({}, {1: {"loss": 0.5}, 2: {"loss": 0.2}, 3: {"loss": 0.3}}, 2),
        # Early stopping's monitor, mode auto: accuracy is maximised; ties go to the earliest.
        (
            {"early_stopping": {"monitor": "val_accuracy", "mode": "auto"}},
            {1: {"val_accuracy": 0.7}, 2: {"val_accuracy": 0.9}, 3: {"val_accuracy": 0.9}},
            2,
        ),  # fmt: skip
        (
            {"early_stopping": {"monitor": "loss", "mode": "max"}},
            {1: {"loss": 0.5}, 2: {"loss": 0.6}, 3: {"loss": 0.55}},
            2,
        ),  # fmt: skip
    ],
)
def test_the_best_checkpoint_follows_the_monitored_metric(training, metrics_by_epoch, best_epoch):
    from server.api.routes.jobs import best_checkpoint

    job = Job(id="job_x", training=training)
    rows = [Checkpoint(epoch=epoch, metrics=values) for epoch, values in metrics_by_epoch.items()]
    assert best_checkpoint(job, rows).epoch == best_epoch


def test_best_without_the_monitored_metric_is_a_409():
    from server.api.errors import ApiError
    from server.api.routes.jobs import best_checkpoint

    job = Job(id="job_x", training={"early_stopping": {"monitor": "val_auc"}})
    with pytest.raises(ApiError) as refused:
        best_checkpoint(job, [Checkpoint(epoch=1, metrics={"loss": 0.1})])
    assert refused.value.status_code == 409 and "val_auc" in refused.value.message
