"""Sweeps and fair share without workers: the searchers, ASHA's decisions on a synthetic metric
sequence, the claim order, the running-job limit, and the HTTP API (real app and database; the
dispatcher records messages instead of sending them — the end-to-end tests run real workers).
"""

from __future__ import annotations

import io
import itertools
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import select

from server.store import sweeps as sweep_store
from server.store.db import (
    Dataset,
    Job,
    JobStatus,
    Metric,
    ModelSource,
    Sweep,
    SweepStatus,
    Tenant,
    make_engine,
    session_factory,
    session_scope,
    utcnow,
)
from server.store.fairshare import QueuedJob, claim_order, claim_within_limit
from server.store.jobs import update_job_if
from server.store.migrate import upgrade_database

SPACE = {
    "units": {"type": "choice", "values": [8, 16, 32]},
    "layers": {"type": "int", "low": 1, "high": 5, "step": 2},
    "lr": {"type": "loguniform", "low": 1e-4, "high": 1e-1},
    "dropout": {"type": "uniform", "low": 0.1, "high": 0.4},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'horn.db'}"
        upgrade_database(url)
    else:
        url = request.getfixturevalue("postgres_db")
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


def add_tenant(session, name: str, max_running_jobs: int | None = None) -> tuple[str, str, str]:
    """A tenant with a model and a dataset; returns their ids."""
    tenant = Tenant(name=name, max_running_jobs=max_running_jobs)
    session.add(tenant)
    session.flush()
    model = ModelSource(
        tenant_id=tenant.id, name="m", filename="m.py", sha256="0" * 64, size_bytes=1, path="m.py"
    )
    dataset = Dataset(
        tenant_id=tenant.id,
        name="d",
        filename="d.npz",
        format="npz",
        sha256="1" * 64,
        size_bytes=2,
        summary={},
        path="d.npz",
    )
    session.add_all([model, dataset])
    session.flush()
    return tenant.id, model.id, dataset.id


def add_sweep(session, searcher: dict, space=SPACE, epochs=9, **values) -> Sweep:
    tenant_id, model_id, dataset_id = add_tenant(session, f"t-{utcnow().timestamp()}")
    sweep = Sweep(
        tenant_id=tenant_id,
        model_id=model_id,
        dataset_id=dataset_id,
        status=SweepStatus.RUNNING,
        hyperparameters={"fixed": 1},
        training={"epochs": epochs, "batch_size": 32},
        resources={"gpus": 0},
        max_runtime_s=60,
        space=sweep_store.check_space(space),
        searcher={"seed": 0, "min_epochs": 1, "reduction_factor": 3, **searcher},
        metric="val_accuracy",
        mode="max",
        max_trials=values.pop("max_trials", 16),
        max_concurrent_trials=values.pop("max_concurrent_trials", 16),
        **values,
    )
    session.add(sweep)
    session.flush()
    return sweep


# --- the searchers ---------------------------------------------------------------------------


def test_grid_enumerates_exactly_its_space():
    space = sweep_store.check_space(
        {
            "units": {"type": "choice", "values": [8, 16]},
            "layers": {"type": "int", "low": 1, "high": 5, "step": 2},
            "training.batch_size": {"type": "choice", "values": [32, 64]},
        }
    )
    assert sweep_store.grid_size(space) == 12
    sweep = Sweep(space=space, searcher={"name": "grid"})
    trials = [sweep_store.trial_values(sweep, index) for index in range(12)]
    expected = [
        {"units": units, "layers": layers, "training.batch_size": batch}
        for units, layers, batch in itertools.product([8, 16], [1, 3, 5], [32, 64])
    ]
    assert trials == expected  # every combination once, the last name varying fastest
    hyperparameters, training = sweep_store.split_values(trials[1])
    assert hyperparameters == {"units": 8, "layers": 1} and training == {"batch_size": 64}
    with pytest.raises(ValueError, match=r"\['lr'\] are continuous"):
        sweep_store.grid_size(sweep_store.check_space({"lr": SPACE["lr"]}))


