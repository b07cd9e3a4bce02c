"""The HTTP API with its artifacts in S3 (a real moto server): uploads land in the bucket and
leave nothing in the API's data dir, reads stream from the bucket, deletes remove the objects,
missing objects answer the same 404s as missing files, and a bucket that cannot be used stops
the start (a clear message) or answers 503, never a 500."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest

from server.store.db import Checkpoint, session_scope
from tests.server.conftest import TEST_API_KEY, RecordingDispatcher
from tests.server.storage.conftest import start_moto

MODEL_SOURCE = b"""import kerascore as keras


def build_model(hparams):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
"""


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


GOOD_NPZ = npz_bytes(x=np.zeros((20, 4), "float32"), y=np.arange(20) % 3)
AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}


@pytest.fixture
def s3_app(s3_settings):
    from server.api.app import create_app
    from server.api.deps import get_job_dispatcher

    app = create_app(s3_settings)
    app.dependency_overrides[get_job_dispatcher] = RecordingDispatcher
    return app


@pytest.fixture
def s3_client(s3_app):
    from fastapi.testclient import TestClient

    with TestClient(s3_app) as client:
        yield client


def local_artifacts(data_dir) -> list[str]:
    """Files of the API's data dir that are artifacts (not the database or the broker)."""
    return sorted(
        path.relative_to(data_dir).as_posix()
        for path in data_dir.rglob("*")
        if path.is_file() and path.relative_to(data_dir).parts[0] in ("tenants", "jobs")
    )


def new_job(client) -> str:
    model = client.post("/v1/models", headers=AUTH, files={"file": ("m.py", MODEL_SOURCE)})
    dataset = client.post("/v1/datasets", headers=AUTH, files={"file": ("d.npz", GOOD_NPZ)})
    assert model.status_code == 201 and dataset.status_code == 201, (model.text, dataset.text)
    job = client.post(
        "/v1/jobs",
        headers=AUTH,
        json={"model_id": model.json()["id"], "dataset_id": dataset.json()["id"]},
    )
    assert job.status_code == 202, job.text
    return job.json()["id"]


def test_uploads_land_in_the_bucket_and_reads_stream_from_it(
    s3_client, s3_settings, moto_server, bucket, object_keys
):
    model = s3_client.post("/v1/models", headers=AUTH, files={"file": ("m.py", MODEL_SOURCE)})
    assert model.status_code == 201, model.text
    csv = b"a,b,c,d,label\n" + b"".join(b"%d,1,2,3,%d\n" % (i, i % 2) for i in range(10))
    dataset = s3_client.post("/v1/datasets", headers=AUTH, files={"file": ("d.csv", csv)})
    assert dataset.status_code == 201, dataset.text
    keys = object_keys()
    assert [key.rsplit("/", 1)[-1] for key in keys] == sorted(
        [f"{dataset.json()['id']}.npz", f"{model.json()['id']}.py"]
    )
    assert all(key.startswith("artifacts/tenants/") for key in keys)
    assert local_artifacts(s3_settings.data_dir) == []  # the API keeps no copy
    # The stored dataset is the converted .npz, readable from the bucket.
    dataset_key = next(key for key in keys if key.endswith(".npz"))
    body = moto_server.client().get_object(Bucket=bucket, Key=dataset_key)["Body"].read()
    with np.load(io.BytesIO(body)) as arrays:
        assert arrays["x"].shape == (10, 4)

    got = s3_client.get(f"/v1/models/{model.json()['id']}", headers=AUTH)
    assert got.status_code == 200 and got.json()["source"] == MODEL_SOURCE.decode()


def test_checkpoints_and_logs_are_served_from_the_bucket(s3_app, s3_client, moto_server, bucket):
    job_id = new_job(s3_client)
    s3 = moto_server.client()
    payload = bytes(range(256)) * 4096  # 1 MiB
    with session_scope(s3_app.state.sessions) as session:
        for epoch in (1, 2):
            key = f"jobs/{job_id}/checkpoints/epoch-{epoch:04d}.keras"
            s3.put_object(Bucket=bucket, Key=f"artifacts/{key}", Body=payload[epoch:])
            session.add(
                Checkpoint(job_id=job_id, epoch=epoch, path=key, size_bytes=len(payload) - epoch)
            )
    latest = s3_client.get(f"/v1/jobs/{job_id}/checkpoints/latest", headers=AUTH)
    assert latest.status_code == 200
    assert latest.content == payload[2:]
    assert latest.headers["content-type"] == "application/octet-stream"
    assert latest.headers["content-length"] == str(len(payload) - 2)
    assert f'filename="{job_id}-epoch-0002.keras"' in latest.headers["content-disposition"]
    part = s3_client.get(
        f"/v1/jobs/{job_id}/checkpoints/1", headers={**AUTH, "Range": "bytes=10-19"}
    )
    assert part.status_code == 206 and part.content == payload[11:21]
    assert part.headers["content-range"] == f"bytes 10-19/{len(payload) - 1}"
    suffix = s3_client.get(
        f"/v1/jobs/{job_id}/checkpoints/1", headers={**AUTH, "Range": "bytes=-5"}
    )
    assert suffix.status_code == 206 and suffix.content == payload[-5:]
    beyond = s3_client.get(
        f"/v1/jobs/{job_id}/checkpoints/1", headers={**AUTH, "Range": "bytes=99999999-"}
    )
    assert beyond.status_code == 416

    assert s3_client.get(f"/v1/jobs/{job_id}/logs", headers=AUTH).text == ""
    log = "".join(f"line {i:05d}\n" for i in range(20_000)).encode()
    s3.put_object(Bucket=bucket, Key=f"artifacts/jobs/{job_id}/runner.log", Body=log)
    whole = s3_client.get(f"/v1/jobs/{job_id}/logs", headers=AUTH)
    assert whole.status_code == 200 and whole.content == log
    assert whole.headers["content-type"].startswith("text/plain")
    tail = s3_client.get(f"/v1/jobs/{job_id}/logs?tail=3", headers=AUTH).text
    assert tail == "line 19997\nline 19998\nline 19999\n"
    head = s3_client.get(f"/v1/jobs/{job_id}/logs", headers={**AUTH, "Range": "bytes=0-10"})
    assert head.status_code == 206 and head.content == b"line 00000\n"


