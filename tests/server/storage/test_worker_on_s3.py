"""A worker whose data dir starts empty and whose artifacts are in S3 (a real moto server):
it fetches a job's inputs and the checkpoint to resume from, keeps its lease while downloads
take long, puts each checkpoint before recording it, and never records one it could not put."""

from __future__ import annotations

import time

import pytest

from server.config import Settings
from server.store.artifacts import ArtifactStore
from server.store.db import (
    Checkpoint,
    Dataset,
    Job,
    ModelSource,
    Tenant,
    make_engine,
    session_factory,
    session_scope,
)
from server.store.events import DatabaseEventBus
from server.store.jobs import claim_job
from server.store.migrate import upgrade_database
from server.store.objects import S3ObjectStore
from server.workers import runner as runner_protocol
from server.workers.resources import WorkerResources
from server.workers.supervisor import JobSupervisor, PreparationError
from tests.server.storage.conftest import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    free_port,
)


def s3_objects(url: str, bucket: str) -> S3ObjectStore:
    return S3ObjectStore(
        f"s3://{bucket}/artifacts",
        endpoint_url=url,
        region=REGION,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
    )


class SlowObjects(S3ObjectStore):
    """S3 whose downloads take `delay_s` longer (a large dataset on a slow link)."""

    delay_s = 0.0

    def fetch(self, key, local_path):
        time.sleep(self.delay_s)
        super().fetch(key, local_path)


@pytest.fixture
def database(tmp_path):
    settings = Settings(data_dir=tmp_path / "db", lease_seconds=2, heartbeat_s=0.2)
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    yield settings, session_factory(engine)
    engine.dispose()


@pytest.fixture
def uploader(tmp_path, moto_server, bucket) -> ArtifactStore:
    """The API's side: puts files in the bucket from its own data dir."""
    return ArtifactStore(tmp_path / "api-data", s3_objects(moto_server.url, bucket))


def worker(tmp_path, database, objects) -> WorkerResources:
    """A worker with an empty data dir of its own."""
    settings, sessions = database
    return WorkerResources(
        settings=settings.model_copy(update={"data_dir": tmp_path / "worker-data"}),
        sessions=sessions,
        bus=DatabaseEventBus(sessions),
        artifacts=ArtifactStore(tmp_path / "worker-data", objects),
    )


def add_job(database, uploader: ArtifactStore, checkpoints: dict[int, bytes | None]) -> str:
    """A job whose dataset and source were uploaded, with checkpoint rows (None: no object)."""
    _, sessions = database
    with session_scope(sessions) as session:
        tenant = Tenant(name="t")
        session.add(tenant)
        session.flush()
        files = {}
        for kind, path in (
            ("dataset", uploader.dataset_path(tenant.id, "ds_1")),
            ("source", uploader.model_source_path(tenant.id, "mdl_1")),
        ):
            uploader.write_bytes_atomic(path, f"the {kind}".encode())
            uploader.put(path)
            uploader.evict(path)
            files[kind] = uploader.key(path)
        common = {"tenant_id": tenant.id, "filename": "f", "sha256": "0" * 64, "size_bytes": 1}
        session.add(Dataset(id="ds_1", name="d", format="npz", summary={}, path=files["dataset"],
                            **common))  # fmt: skip
        session.add(ModelSource(id="mdl_1", name="m", path=files["source"], **common))
        session.flush()
        job = Job(
            tenant_id=tenant.id, dataset_id="ds_1", model_id="mdl_1", epochs=5, max_runtime_s=60
        )
        session.add(job)
        session.flush()
        for epoch, content in checkpoints.items():
            path = uploader.checkpoint_path(job.id, epoch)
            if content is not None:
                uploader.write_bytes_atomic(path, content)
                uploader.put(path)
                uploader.evict(path)
            session.add(
                Checkpoint(job_id=job.id, epoch=epoch, path=uploader.key(path), size_bytes=1)
            )
        return job.id


def claimed(resources: WorkerResources, job_id: str) -> tuple[JobSupervisor, Job]:
    supervisor = JobSupervisor(resources, job_id)
    with session_scope(resources.sessions) as session:
        supervisor.lease = claim_job(session, job_id, supervisor.owner, 2)
        assert supervisor.lease is not None
        job = session.get(Job, job_id)
    supervisor.epochs = 5
    return supervisor, job


