"""Warm runners, for real: spare runner boxes in a pool, jobs handed to them, the sandbox kept."""

from __future__ import annotations

import io
import json
import os
import signal
import time

import numpy as np
import pytest

from server.config import Settings
from server.store.artifacts import ArtifactStore
from server.store.db import (
    Dataset,
    Job,
    JobStatus,
    ModelSource,
    Tenant,
    make_engine,
    session_factory,
    session_scope,
)
from server.store.events import DatabaseEventBus
from server.store.migrate import upgrade_database
from server.workers.resources import WorkerResources
from server.workers.supervisor import JobSupervisor
from server.workers.warm import SPARES_FOLDER, WarmRunnerPool, start_process_pool

BUILD_MODEL = """
import kerascore as keras

def build_model(hparams):
    model = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
"""

# Runs at the model's import, in the box: what it can see, reach and write, as one JSON line.
PROBE = """
import json, os, socket, sys

def attempt(action):
    try:
        action()
        return "allowed"
    except OSError as error:
        return f"refused: {error.strerror}"

def append(path):
    with open(path, "ab") as file:
        file.write(b"poison")

def network():
    socket.create_connection(("127.0.0.1", 9), timeout=2).close()

skipped = {"/proc", "/sys", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"}
skipped |= {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
found = []
for folder, subfolders, files in os.walk("/"):
    subfolders[:] = [n for n in subfolders if os.path.join(folder, n).rstrip("/") not in skipped]
    found += [os.path.join(folder, n) for n in subfolders + files if n in WANTED]
print("PROBE " + json.dumps({
    "uid": os.getuid(),
    "job": sorted(os.listdir("/job")),
    "work": sorted(os.listdir("/job/work")),
    "found": found,
    "data_dir_visible": os.path.exists(DATA_DIR),
    "network": attempt(network),
    "write_source": attempt(lambda: append("/job/model.py")),
    "write_dataset": attempt(lambda: append("/job/dataset.npz")),
    "write_spec": attempt(lambda: append("/job/job.json")),
    "create_in_job": attempt(lambda: open("/job/planted.py", "x").close()),
    "chmod_source": attempt(lambda: os.chmod("/job/model.py", 0o777)),
    "write_work": attempt(lambda: append("/job/work/marker-" + MARK)),
}), flush=True)
"""


# One data dir and one pool for the module: the spare a test's job leaves behind warms up while
# the next test starts, instead of every test waiting for a pool of its own to import TensorFlow.
@pytest.fixture(scope="module")
def resources(tmp_path_factory) -> WorkerResources:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("warm") / "data",
        lease_seconds=30,
        worker_warm_runners=1,
        _env_file=None,
    )
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    yield WorkerResources(
        settings=settings,
        sessions=sessions,
        bus=DatabaseEventBus(sessions),
        artifacts=ArtifactStore(settings.data_dir),
    )
    engine.dispose()


@pytest.fixture(scope="module")
def pool(resources):
    pool = WarmRunnerPool(resources.settings)
    pool.start()
    yield pool
    pool.stop()


def add_job(resources: WorkerResources, source: str, training: dict | None = None) -> str:
    """A queued two-epoch job with a real dataset and model source in the data dir."""
    artifacts = resources.artifacts
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(buffer, x=rng.random((64, 8), dtype=np.float32), y=rng.integers(0, 3, 64))
    with session_scope(resources.sessions) as session:
        tenant = session.query(Tenant).filter_by(name="t").one_or_none()
        if tenant is None:
            tenant = Tenant(name="t")
            session.add(tenant)
            session.flush()
        dataset = Dataset(name="d", filename="d.npz", format="npz", sha256="0" * 64,
                          size_bytes=1, summary={}, path="", tenant_id=tenant.id)  # fmt: skip
        model = ModelSource(name="m", filename="m.py", sha256="0" * 64, size_bytes=1, path="",
                            tenant_id=tenant.id)  # fmt: skip
        session.add_all([dataset, model])
        session.flush()
        dataset_path = artifacts.dataset_path(tenant.id, dataset.id)
        source_path = artifacts.model_source_path(tenant.id, model.id)
        artifacts.write_bytes_atomic(dataset_path, buffer.getvalue())
        artifacts.write_bytes_atomic(source_path, source.encode())
        dataset.path = artifacts.key(dataset_path)
        model.path = artifacts.key(source_path)
        job = Job(tenant_id=tenant.id, dataset_id=dataset.id, model_id=model.id, epochs=2,
                  max_runtime_s=120, training=training or {"batch_size": 16})  # fmt: skip
        session.add(job)
    return job.id


def probing_source(resources: WorkerResources, mark: str, wanted: set[str]) -> str:
    header = (
        f"DATA_DIR = {str(resources.settings.data_dir)!r}\nMARK = {mark!r}\nWANTED = {wanted!r}\n"
    )
    return header + PROBE + BUILD_MODEL


def probe_of(resources: WorkerResources, job_id: str) -> dict:
    log = resources.artifacts.log_path(job_id).read_text()
    (line,) = [line for line in log.splitlines() if "PROBE " in line]
    return json.loads(line.split("PROBE ", 1)[1])


def attempt_line(resources: WorkerResources, job_id: str) -> str:
    log = resources.artifacts.log_path(job_id).read_text()
    return next(line for line in log.splitlines() if "--- attempt" in line)


def wait_for_spare(pool: WarmRunnerPool, other_than: set = frozenset()) -> object:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        spares = [spare for spare in pool.live_spares() if spare.folder not in other_than]
        if spares:
            return spares[0]
        time.sleep(0.1)
    raise AssertionError("no warm runner came up within 60 s")