def test_missing_objects_answer_404_as_missing_files_do(s3_app, s3_client, moto_server, bucket):
    job_id = new_job(s3_client)
    with session_scope(s3_app.state.sessions) as session:
        key = f"jobs/{job_id}/checkpoints/epoch-0001.keras"
        session.add(Checkpoint(job_id=job_id, epoch=1, path=key, size_bytes=3))
    missing = s3_client.get(f"/v1/jobs/{job_id}/checkpoints/1", headers=AUTH)
    assert missing.status_code == 404
    assert "missing from the artifact store" in missing.json()["error"]["message"]

    model = s3_client.post("/v1/models", headers=AUTH, files={"file": ("m.py", MODEL_SOURCE)})
    model_id = model.json()["id"]
    s3 = moto_server.client()
    for item in s3.list_objects_v2(Bucket=bucket, Prefix="artifacts/tenants/")["Contents"]:
        if item["Key"].endswith(f"{model_id}.py"):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    gone = s3_client.get(f"/v1/models/{model_id}", headers=AUTH)
    assert gone.status_code == 404, gone.text
    assert "missing from the artifact store" in gone.json()["error"]["message"]


def test_deleting_a_dataset_or_model_deletes_its_object(s3_client, object_keys):
    dataset = s3_client.post("/v1/datasets", headers=AUTH, files={"file": ("d.npz", GOOD_NPZ)})
    model = s3_client.post("/v1/models", headers=AUTH, files={"file": ("m.py", MODEL_SOURCE)})
    assert len(object_keys()) == 2
    dataset_id, model_id = dataset.json()["id"], model.json()["id"]
    assert s3_client.delete(f"/v1/datasets/{dataset_id}", headers=AUTH).status_code == 204
    assert [key.rsplit("/", 1)[-1] for key in object_keys()] == [f"{model_id}.py"]
    assert s3_client.delete(f"/v1/models/{model_id}", headers=AUTH).status_code == 204
    assert object_keys() == []


def test_a_rejected_upload_leaves_nothing_in_the_bucket(s3_client, object_keys):
    bad = s3_client.post("/v1/datasets", headers=AUTH, files={"file": ("d.npz", b"not a zip")})
    assert bad.status_code == 422
    too_large = s3_client.post(
        "/v1/datasets", headers=AUTH, files={"file": ("d.npz", b"\0" * (2 * 1024 * 1024))}
    )
    assert too_large.status_code == 413
    assert object_keys() == []


def test_the_api_does_not_start_on_a_bucket_that_does_not_exist(s3_settings, caplog):
    from fastapi.testclient import TestClient

    from server.api.app import create_app
    from server.store.objects import ArtifactStoreUnavailableError

    settings = s3_settings.model_copy(update={"artifacts_url": "s3://no-such-bucket/x"})
    with (
        caplog.at_level(logging.ERROR, logger="horn.api"),
        pytest.raises(ArtifactStoreUnavailableError, match="HORN_ARTIFACTS_URL"),
        TestClient(create_app(settings)),
    ):
        pass
    assert "The API cannot start" in caplog.text and "no-such-bucket" in caplog.text


def test_a_bucket_that_goes_away_answers_503_never_500(tmp_path, s3_settings):
    from fastapi.testclient import TestClient

    from server.api.app import create_app

    server = start_moto(tmp_path / "moto-gone.log")
    try:
        server.client().create_bucket(Bucket="going-away")
        settings = s3_settings.model_copy(
            update={"artifacts_url": "s3://going-away", "s3_endpoint_url": server.url}
        )
        with TestClient(create_app(settings)) as client:
            model = client.post("/v1/models", headers=AUTH, files={"file": ("m.py", MODEL_SOURCE)})
            assert model.status_code == 201
            server.stop()
            upload = client.post("/v1/models", headers=AUTH, files={"file": ("m.py", MODEL_SOURCE)})
            assert upload.status_code == 503, upload.text
            error = upload.json()["error"]
            assert error["code"] == "artifact_store_unavailable"
            assert "HORN_S3_ENDPOINT_URL" in error["message"]
            assert upload.headers["retry-after"]
            read = client.get(f"/v1/models/{model.json()['id']}", headers=AUTH)
            assert read.status_code == 503, read.text
            assert local_artifacts(settings.data_dir) == []  # the failed upload left nothing
            listed = client.get("/v1/models", headers=AUTH).json()["items"]
            assert [item["id"] for item in listed] == [model.json()["id"]]
    finally:
        server.stop()