def test_random_respects_bounds_and_seed():
    space = sweep_store.check_space(SPACE)
    draws = [sweep_store.sample(space, seed=7, index=index) for index in range(300)]
    assert draws == [sweep_store.sample(space, seed=7, index=index) for index in range(300)]
    assert draws != [sweep_store.sample(space, seed=8, index=index) for index in range(300)]
    assert {draw["units"] for draw in draws} == {8, 16, 32}
    assert {draw["layers"] for draw in draws} == {1, 3, 5}
    assert all(1e-4 <= draw["lr"] <= 1e-1 for draw in draws)
    assert all(0.1 <= draw["dropout"] <= 0.4 for draw in draws)
    # loguniform: about as many draws in each decade
    decades = np.histogram([math.log10(draw["lr"]) for draw in draws], bins=[-4, -3, -2, -1])[0]
    assert decades.min() > 60, decades
    # trial i's values do not depend on how many trials were drawn before
    assert sweep_store.sample(space, 7, 250) == draws[250]


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({}, "at least one parameter"),
        ({"u": {"type": "normal"}}, "`type` is one of"),
        ({"u": {"type": "choice", "values": []}}, "non-empty list"),
        ({"u": {"type": "uniform", "low": 2, "high": 1}}, "low <= high"),
        ({"u": {"type": "loguniform", "low": 0, "high": 1}}, "`low` must be > 0"),
        ({"u": {"type": "int", "low": 1.5, "high": 4}}, "must be integers"),
        ({"training.": {"type": "choice", "values": [1]}}, "names no training setting"),
    ],
)
def test_a_bad_space_names_the_parameter(space, message):
    with pytest.raises(ValueError, match=message):
        sweep_store.check_space(space)


# --- ASHA ------------------------------------------------------------------------------------


def test_asha_rungs_and_cutoffs_follow_ray_tune():
    assert sweep_store.rungs({"name": "asha", "min_epochs": 1, "reduction_factor": 3}, 9) == [1, 3]
    assert sweep_store.rungs({"name": "asha", "min_epochs": 2, "reduction_factor": 2}, 20) == [
        2,
        4,
        8,
        16,
    ]
    assert sweep_store.rungs({"name": "random"}, 9) == []
    # np.nanpercentile(recorded, (1 - 1/rf) * 100), as Ray Tune's ASHAScheduler
    earlier = [0.2, 0.9, 0.5, 0.7]
    assert sweep_store.asha_cutoff(earlier, 3, "max") == pytest.approx(
        np.percentile(earlier, 100 * (1 - 1 / 3))
    )
    assert sweep_store.asha_cutoff(earlier, 3, "min") == pytest.approx(
        np.percentile(earlier, 100 / 3)
    )
    assert sweep_store.asha_cutoff([], 3, "max") is None


def test_asha_stops_the_trials_it_should_on_a_synthetic_sequence(sessions):
    # Eight trials report val_accuracy at rung 1 in this order; each is compared with those
    # before it: it goes on only in their top third.
    sequence = [0.50, 0.40, 0.60, 0.55, 0.30, 0.65, 0.58, 0.45]
    with session_scope(sessions) as session:
        sweep = add_sweep(session, {"name": "asha"}, max_trials=8, max_concurrent_trials=8)
        sweep_store.advance_sweep(session, sweep.id)
        jobs = session.scalars(
            select(Job).where(Job.sweep_id == sweep.id).order_by(Job.trial_index)
        )
        job_ids = [job.id for job in jobs]
    decisions = []
    for job_id, value in zip(job_ids, sequence, strict=True):
        with session_scope(sessions) as session:
            session.add(Metric(job_id=job_id, epoch=1, values={"val_accuracy": value}))
        with session_scope(sessions) as session:
            decisions.append(sweep_store.asha_decision(session, job_id, 1))
    expected_stop = []
    for index, value in enumerate(sequence):
        earlier = sequence[:index]
        cutoff = np.percentile(earlier, 100 * (1 - 1 / 3)) if earlier else None
        expected_stop.append(cutoff is not None and value < cutoff)
    assert [decision.stop for decision in decisions] == expected_stop
    assert expected_stop == [False, True, False, False, True, False, False, True]
    assert "cutoff 0.5" in decisions[1].message()
    # Epoch 2 is no rung (rungs 1, 3 below 9 epochs): no decision.
    with session_scope(sessions) as session:
        session.add(Metric(job_id=job_ids[0], epoch=2, values={"val_accuracy": 0.1}))
    with session_scope(sessions) as session:
        assert sweep_store.asha_decision(session, job_ids[0], 2) is None


# --- the sweep's progress --------------------------------------------------------------------