def run_job(resources: WorkerResources, job_id: str, pool: WarmRunnerPool | None) -> str:
    return JobSupervisor(resources, job_id, warm_runners=pool).run()


# First in the module: no pool is started yet, so no spare imports TensorFlow beside it.
def test_without_warm_runners_an_attempt_starts_a_fresh_runner(resources, monkeypatch):
    monkeypatch.setenv("HORN_WORKER_WARM_RUNNERS", "0")
    settings = Settings(data_dir=resources.settings.data_dir, _env_file=None)
    assert settings.worker_warm_runners == 0
    assert start_process_pool(settings) is None
    job_id = add_job(resources, BUILD_MODEL)
    assert run_job(resources, job_id, None) == JobStatus.SUCCEEDED
    assert "fresh runner" in attempt_line(resources, job_id)


def test_a_job_on_a_warm_runner_succeeds_and_its_log_says_so(resources, pool):
    spare = wait_for_spare(pool)
    job_id = add_job(resources, BUILD_MODEL)
    assert run_job(resources, job_id, pool) == JobStatus.SUCCEEDED
    with session_scope(resources.sessions) as session:
        job = session.get(Job, job_id)
        assert (job.reason, job.epoch) == ("completed", 2)
    assert "warm runner" in attempt_line(resources, job_id)
    checkpoints = resources.artifacts.checkpoint_dir(job_id)
    assert sorted(path.name for path in checkpoints.iterdir()) == [
        "epoch-0001.keras",
        "epoch-0002.keras",
    ]
    # The spare's folder (its links to the inputs, its work folder) is gone with the attempt.
    assert not spare.folder.exists()
    assert not list(resources.artifacts.job_dir(job_id).glob("work-*"))
    # The pool started another spare for the next job.
    assert wait_for_spare(pool).folder != spare.folder


def test_a_warm_runner_keeps_the_sandbox(resources, pool):
    victim = resources.artifacts.checkpoint_dir("job_victim")
    victim.mkdir(parents=True)
    (victim / "epoch-0001.keras").write_bytes(b"another tenant's model")
    wait_for_spare(pool)
    wanted = {"job_victim", "epoch-0001.keras", "horn.db", SPARES_FOLDER}
    source = probing_source(resources, "one", wanted)
    job_id = add_job(resources, source)
    assert run_job(resources, job_id, pool) == JobStatus.SUCCEEDED
    assert "warm runner" in attempt_line(resources, job_id)
    seen = probe_of(resources, job_id)
    assert seen["job"] == ["dataset.npz", "job.json", "model.py", "work"]
    assert seen["found"] == [] and not seen["data_dir_visible"]
    assert seen["network"].startswith("refused")
    for what in ("write_source", "write_dataset", "write_spec", "create_in_job", "chmod_source"):
        assert seen[what].startswith("refused"), (what, seen[what])
    assert seen["write_work"] == "allowed"
    if os.geteuid() == 0:
        assert seen["uid"] != 0
    assert (victim / "epoch-0001.keras").read_bytes() == b"another tenant's model"
    with session_scope(resources.sessions) as session:
        source_key = session.get(ModelSource, session.get(Job, job_id).model_id).path
    assert resources.artifacts.resolve(source_key).read_text() == source


def test_a_spare_killed_from_outside_is_replaced_and_the_next_job_runs(resources, pool):
    killed = wait_for_spare(pool)
    os.kill(killed.box.pid, signal.SIGKILL)
    replacement = wait_for_spare(pool, other_than={killed.folder})
    deadline = time.monotonic() + 10
    while killed.folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not killed.folder.exists()
    job_id = add_job(resources, BUILD_MODEL)
    assert run_job(resources, job_id, pool) == JobStatus.SUCCEEDED
    assert "warm runner" in attempt_line(resources, job_id)
    assert not replacement.folder.exists()  # it was the one that ran the job


def test_two_jobs_in_a_row_each_get_a_box_of_their_own(resources, pool):
    wait_for_spare(pool)
    first = add_job(resources, probing_source(resources, "first", set()))
    assert run_job(resources, first, pool) == JobStatus.SUCCEEDED
    second = add_job(resources, probing_source(resources, "second", {"marker-first"}))
    assert run_job(resources, second, pool) == JobStatus.SUCCEEDED
    for job_id in (first, second):
        assert "warm runner" in attempt_line(resources, job_id)
    seen_first, seen_second = probe_of(resources, first), probe_of(resources, second)
    # Each work folder holds only what its own runner put there before the source ran.
    runner_files = {".keras", "model_source.py"}
    assert set(seen_first["work"]) <= runner_files and set(seen_second["work"]) <= runner_files
    assert seen_second["found"] == []  # nothing job 1 wrote is anywhere in job 2's box
    if os.geteuid() == 0:
        # The second spare started while the first was alive: the uid locks keep them apart.
        assert seen_first["uid"] != seen_second["uid"]


def test_a_seeded_job_trains_the_same_on_a_warm_runner_as_on_a_fresh_one(resources, pool):
    wait_for_spare(pool)
    losses = {}
    for path, warm_runners in (("warm runner", pool), ("fresh runner", None)):
        job_id = add_job(resources, BUILD_MODEL, training={"batch_size": 16, "seed": 7})
        assert run_job(resources, job_id, warm_runners) == JobStatus.SUCCEEDED
        assert path in attempt_line(resources, job_id)
        with session_scope(resources.sessions) as session:
            losses[path] = session.get(Job, job_id).metrics["loss"]
    assert losses["warm runner"] == losses["fresh runner"]