def test_inputs_and_the_newest_stored_checkpoint_are_fetched_into_an_empty_data_dir(
    tmp_path, database, uploader, moto_server, bucket
):
    # Epoch 3's row exists but its object does not (its put never finished): resume from 2.
    job_id = add_job(database, uploader, {1: b"epoch one", 2: b"epoch two", 3: None})
    resources = worker(tmp_path, database, s3_objects(moto_server.url, bucket))
    supervisor, job = claimed(resources, job_id)
    supervisor._prepare(job)
    binds = {bind.target: bind.source for bind in supervisor.binds}
    root = resources.artifacts.root
    assert binds[runner_protocol.BOX_DATASET] == root / "tenants" / job.tenant_id / "datasets" / (
        "ds_1.npz"
    )
    assert binds[runner_protocol.BOX_DATASET].read_bytes() == b"the dataset"
    assert binds[runner_protocol.BOX_SOURCE].read_bytes() == b"the source"
    assert binds[runner_protocol.BOX_RESUME].read_bytes() == b"epoch two"
    assert supervisor.epoch == 2


def test_a_dataset_missing_from_the_bucket_fails_the_job_missing_input(
    tmp_path, database, uploader, moto_server, bucket
):
    job_id = add_job(database, uploader, {})
    uploader.delete("tenants")
    resources = worker(tmp_path, database, s3_objects(moto_server.url, bucket))
    supervisor, job = claimed(resources, job_id)
    with pytest.raises(PreparationError, match="missing from the artifact store") as caught:
        supervisor._prepare(job)
    assert caught.value.reason == "missing_input"


def test_the_lease_is_kept_while_the_inputs_download(
    tmp_path, database, uploader, moto_server, bucket
):
    job_id = add_job(database, uploader, {})
    slow = SlowObjects(
        f"s3://{bucket}/artifacts",
        endpoint_url=moto_server.url,
        region=REGION,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
    )
    slow.delay_s = 1.5  # two inputs: 3 s, past the 2 s lease
    resources = worker(tmp_path, database, slow)
    supervisor, job = claimed(resources, job_id)
    with supervisor._lease_renewed():
        supervisor._prepare(job)
    assert supervisor.kill_reason is None
    other = JobSupervisor(resources, job_id)
    with session_scope(resources.sessions) as session:
        assert claim_job(session, job_id, other.owner, 2) is None  # still this worker's


def test_a_checkpoint_is_put_before_it_is_recorded(
    tmp_path, database, uploader, moto_server, bucket, object_keys
):
    job_id = add_job(database, uploader, {})
    resources = worker(tmp_path, database, s3_objects(moto_server.url, bucket))
    supervisor, _ = claimed(resources, job_id)
    work = supervisor.work_dir / "checkpoints"
    work.mkdir(parents=True)
    (work / "epoch-0001.keras").write_bytes(b"weights after epoch 1")
    supervisor._dispatch_report(
        {"type": "checkpoint", "epoch": 1, "path": "checkpoints/epoch-0001.keras"}
    )
    key = f"artifacts/jobs/{job_id}/checkpoints/epoch-0001.keras"
    assert key in object_keys()
    body = moto_server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == b"weights after epoch 1"
    with session_scope(resources.sessions) as session:
        (row,) = session.query(Checkpoint).filter_by(job_id=job_id).all()
        assert (row.epoch, row.path) == (1, f"jobs/{job_id}/checkpoints/epoch-0001.keras")


def test_a_checkpoint_that_cannot_be_put_is_not_recorded(tmp_path, database, uploader):
    job_id = add_job(database, uploader, {})
    unreachable = s3_objects(f"http://127.0.0.1:{free_port()}", "bucket")
    resources = worker(tmp_path, database, unreachable)
    supervisor, _ = claimed(resources, job_id)
    supervisor.log.open(tmp_path / "runner.log")
    work = supervisor.work_dir / "checkpoints"
    work.mkdir(parents=True)
    (work / "epoch-0001.keras").write_bytes(b"weights")
    supervisor._dispatch_report(
        {"type": "checkpoint", "epoch": 1, "path": "checkpoints/epoch-0001.keras"}
    )
    supervisor.log.close()
    assert supervisor.kill_reason is None  # training goes on
    with session_scope(resources.sessions) as session:
        assert session.query(Checkpoint).filter_by(job_id=job_id).count() == 0
    log = (tmp_path / "runner.log").read_text()
    assert "Checkpoint of epoch 1 not stored" in log and "HORN_S3_ENDPOINT_URL" in log