def test_advance_creates_trials_up_to_the_concurrency_then_ends_the_sweep(sessions):
    with session_scope(sessions) as session:
        sweep = add_sweep(session, {"name": "random"}, max_trials=5, max_concurrent_trials=2)
        sweep_id = sweep.id
        first = sweep_store.advance_sweep(session, sweep_id)
    assert len(first.created) == 2 and first.ended is None
    with session_scope(sessions) as session:
        assert sweep_store.advance_sweep(session, sweep_id).created == []  # both still queued
        trials = session.scalars(select(Job).where(Job.sweep_id == sweep_id)).all()
        assert all(trial.enqueued_at is None for trial in trials)  # unsent: the caller sends
        trial = trials[0]
        assert trial.hyperparameters["fixed"] == 1
        assert trial.hyperparameters["units"] in (8, 16, 32)
        assert trial.epochs == 9 and trial.name.endswith("#0")
    for _ in range(3):
        with session_scope(sessions) as session:
            for job in session.scalars(
                select(Job).where(Job.sweep_id == sweep_id, Job.status == JobStatus.QUEUED)
            ):
                update_job_if(session, job.id, [JobStatus.QUEUED], status=JobStatus.SUCCEEDED)
                session.add(Metric(job_id=job.id, epoch=1, values={"val_accuracy": 0.5}))
        with session_scope(sessions) as session:
            sweep_store.advance_sweep(session, sweep_id)
    with session_scope(sessions) as session:
        sweep = session.get(Sweep, sweep_id)
        assert sweep.status == SweepStatus.SUCCEEDED, sweep.message
        indexes = session.scalars(
            select(Job.trial_index).where(Job.sweep_id == sweep_id).order_by(Job.trial_index)
        ).all()
        assert indexes == [0, 1, 2, 3, 4]
        assert sweep.message == (
            "All 5 trials ended: 5 completed, 0 stopped early, 0 failed, 0 cancelled. "
            "Best: trial 0 with val_accuracy 0.5."
        )


# --- fair share ------------------------------------------------------------------------------


def test_claim_order_is_round_robin_between_tenants_and_by_priority_within_one():
    start = datetime(2026, 12, 6, tzinfo=timezone.utc)
    trials = [QueuedJob(f"a{i}", "A", 0, start + timedelta(seconds=i)) for i in range(20)]
    single = QueuedJob("b0", "B", 0, start + timedelta(seconds=30))
    urgent = QueuedJob("a-urgent", "A", 5, start + timedelta(seconds=40))
    served = {"A": start + timedelta(seconds=50)}  # A was served last
    order = [job.id for job in claim_order([*trials, single, urgent], {"A": 1}, {}, served)]
    # B runs nothing and A runs one: B's single job goes first, then A's urgent one.
    assert order[:3] == ["b0", "a-urgent", "a0"]
    assert order[3:] == [f"a{i}" for i in range(1, 20)]
    # Two tenants with as many running jobs alternate, the least recently served first.
    c = [QueuedJob(f"c{i}", "C", 0, start + timedelta(seconds=i)) for i in range(3)]
    d = [QueuedJob(f"d{i}", "D", 0, start + timedelta(seconds=10 + i)) for i in range(3)]
    served = {"C": start + timedelta(seconds=99), "D": start}
    assert [job.id for job in claim_order(c + d, {}, {}, served)] == [
        "d0",
        "c0",
        "d1",
        "c1",
        "d2",
        "c2",
    ]
    # A tenant at its limit gets nothing; the others go on.
    assert [job.id for job in claim_order(c + d, {"C": 2}, {"C": 2}, {})] == ["d0", "d1", "d2"]


def test_a_tenant_at_its_limit_cannot_claim_even_when_workers_race(sessions):
    with session_scope(sessions) as session:
        tenant_id, model_id, dataset_id = add_tenant(session, "limited", max_running_jobs=2)
        job_ids = []
        for _ in range(4):
            job = Job(
                tenant_id=tenant_id, model_id=model_id, dataset_id=dataset_id, max_runtime_s=60
            )
            session.add(job)
            session.flush()
            job_ids.append(job.id)
    leases = []
    for index, job_id in enumerate(job_ids):
        with session_scope(sessions) as session:
            leases.append(claim_within_limit(session, job_id, f"w{index}", 30, default_limit=0))
    assert [lease is not None for lease in leases] == [True, True, False, False]
    # One ends: the next claim fits again; the setting applies where no override is set.
    with session_scope(sessions) as session:
        update_job_if(session, job_ids[0], [JobStatus.STARTING], status=JobStatus.SUCCEEDED)
        assert claim_within_limit(session, job_ids[2], "w", 30, default_limit=0) is not None
        session.get(Tenant, tenant_id).max_running_jobs = None
    with session_scope(sessions) as session:
        assert claim_within_limit(session, job_ids[3], "w", 30, default_limit=2) is None
        assert claim_within_limit(session, job_ids[3], "w", 30, default_limit=3) is not None


# --- the HTTP API ----------------------------------------------------------------------------


def npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=np.random.rand(12, 4).astype("float32"), y=np.arange(12) % 3)
    return buffer.getvalue()


