"""The artifact store on S3 (a real moto server process): round trips of datasets, model
sources, checkpoints and logs between data dirs that share nothing but the bucket, freshness of
cached copies, deletion, and the errors of a bucket that cannot be used."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from server.store.artifacts import ArtifactStore
from server.store.objects import (
    ArtifactMissingError,
    ArtifactStoreUnavailableError,
    LocalObjectStore,
    S3ObjectStore,
)
from tests.server.storage.conftest import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, start_moto


def s3_store(root, moto_server, bucket, prefix="artifacts") -> ArtifactStore:
    objects = S3ObjectStore(
        f"s3://{bucket}/{prefix}",
        endpoint_url=moto_server.url,
        region=REGION,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
    )
    store = ArtifactStore(root, objects)
    store.objects.check()
    return store


@pytest.fixture
def hosts(tmp_path, moto_server, bucket):
    """Two stores on the same bucket with different, empty data dirs (two hosts)."""
    return (
        s3_store(tmp_path / "host-a", moto_server, bucket),
        s3_store(tmp_path / "host-b", moto_server, bucket),
    )


def test_a_dataset_put_on_one_host_is_fetched_on_another(hosts, tmp_path, object_keys):
    api, worker = hosts
    dest = api.dataset_path("ten_1", "ds_1")
    np.savez(tmp_path / "digits.npz", x=np.arange(12.0).reshape(3, 4), y=np.arange(3))
    api.write_bytes_atomic(dest, (tmp_path / "digits.npz").read_bytes())
    api.put(dest)
    api.evict(dest)
    assert not dest.exists()
    assert object_keys() == ["artifacts/tenants/ten_1/datasets/ds_1.npz"]

    local = worker.fetch("tenants/ten_1/datasets/ds_1.npz")
    assert local == worker.root / "tenants/ten_1/datasets/ds_1.npz"
    with np.load(local) as data:
        np.testing.assert_array_equal(data["x"], np.arange(12.0).reshape(3, 4))
    assert local.stat().st_mode & 0o777 == 0o644  # the box's user reads it through a bind
    assert not list(local.parent.glob(".*.tmp"))


def test_a_source_streams_and_a_fetched_copy_is_reused_until_the_object_changes(hosts):
    api, worker = hosts
    dest = api.model_source_path("ten_1", "mdl_1")
    api.write_bytes_atomic(dest, b"def build_model(hparams):\n    return None\n")
    api.put(dest)
    key = api.key(dest)
    assert key == "tenants/ten_1/models/mdl_1.py"
    assert b"".join(worker.open_chunks(key)) == dest.read_bytes()

    local = worker.fetch(key)
    inode = local.stat().st_ino
    assert worker.fetch(key).stat().st_ino == inode  # current: not downloaded again

    time.sleep(1.1)  # S3 keeps last-modified to the second
    api.write_bytes_atomic(dest, b"def build_model(hparams):\n    return 'v2'\n")
    api.put(dest)
    refreshed = worker.fetch(key)
    assert refreshed.read_bytes().endswith(b"'v2'\n")
    assert refreshed.stat().st_ino != inode


def test_a_recheck_window_skips_the_bucket_but_never_a_missing_copy(hosts):
    api, serving = hosts
    dest = api.checkpoint_path("job_1", 1)
    api.write_bytes_atomic(dest, b"checkpoint one")
    api.put(dest)
    key = api.key(dest)
    local = serving.fetch(key, recheck_s=60)
    api.objects.delete(key)  # gone from the bucket
    assert serving.fetch(key, recheck_s=60) == local  # within the window: not asked
    with pytest.raises(ArtifactMissingError):
        serving.fetch(key)  # no window: asked
    local.unlink()
    with pytest.raises(ArtifactMissingError):
        serving.fetch(key, recheck_s=60)


def test_checkpoints_and_logs_stream_by_range(hosts):
    worker, api = hosts
    checkpoint = worker.checkpoint_path("job_1", 3)
    payload = os.urandom(3 * 1024 * 1024 + 17)
    worker.write_bytes_atomic(checkpoint, payload)
    worker.put(checkpoint)
    log = worker.log_path("job_1")
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(1000)))
    worker.put(log)

    assert api.info("jobs/job_1/checkpoints/epoch-0003.keras").size_bytes == len(payload)
    chunks = list(api.open_chunks("jobs/job_1/checkpoints/epoch-0003.keras"))
    assert b"".join(chunks) == payload
    assert max(len(chunk) for chunk in chunks) <= 1024 * 1024
    middle = b"".join(api.open_chunks("jobs/job_1/checkpoints/epoch-0003.keras", 1000, 1999))
    assert middle == payload[1000:2000]
    tail = b"".join(api.open_chunks("jobs/job_1/runner.log", log.stat().st_size - 9))
    assert tail == b"line 999\n"
    assert api.info("jobs/job_1/runner.log").size_bytes == log.stat().st_size
    assert api.info("jobs/job_2/runner.log") is None


def test_a_large_checkpoint_goes_up_in_parts(hosts, moto_server, bucket):
    worker, api = hosts
    checkpoint = worker.checkpoint_path("job_big", 1)
    payload = os.urandom(40 * 1024 * 1024)
    worker.write_bytes_atomic(checkpoint, payload)
    worker.put(checkpoint)
    head = moto_server.client().head_object(
        Bucket=bucket, Key="artifacts/jobs/job_big/checkpoints/epoch-0001.keras"
    )
    assert head["ContentLength"] == len(payload)
    assert "-" in head["ETag"]  # a multipart upload's ETag: <md5 of the parts>-<parts>
    assert api.fetch(worker.key(checkpoint)).read_bytes() == payload


def test_deleting_removes_the_object_the_folder_and_the_local_copy(hosts, object_keys):
    worker, api = hosts
    for epoch in (1, 2):
        path = worker.checkpoint_path("job_1", epoch)
        worker.write_bytes_atomic(path, b"weights")
        worker.put(path)
    worker.log_path("job_1").write_bytes(b"log\n")
    worker.put(worker.log_path("job_1"))
    other = worker.checkpoint_path("job_10", 1)  # a key that starts like job_1's folder
    worker.write_bytes_atomic(other, b"weights")
    worker.put(other)
    dataset = worker.dataset_path("ten_1", "ds_1")
    worker.write_bytes_atomic(dataset, b"npz")
    worker.put(dataset)

    api.delete("jobs/job_1")
    api.delete("tenants/ten_1/datasets/ds_1.npz")
    assert object_keys() == ["artifacts/jobs/job_10/checkpoints/epoch-0001.keras"]
    worker.delete(dataset)
    assert not dataset.exists()
    with pytest.raises(ArtifactMissingError, match="ds_1.npz"):
        api.fetch("tenants/ten_1/datasets/ds_1.npz")
    with pytest.raises(FileNotFoundError):
        api.open_chunks("jobs/job_1/runner.log")


def test_keys_never_leave_the_prefix(hosts):
    api, _ = hosts
    with pytest.raises(ValueError, match="Expected a path inside"):
        api.fetch("../outside.npz")
    with pytest.raises(ValueError, match="Expected a path inside"):
        api.open_chunks("tenants/../../x")


def test_without_a_prefix_keys_are_the_relative_paths(tmp_path, moto_server, bucket, object_keys):
    store = s3_store(tmp_path / "data", moto_server, bucket, prefix="")
    path = store.model_source_path("ten_1", "mdl_1")
    store.write_bytes_atomic(path, b"x = 1\n")
    store.put(path)
    assert object_keys() == ["tenants/ten_1/models/mdl_1.py"]


def test_the_local_store_is_the_data_dir_itself(tmp_path):
    store = ArtifactStore(tmp_path / "data")
    assert isinstance(store.objects, LocalObjectStore) and not store.is_remote
    path = store.checkpoint_path("job_1", 1)
    store.write_bytes_atomic(path, b"0123456789")
    store.put(path)
    store.evict(path)  # the only copy: kept
    assert store.fetch("jobs/job_1/checkpoints/epoch-0001.keras") == path
    assert b"".join(store.open_chunks(path, 2, 4)) == b"234"
    assert store.info(path).size_bytes == 10
    store.delete("jobs/job_1")
    assert not path.exists() and store.info(path) is None
    with pytest.raises(ArtifactMissingError):
        store.fetch(path)


def test_a_bucket_that_does_not_exist_names_the_setting(tmp_path, moto_server):
    from server.config import Settings

    settings = Settings(
        data_dir=tmp_path / "data",
        artifacts_url="s3://no-such-bucket-here/prefix",
        s3_endpoint_url=moto_server.url,
        s3_region=REGION,
        s3_access_key_id=ACCESS_KEY_ID,
        s3_secret_access_key=SECRET_ACCESS_KEY,
    )
    with pytest.raises(ArtifactStoreUnavailableError, match="HORN_ARTIFACTS_URL") as caught:
        ArtifactStore.from_settings(settings)
    assert "no-such-bucket-here" in str(caught.value)


def test_an_unreachable_endpoint_names_the_setting(tmp_path):
    from server.config import Settings
    from tests.server.storage.conftest import free_port

    settings = Settings(
        data_dir=tmp_path / "data",
        artifacts_url="s3://bucket",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_access_key_id=ACCESS_KEY_ID,
        s3_secret_access_key=SECRET_ACCESS_KEY,
        s3_region=REGION,
    )
    started = time.monotonic()
    with pytest.raises(ArtifactStoreUnavailableError, match="HORN_S3_ENDPOINT_URL"):
        ArtifactStore.from_settings(settings)
    assert time.monotonic() - started < 30


def test_refused_credentials_name_the_settings(tmp_path):
    # A moto server that checks credentials: only keys it issued are accepted.
    server = start_moto(tmp_path / "moto-auth.log", INITIAL_NO_AUTH_ACTION_COUNT="0")
    try:
        from server.config import Settings

        settings = Settings(
            data_dir=tmp_path / "data",
            artifacts_url="s3://bucket/prefix",
            s3_endpoint_url=server.url,
            s3_region=REGION,
            s3_access_key_id="AKIAWRONGWRONGWRONG1",
            s3_secret_access_key="wrong-secret",
        )
        with pytest.raises(ArtifactStoreUnavailableError) as caught:
            ArtifactStore.from_settings(settings)
        message = str(caught.value)
        assert "HORN_S3_ACCESS_KEY_ID" in message and "HORN_S3_SECRET_ACCESS_KEY" in message
    finally:
        server.stop()


def test_a_url_that_is_not_s3_is_refused_by_the_settings():
    from pydantic import ValidationError

    from server.config import Settings

    with pytest.raises(ValidationError, match="HORN_ARTIFACTS_URL"):
        Settings(artifacts_url="/mnt/shared")
    with pytest.raises(ValidationError, match="HORN_ARTIFACTS_URL"):
        Settings(artifacts_url="s3://")