MODEL_SOURCE = b"""import kerascore as keras
def build_model(hparams):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
"""


@pytest.fixture
def uploaded(client, auth):
    dataset = client.post("/v1/datasets", headers=auth, files={"file": ("d.npz", npz_bytes())})
    model = client.post("/v1/models", headers=auth, files={"file": ("m.py", MODEL_SOURCE)})
    return {"model_id": model.json()["id"], "dataset_id": dataset.json()["id"]}


def test_create_get_list_and_cancel_a_sweep(client, auth, uploaded, dispatcher):
    body = {
        **uploaded,
        "name": "grid-1",
        "space": {
            "units": {"type": "choice", "values": [8, 16, 32]},
            "training.batch_size": {"type": "choice", "values": [4, 8]},
        },
        "searcher": {"name": "grid"},
        "metric": "val_accuracy",
        "mode": "max",
        "max_concurrent_trials": 2,
        "training": {"epochs": 2, "validation_split": 0.25},
        "priority": 3,
    }
    response = client.post("/v1/sweeps", headers=auth, json=body)
    assert response.status_code == 201, response.text
    sweep = response.json()
    assert sweep["max_trials"] == 6 and sweep["status"] == "running"
    assert [trial["hyperparameters"] for trial in sweep["trials"]] == [
        {"units": 8, "training.batch_size": 4},
        {"units": 8, "training.batch_size": 8},
    ]
    assert sweep["counts"]["queued"] == 2 and sweep["best_trial"] is None
    assert [call[0] for call in dispatcher.calls] == [t["job_id"] for t in sweep["trials"]]
    job = client.get(f"/v1/jobs/{sweep['trials'][1]['job_id']}", headers=auth).json()
    assert job["sweep_id"] == sweep["id"] and job["trial_index"] == 1 and job["priority"] == 3
    assert job["hyperparameters"] == {"units": 8} and job["training"]["batch_size"] == 8
    assert job["waiting"]["reason"] == "no_worker"  # no worker registered in this test
    listed = client.get(f"/v1/jobs?sweep_id={sweep['id']}", headers=auth).json()["items"]
    assert {item["id"] for item in listed} == {t["job_id"] for t in sweep["trials"]}
    sweeps = client.get("/v1/sweeps", headers=auth).json()["items"]
    assert [item["id"] for item in sweeps] == [sweep["id"]] and sweeps[0]["trials"] is None

    in_use = client.delete(f"/v1/datasets/{uploaded['dataset_id']}", headers=auth)
    assert in_use.status_code == 409 and f"running sweeps: ['{sweep['id']}']" in in_use.text

    cancelled = client.post(f"/v1/sweeps/{sweep['id']}/cancel", headers=auth).json()
    assert cancelled["status"] == "cancelled" and cancelled["counts"]["cancelled"] == 2
    again = client.post(f"/v1/sweeps/{sweep['id']}/cancel", headers=auth)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    other = client.get("/v1/sweeps/swp_nope", headers=auth)
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"searcher": {"name": "grid"}, "space": SPACE}, "continuous"),
        ({"searcher": {"name": "random"}}, "needs `max_trials`"),
        (
            {"searcher": {"name": "asha", "min_epochs": 3}, "max_trials": 4},
            "there is none. Raise training.epochs",
        ),
        (
            {"space": {"training.batch_size": {"type": "choice", "values": [0]}}, "max_trials": 1},
            "the value 0 is not a valid batch_size",
        ),
        (
            {"space": {"training.colour": {"type": "choice", "values": [1]}}, "max_trials": 1},
            "names no training setting",
        ),
        ({"space": {"lr": {"type": "loguniform", "low": -1, "high": 1}}}, "`low` must be > 0"),
    ],
)
def test_a_bad_sweep_is_a_422_that_says_what_to_change(client, auth, uploaded, change, message):
    body = {
        **uploaded,
        "space": {"units": {"type": "choice", "values": [8]}},
        "training": {"epochs": 3},
        **change,
    }
    response = client.post("/v1/sweeps", headers=auth, json=body)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert client.get("/v1/sweeps", headers=auth).json()["items"] == []  # nothing half-made


def test_a_queued_job_says_its_place_in_line(client, auth, uploaded, app):
    from server.store.workers import register_worker

    with session_scope(app.state.sessions) as session:
        register_worker(session, "host:1", "host", ["cpu"], 0)
    ids = [
        client.post("/v1/jobs", headers=auth, json={**uploaded, "priority": priority}).json()["id"]
        for priority in (0, 0, 9)
    ]
    waiting = [client.get(f"/v1/jobs/{job_id}", headers=auth).json()["waiting"] for job_id in ids]
    assert [w["position"] for w in waiting] == [2, 3, 1]  # priority 9 first, then by age
    assert waiting[2]["reason"] == "queued" and "next in line" in waiting[2]["message"]
    with session_scope(app.state.sessions) as session:
        session.scalar(select(Tenant).where(Tenant.name == "default")).max_running_jobs = 1
        update_job_if(session, ids[2], [JobStatus.QUEUED], status=JobStatus.RUNNING)
    waiting = client.get(f"/v1/jobs/{ids[0]}", headers=auth).json()["waiting"]
    assert waiting["reason"] == "tenant_limit" and waiting["position"] is None
    assert "its limit" in waiting["message"]
    running = client.get(f"/v1/jobs/{ids[2]}", headers=auth).json()
    assert running["waiting"] is None


def test_the_reconciler_gives_a_sweep_the_trials_a_dead_worker_did_not_create(tmp_path):
    # A worker died between a trial's end and creating the next one: the next reconciler pass
    # (on any worker) creates and sends it, then ends the sweep once every trial ended.
    from server.config import Settings
    from server.store.artifacts import ArtifactStore
    from server.store.events import DatabaseEventBus
    from server.workers.reconciler import reconcile_jobs
    from server.workers.resources import WorkerResources

    settings = Settings(data_dir=tmp_path, _env_file=None)
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    resources = WorkerResources(
        settings, sessions, DatabaseEventBus(sessions), ArtifactStore(tmp_path)
    )
    with session_scope(sessions) as session:
        sweep_id = add_sweep(session, {"name": "random"}, max_trials=2, max_concurrent_trials=1).id
        sweep_store.advance_sweep(session, sweep_id)
    sent: list[tuple[str, str]] = []
    assert len(reconcile_jobs(resources, lambda job_id, queue: sent.append((job_id, queue)))) == 1
    with session_scope(sessions) as session:  # the trial ran and ended; its worker died then
        (first,) = session.scalars(select(Job).where(Job.sweep_id == sweep_id)).all()
        first.status = JobStatus.FAILED
    reconcile_jobs(resources, lambda job_id, queue: sent.append((job_id, queue)))
    with session_scope(sessions) as session:
        second = session.scalar(select(Job).where(Job.sweep_id == sweep_id, Job.trial_index == 1))
        assert second is not None and sent[-1] == (second.id, "cpu")
        second.status = JobStatus.SUCCEEDED
    reconcile_jobs(resources, lambda *_: None)
    with session_scope(sessions) as session:
        sweep = session.get(Sweep, sweep_id)
        assert (sweep.status, sweep.reason) == (SweepStatus.SUCCEEDED, "completed")
        assert sweep.message.startswith(
            "All 2 trials ended: 1 completed, 0 stopped early, 1 failed"
        )
    engine.dispose()


def test_horn_tenants_limit_and_list(tmp_path, monkeypatch, request):
    import json

    from typer.testing import CliRunner

    from server.cli import app
    from server.config import get_settings

    for name in [name for name in __import__("os").environ if name.startswith("HORN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HORN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HORN_TENANT_MAX_RUNNING_JOBS", "3")
    request.addfinalizer(get_settings.cache_clear)  # later tests read their own settings
    runner = CliRunner()

    def horn(*args: str):
        return runner.invoke(app, list(args))

    assert horn("keys", "create", "--tenant", "acme").exit_code == 0
    limited = horn("tenants", "limit", "acme", "--max-running-jobs", "2")
    assert limited.exit_code == 0 and "may run 2 jobs at once" in limited.stdout
    one = horn("tenants", "limit", "acme", "--max-running-jobs", "1")
    assert "may run 1 job at once" in one.stdout
    listed = json.loads(horn("tenants", "list", "--json").stdout)
    assert listed == [
        {"name": "acme", "running": 0, "queued": 0, "max_running_jobs": 1, "limit_from": "tenant"}
    ]
    back = horn("tenants", "limit", "acme", "--max-running-jobs", "default")
    assert "follows HORN_TENANT_MAX_RUNNING_JOBS (3)" in back.stdout
    assert json.loads(horn("tenants", "list", "--json").stdout)[0]["max_running_jobs"] == 3
    wrong = horn("tenants", "limit", "acme", "--max-running-jobs", "-1")
    assert wrong.exit_code == 2 and "Received: '-1'" in wrong.output
    missing = horn("tenants", "limit", "nobody", "--max-running-jobs", "1")
    assert missing.exit_code == 5 and "No tenant named 'nobody'. Tenants: acme." in missing.output
