"""The worker side of a training job: claim, supervise the runner, relay, finish; reconcile.

`train_job` is the Celery task. It claims the job with an atomic conditional UPDATE and a
lease (`lease_owner`, `lease_expires_at`), so a second delivery of the same message does
nothing while the lease is alive. It then starts the sandboxed runner
(`python -m server.workers.runner`), renews the lease from a heartbeat thread (which also
watches for cancellation and the job's time limit), and relays the runner's JSON lines into
the database and the event bus. The reconciler re-enqueues jobs whose lease expired (their
worker died) and jobs that stayed queued with no claim.

This module never imports TensorFlow; user code runs only in the runner.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import json
import logging
import math
import os
import queue
import re
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from celery import shared_task
from celery.exceptions import Reject
from sqlalchemy import and_, delete, or_, select, update

from server.config import get_settings
from server.store.artifacts import ArtifactStore
from server.store.db import (
    Attempt,
    Checkpoint,
    Dataset,
    Job,
    JobStatus,
    Metric,
    ModelSource,
    make_engine,
    session_factory,
    session_scope,
    utcnow,
)
from server.store.events import EventType, make_event_bus
from server.workers import runner as runner_protocol
from server.workers.celery_app import TRAIN_TASK_NAME
from server.workers.sandbox import (
    LIMIT_SETTINGS,
    Bind,
    BoxLimits,
    BoxProcess,
    check_sandbox,
    start_box,
)

logger = logging.getLogger("horn.worker")

# Live log events per attempt: a burst, then a steady rate; every line still goes to the log file.
LOG_EVENT_BURST = 200
LOG_EVENTS_PER_S = 20.0
LOG_LINE_MAX_CHARS = 4000
# Longer lines from the runner are split: user code can print without newlines.
MAX_LINE_BYTES = 64 * 1024
# A delivery whose claim could not reach the database waits this long, then goes back.
CLAIM_RETRY_DELAY_S = 2.0
_UNCLAIMED = object()
# What TensorFlow prints at start (absl log lines, CUDA probing): not the cause of a crash.
TENSORFLOW_LOG_LINE = re.compile(
    r"^([IWEF]\d{4} |WARNING: All log messages before absl|.*(cudart_stub|cuda_|cuInit|oneDNN))"
)
# Less free space than this on the host when a runner hits ENOSPC: the disk is full, not the
# box's quota.
HOST_DISK_FULL_BYTES = 64 * 1024 * 1024
# How often the heartbeat thread looks for a cancel request (lease renewals are rarer).
CANCEL_POLL_S = 0.5
FAILURE_REASONS = {
    "setup": "runner_error",
    "dataset": "dataset_error",
    "import": "model_error",
    "build_model": "model_error",
    "compile": "compile_error",
    "fit": "training_error",
}


@dataclasses.dataclass
class WorkerResources:
    """Per-process handles: database sessions, event bus, artifact store."""

    settings: Any
    sessions: Any
    bus: Any
    artifacts: ArtifactStore


_resources: dict[int, WorkerResources] = {}
_resources_lock = threading.Lock()


def configure_worker(settings: Any) -> dict[str, Any]:
    """Builds one box in the worker's main process, before it forks its pool.

    Args:
        settings: the service settings.

    Returns:
        What boxes get on this host (`mode`, `uid`, `cgroup`).

    Raises:
        SandboxUnavailableError: if this host cannot build a box; the message names the fix.
    """
    return check_sandbox(settings)


def worker_resources() -> WorkerResources:
    """Returns this process's resources, created on first use after each fork."""
    pid = os.getpid()
    with _resources_lock:
        resources = _resources.get(pid)
        if resources is None:
            settings = get_settings()
            sessions = session_factory(make_engine(settings.database_url))
            resources = _resources[pid] = WorkerResources(
                settings=settings,
                sessions=sessions,
                bus=make_event_bus(settings, sessions),
                artifacts=ArtifactStore(settings.data_dir),
            )
        return resources


@shared_task(name=TRAIN_TASK_NAME, acks_late=True, ignore_result=True)
def train_job(job_id: str) -> str:
    """Trains one job: claims it, runs the sandboxed runner, records the outcome.

    Args:
        job_id: the job's id.

    Returns:
        The attempt's outcome (`succeeded`, `failed`, `cancelled`, `lease_lost`) or
        `not_claimed` when another delivery holds the job or it is no longer queued.

    Raises:
        Reject: (requeue) when the database cannot be reached to claim the job: the message
            goes back to the broker instead of being acknowledged and lost.
    """
    supervisor = JobSupervisor(worker_resources(), job_id)
    try:
        supervisor.claim_or_raise()
    except sqlalchemy.exc.OperationalError as error:
        logger.warning(
            "Job %s: the database is unreachable; the message goes back: %s",
            job_id,
            str(error).splitlines()[0],
        )
        time.sleep(CLAIM_RETRY_DELAY_S)  # no hot loop while the database is down
        raise Reject(f"database unreachable: {error}", requeue=True) from None
    return supervisor.run()


def claim_job(session: Any, job_id: str, owner: str, lease_seconds: float) -> bool:
    """Claims a job for `owner`: queued, or active with an expired lease -> `starting`.

    One UPDATE with the condition in its WHERE clause: of two racing deliveries only one
    changes the row.

    Returns:
        Whether `owner` now holds the job.
    """
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.status == JobStatus.QUEUED,
                and_(
                    Job.status.in_([JobStatus.STARTING, JobStatus.RUNNING]),
                    Job.lease_expires_at < now,
                ),
            ),
        )
        .values(
            status=JobStatus.STARTING,
            reason="claimed",
            message=f"Claimed by worker {owner}.",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempt_count=Job.attempt_count + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def update_owned_job(
    session: Any, job_id: str, owner: str, statuses: Any = None, **values: Any
) -> bool:
    """Updates a job only while `owner` holds its lease (and, if given, it is in `statuses`).

    Returns:
        Whether the row changed.
    """
    values.setdefault("updated_at", utcnow())
    conditions = [Job.id == job_id, Job.lease_owner == owner]
    if statuses is not None:
        conditions.append(Job.status.in_(list(statuses)))
    result = session.execute(
        update(Job).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


class JobSupervisor:
    """Runs one attempt of one job in the worker process.

    Args:
        resources: the worker process's resources.
        job_id: the job to run.
    """

    def __init__(self, resources: WorkerResources, job_id: str):
        self.resources = resources
        self.settings = resources.settings
        self.job_id = job_id
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.events: queue.Queue = queue.Queue()
        self.stop_heartbeat = threading.Event()
        self.process: BoxProcess | None = None
        self.binds: list[Bind] = []
        self.protocol_error: str | None = None
        self.disk_full_message: str | None = None
        self.lease_confirmed_at = time.monotonic()
        self.claimed: Any = _UNCLAIMED
        self.kill_reason: str | None = None
        self.kill_lock = threading.Lock()
        self.report_error: dict[str, Any] | None = None
        self.report_done: dict[str, Any] | None = None
        self.epoch = 0
        self.epochs = 0
        self.attempt_number = 0
        self.stderr_tail: list[str] = []
        self.log_tokens = float(LOG_EVENT_BURST)
        self.log_clock = time.monotonic()
        self.log_dropped = 0
        self.log_file: Any = None
        self.log_bytes = 0
        self.log_truncated = False
        self.deadline = 0.0

    def claim_or_raise(self) -> None:
        """Claims the job (database errors propagate: the caller decides about the message)."""
        self.claimed = self._claim()

    def run(self) -> str:
        """Claims (unless `claim_or_raise` did) and runs the job; returns the outcome."""
        job = self.claimed if self.claimed is not _UNCLAIMED else self._claim()
        if job is None:
            return "not_claimed"
        try:
            self._prepare(job)
        except PreparationError as exc:
            return self._finish(JobStatus.FAILED, exc.reason, str(exc))
        except Exception as exc:
            logger.exception("Preparing job %s failed", self.job_id)
            return self._finish(
                JobStatus.FAILED,
                "worker_error",
                f"The worker could not prepare the job: {type(exc).__name__}: {exc}",
            )
        try:
            self._supervise(job)
        except Exception as exc:
            logger.exception("Supervising job %s failed", self.job_id)
            self._kill("worker_error")
            return self._finish(
                JobStatus.FAILED,
                "worker_error",
                f"The worker failed while supervising the runner: {type(exc).__name__}: {exc}",
            )
        return self._conclude(job)

    def _claim(self) -> Job | None:
        settings = self.settings
        with session_scope(self.resources.sessions) as session:
            if not claim_job(session, self.job_id, self.owner, settings.lease_seconds):
                return None
            job = session.get(Job, self.job_id)
            self.attempt_number = job.attempt_count
            self.epochs = job.epochs or int((job.training or {}).get("epochs") or 1)
            if job.attempt_count > settings.max_attempts:
                too_many = True
            else:
                too_many = False
                session.add(Attempt(job_id=job.id, number=job.attempt_count, worker=self.owner))
        self._publish_status(
            JobStatus.STARTING, "claimed", f"Attempt {self.attempt_number} claimed by a worker."
        )
        if too_many:
            self._finish(
                JobStatus.FAILED,
                "too_many_attempts",
                f"The job was started {settings.max_attempts} times without finishing "
                "(each time its worker stopped renewing its lease); giving up. Raise "
                "HORN_MAX_ATTEMPTS to allow more.",
            )
            return None
        return job

    def _prepare(self, job: Job) -> None:
        """Creates the job dir and writes the spec; finds the checkpoint to resume from."""
        artifacts = self.resources.artifacts
        with session_scope(self.resources.sessions) as session:
            dataset = session.get(Dataset, job.dataset_id) if job.dataset_id else None
            source = session.get(ModelSource, job.model_id) if job.model_id else None
            if dataset is None or source is None:
                missing = "dataset" if dataset is None else "model source"
                raise PreparationError(
                    "missing_input", f"The job's {missing} was deleted before it could run."
                )
            dataset_path = artifacts.resolve(dataset.path)
            source_path = artifacts.resolve(source.path)
            entry_point = source.entry_point
            resume = self._latest_checkpoint(session)
            resume_epoch = resume.epoch if resume is not None else 0
            # Metrics past the checkpoint belong to a lost attempt; this one reports them again.
            session.execute(
                delete(Metric).where(Metric.job_id == job.id, Metric.epoch > resume_epoch)
            )
        job_dir = artifacts.job_dir(job.id)
        job_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(job_dir, 0o700)
        artifacts.checkpoint_dir(job.id).mkdir(parents=True, exist_ok=True)
        # A folder of this attempt's own: a previous attempt's runner (a worker frozen past its
        # lease) may still be writing in its folder, which this attempt never touches.
        work_dir = self.work_dir
        if work_dir.exists():
            shutil.rmtree(work_dir)
        work_dir.mkdir(mode=0o700)
        spec = {
            "job_id": job.id,
            "dataset": runner_protocol.BOX_DATASET,
            "model_source": runner_protocol.BOX_SOURCE,
            "entry_point": entry_point,
            "hyperparameters": job.hyperparameters or {},
            "training": job.training or {},
            "epochs": self.epochs,
            "resume_from": runner_protocol.BOX_RESUME if resume is not None else None,
            "initial_epoch": resume_epoch,
        }
        self.epoch = resume_epoch
        spec_path = job_dir / runner_protocol.SPEC_FILENAME
        artifacts.write_bytes_atomic(spec_path, json.dumps(spec, indent=2).encode())
        box_dir = runner_protocol.BOX_JOB_DIR
        # The box sees this job's inputs read-only and its work folder, nothing else of the host.
        self.binds = [
            Bind(spec_path, f"{box_dir}/{runner_protocol.SPEC_FILENAME}"),
            Bind(dataset_path, runner_protocol.BOX_DATASET),
            Bind(source_path, runner_protocol.BOX_SOURCE),
            Bind(work_dir, f"{box_dir}/{runner_protocol.WORK_FOLDER}", writable=True),
        ]
        if resume is not None:
            self.binds.append(Bind(artifacts.resolve(resume.path), runner_protocol.BOX_RESUME))

    def _latest_checkpoint(self, session: Any) -> Checkpoint | None:
        rows = session.scalars(
            select(Checkpoint)
            .where(Checkpoint.job_id == self.job_id)
            .order_by(Checkpoint.epoch.desc())
        )
        for row in rows:
            if self.resources.artifacts.resolve(row.path).is_file():
                return row
        return None

    def _limits(self, job: Job) -> BoxLimits:
        max_runtime_s = min(job.max_runtime_s or self.settings.job_max_runtime_s, 10**8)
        # CPU time sums over TensorFlow's threads: a backstop, the wall clock limit rules.
        return BoxLimits.from_settings(
            self.settings, cpu_seconds=max_runtime_s * (os.cpu_count() or 1) + 60
        )

    def _supervise(self, job: Job) -> None:
        """Starts the runner and relays its reports until it exits."""
        artifacts = self.resources.artifacts
        report_read, report_write = os.pipe()
        lifeline_read, lifeline_write = os.pipe()
        self.log_file = open(artifacts.log_path(job.id), "ab", buffering=0)  # noqa: SIM115
        try:
            self._write_log(f"--- attempt {self.attempt_number} ({self.owner}) ---")
            try:
                self.process = start_box(
                    "server.workers.runner",
                    [runner_protocol.BOX_JOB_DIR, "--report-fd", str(report_write)],
                    binds=self.binds,
                    cwd=f"{runner_protocol.BOX_JOB_DIR}/{runner_protocol.WORK_FOLDER}",
                    limits=self._limits(job),
                    settings=self.settings,
                    gpus=int((job.resources or {}).get("gpus") or 0),
                    pass_fds=(report_write,),
                    lifeline_fd=lifeline_read,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    label=f"runner of {job.id} in {self.settings.data_dir}",
                )
            finally:
                os.close(report_write)
                os.close(lifeline_read)
            limit_s = job.max_runtime_s or self.settings.job_max_runtime_s
            self.deadline = time.monotonic() + limit_s
            self._mark_running()
            readers = [
                _start_reader("report", os.fdopen(report_read, "rb"), self.events),
                _start_reader("stdout", self.process.process.stdout, self.events),
                _start_reader("stderr", self.process.process.stderr, self.events),
            ]
            heartbeat = threading.Thread(
                target=self._heartbeat, name=f"horn-heartbeat-{job.id}", daemon=True
            )
            heartbeat.start()
            open_streams = len(readers)
            exited_at = None
            while open_streams:
                self.check_lease()
                try:
                    kind, line = self.events.get(timeout=0.5)
                except queue.Empty:
                    if self.process.poll() is None:
                        continue
                    # The box is gone; its pipes close with it (a short grace for the readers).
                    exited_at = exited_at or time.monotonic()
                    if time.monotonic() - exited_at > 5:
                        break
                    continue
                if line is None:
                    open_streams -= 1
                elif kind == "report":
                    self._handle_report(line)
                else:
                    self._handle_output(kind, line)
            self.process.wait()
            self.stop_heartbeat.set()
            heartbeat.join()
            if self.log_dropped:
                self._publish_log_summary()
        finally:
            os.close(lifeline_write)
            self.log_file.close()
            if self.process is not None and self.process.poll() is None:
                self.process.stop()
            self._remove_work_folder(self.work_dir)

    @property
    def work_dir(self) -> Path:
        """This attempt's work folder on the host (`/job/work` in its box)."""
        job_dir = self.resources.artifacts.job_dir(self.job_id)
        return job_dir / f"{runner_protocol.WORK_FOLDER}-{self.attempt_number}"

    def _remove_work_folder(self, work_dir: Path) -> None:
        """Removes the attempt's work folder, unless HORN_SANDBOX_KEEP_WORK_H keeps it."""
        if self.settings.sandbox_keep_work_h <= 0:
            shutil.rmtree(work_dir, ignore_errors=True)

    def _mark_running(self) -> None:
        with session_scope(self.resources.sessions) as session:
            job = session.get(Job, self.job_id)
            changed = update_owned_job(
                session,
                self.job_id,
                self.owner,
                statuses=[JobStatus.STARTING],
                status=JobStatus.RUNNING,
                reason="runner_started",
                message=f"Attempt {self.attempt_number}: the runner started.",
                started_at=job.started_at or utcnow(),
                epochs=self.epochs,
            )
        if changed:
            self._publish_status(
                JobStatus.RUNNING,
                "runner_started",
                f"Attempt {self.attempt_number}: the runner started.",
            )

    def _heartbeat(self) -> None:
        """Renews the lease; kills the runner on a cancel request, timeout or lost lease."""
        last_renewal = self.lease_confirmed_at = time.monotonic()
        while not self.stop_heartbeat.wait(CANCEL_POLL_S):
            now = time.monotonic()
            try:
                with session_scope(self.resources.sessions) as session:
                    if now - last_renewal >= self.settings.heartbeat_s:
                        renewed = update_owned_job(
                            session,
                            self.job_id,
                            self.owner,
                            lease_expires_at=utcnow()
                            + timedelta(seconds=self.settings.lease_seconds),
                        )
                        last_renewal = now
                        if not renewed:
                            self._kill("lease_lost")
                            return
                        self.lease_confirmed_at = now
                    row = session.execute(
                        select(Job.status, Job.cancel_requested).where(Job.id == self.job_id)
                    ).one_or_none()
            except Exception as error:
                logger.warning("Heartbeat of job %s failed (%s); retrying", self.job_id, error)
                self.check_lease()
                continue
            if row is None:
                self._kill("lease_lost")
                return
            # After a kill the loop goes on renewing the lease until the outcome is written.
            if self.kill_reason is not None:
                continue
            if row.cancel_requested or row.status == JobStatus.CANCELLING:
                self._kill_in_background("cancel_requested")
            elif now > self.deadline:
                self._kill_in_background("timeout")

    def _in_transaction(self, write: Any) -> Any:
        """Runs `write(session)` in one transaction, retried while the database is unreachable.

        A database restart (connections refused or dropped) is waited out, not turned into a
        failure: the runner keeps training meanwhile (its reports wait in the pipe). Past 3/4 of
        the lease without success the error propagates; by then `check_lease` has stopped the
        runner, and the reconciler queues the job again once the database is back.
        """
        deadline = time.monotonic() + self.settings.lease_seconds * 0.75
        delay = 0.1
        while True:
            try:
                with session_scope(self.resources.sessions) as session:
                    return write(session)
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as error:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning(
                    "Job %s: the database is unreachable (%s); retrying in %.1f s",
                    self.job_id,
                    str(error).splitlines()[0][:200],
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _publish(self, job_id: str, kind: Any, data: dict[str, Any]) -> None:
        """Publishes a live event; an event bus that is down (Redis restarting) costs the event,
        never the job: the database has every metric, status and the log file every line."""
        try:
            self.resources.bus.publish(job_id, kind, data)
        except Exception as error:
            logger.warning("Job %s: could not publish a %s event: %s", job_id, kind, error)

    def check_lease(self) -> None:
        """Stops the runner when the lease went unconfirmed for 3/4 of its length.

        The database may be down (or the heartbeat stuck in a call to it): the lease may
        expire and another worker run the job, so this runner stops first — at most one runs a
        job at a time. Called by the relay loop and the heartbeat, never blocking.
        """
        unconfirmed_s = time.monotonic() - self.lease_confirmed_at
        if unconfirmed_s > self.settings.lease_seconds * 0.75 and self.kill_reason is None:
            logger.warning(
                "Job %s: lease unconfirmed for %.1f s; stopping its runner",
                self.job_id,
                unconfirmed_s,
            )
            self._kill_in_background("lease_unconfirmed")

    def _kill_in_background(self, reason: str) -> None:
        """Like `_kill`, in a thread, so that the heartbeat keeps renewing the lease meanwhile."""
        with self.kill_lock:
            if self.kill_reason is not None:
                return
            self.kill_reason = reason
        if self.process is not None:
            threading.Thread(target=self.process.stop, name="horn-kill", daemon=True).start()

    def _kill(self, reason: str) -> None:
        with self.kill_lock:
            if self.kill_reason is None:
                self.kill_reason = reason
        if self.process is not None:
            self.process.stop()

    def _handle_report(self, raw: bytes) -> None:
        """Relays one report line; a line that is not a valid report fails this job only."""
        if self.protocol_error is not None:
            return
        try:
            report = json.loads(raw)
            if not isinstance(report, dict):
                raise ValueError("not a JSON object")
            self._dispatch_report(report)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            self.protocol_error = (
                f"The runner sent an invalid report ({exc}): {raw[:200]!r}. The report pipe "
                "carries Horn's own lines only; user code must not write to it."
            )
            logger.warning("Job %s: %s", self.job_id, self.protocol_error)
            self._kill_in_background("invalid_report")

    def _dispatch_report(self, report: dict[str, Any]) -> None:
        kind = report.get("type")
        if kind == "metric":
            self._record_metric(report)
        elif kind == "checkpoint":
            self._record_checkpoint(report)
        elif kind == "log":
            self._write_log(str(report.get("line", "")))
            self._publish_log(str(report.get("line", "")), "runner")
        elif kind == "started":
            self.epochs = int(report.get("epochs") or self.epochs)
            line = (
                f"Training started: epochs {report.get('initial_epoch', 0) + 1}-{self.epochs}, "
                f"compiled by {report.get('compiled_by')}."
            )
            self._write_log(line)
            self._publish_log(line, "runner")
        elif kind == "error":
            self._write_log(f"Error in {report.get('stage')}: {report.get('message')}")
            self.report_error = {
                "kind": str(report.get("kind"))[:100],
                "stage": str(report.get("stage"))[:50],
                "message": str(report.get("message"))[:LOG_LINE_MAX_CHARS],
            }
        elif kind == "done":
            self.report_done = {
                "epochs_completed": int(report.get("epochs_completed") or 0),
                "stopped_early": bool(report.get("stopped_early")),
            }

    def _record_metric(self, report: dict[str, Any]) -> None:
        # The pipe is writable by user code too: accept only what a metric can be.
        epoch = _checked_epoch(report.get("epoch"), self.epochs)
        step = report.get("step")
        if step is not None and (type(step) is not int or not 0 < step < 10**9):
            raise ValueError(f"step {step!r} is not a positive integer")
        values = report.get("values")
        if not isinstance(values, dict) or len(values) > 100:
            raise ValueError("values must be an object of at most 100 metrics")
        for name, value in values.items():
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if value is not None and not number:
                raise ValueError(f"metric {str(name)[:100]!r} is {value!r}, not a number")
        values = {str(name)[:100]: _finite_or_none(value) for name, value in values.items()}

        def write(session: Any) -> bool:
            # The lease check and the insert share one transaction (the UPDATE locks the row):
            # a worker that lost the job writes nothing.
            latest = {"epoch": epoch, "metrics": values} if step is None else {}
            if not update_owned_job(session, self.job_id, self.owner, **latest):
                return False
            session.add(Metric(job_id=self.job_id, epoch=epoch, step=step, values=values))
            return True

        if not self._in_transaction(write):
            self._kill_in_background("lease_lost")
            return
        if step is None:
            self.epoch = max(self.epoch, epoch)
        self._publish(self.job_id, EventType.METRIC, {"epoch": epoch, "step": step, **values})

    def _record_checkpoint(self, report: dict[str, Any]) -> None:
        """Moves a checkpoint out of the runner's folder into the job's and records it."""
        artifacts = self.resources.artifacts
        epoch = _checked_epoch(report.get("epoch"), self.epochs)
        work_dir = self.work_dir
        expected = f"{runner_protocol.CHECKPOINT_FOLDER}/epoch-{epoch:04d}.keras"
        if report.get("path") != expected:
            logger.warning("Job %s: unexpected checkpoint path %r", self.job_id, report.get("path"))
            return
        source = work_dir / expected
        name = source.name
        dest = artifacts.checkpoint_path(self.job_id, epoch)
        owns_the_job = self._in_transaction(
            lambda session: update_owned_job(session, self.job_id, self.owner)
        )
        if not owns_the_job:
            self._kill_in_background("lease_lost")  # never overwrite the new owner's files
            return
        # The runner's folder is the sandbox user's: read the file through descriptors that are
        # not links (its folder included: a link to another job's checkpoints would hand them
        # over) and copy it into a fresh file of the worker's, never move or chmod it.
        try:
            folder_fd = os.open(source.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            logger.warning("Job %s: cannot open checkpoint %s: %s", self.job_id, source, exc)
            return
        try:
            try:
                # O_NONBLOCK: opening a planted FIFO must not hang the worker.
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
            except OSError as exc:
                logger.warning("Job %s: cannot open checkpoint %s: %s", self.job_id, source, exc)
                return
            with os.fdopen(fd, "rb") as file:
                info = os.fstat(file.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                    logger.warning("Job %s: checkpoint %s is not a plain file", self.job_id, source)
                    return
                try:
                    stored = artifacts.write_chunks_atomic(
                        dest, iter(lambda: file.read(1 << 20), b"")
                    )
                except OSError as error:
                    if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    # The partial copy is gone (written to a temporary name); stop the run.
                    self.disk_full_message = disk_full_message(dest.parent, epoch)
                    self._kill_in_background("disk_full")
                    return
            os.chmod(dest, 0o644)  # a resumed runner reads it as the sandbox user
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=folder_fd)
        finally:
            os.close(folder_fd)

        def write(session: Any) -> bool:
            if not update_owned_job(session, self.job_id, self.owner):
                return False
            row = session.scalar(
                select(Checkpoint).where(
                    Checkpoint.job_id == self.job_id, Checkpoint.epoch == epoch
                )
            )
            metrics = session.scalar(
                select(Metric.values)
                .where(Metric.job_id == self.job_id, Metric.epoch == epoch, Metric.step.is_(None))
                .order_by(Metric.id.desc())
                .limit(1)
            )
            if row is None:
                row = Checkpoint(job_id=self.job_id, epoch=epoch)
                session.add(row)
            row.path = artifacts.relative(dest)
            row.size_bytes = stored.size_bytes
            row.metrics = metrics
            row.created_at = utcnow()
            return True

        if not self._in_transaction(write):
            self._kill_in_background("lease_lost")

    def _write_log(self, line: str) -> None:
        """Appends a line of the worker or runner (not user output) to the job's log file."""
        self._append_log(f"[horn] {line}\n".encode())

    def _append_log(self, data: bytes) -> None:
        """Appends to the log file within `sandbox_log_mb` (the report pipe counts too: user code
        can write to it)."""
        if self.log_truncated:
            return
        if self.log_bytes + len(data) <= self.settings.sandbox_log_mb * 1024 * 1024:
            self.log_file.write(data)
            self.log_bytes += len(data)
            return
        self.log_truncated = True
        self.log_file.write(
            f"[horn] Log truncated: the job printed more than {self.settings.sandbox_log_mb}"
            " MiB (HORN_SANDBOX_LOG_MB); later output is dropped.\n".encode()
        )

    def _handle_output(self, stream: str, raw: bytes) -> None:
        self._append_log(raw if raw.endswith(b"\n") else raw + b"\n")
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        if stream == "stderr":
            self.stderr_tail = (self.stderr_tail + [line])[-20:]
        self._publish_log(line, stream)

    def _publish_log(self, line: str, stream: str) -> None:
        now = time.monotonic()
        self.log_tokens = min(
            LOG_EVENT_BURST, self.log_tokens + (now - self.log_clock) * LOG_EVENTS_PER_S
        )
        self.log_clock = now
        if self.log_tokens < 1:
            self.log_dropped += 1
            return
        self.log_tokens -= 1
        if self.log_dropped:
            self._publish_log_summary()
        self._publish(
            self.job_id, EventType.LOG, {"line": line[:LOG_LINE_MAX_CHARS], "stream": stream}
        )

    def _publish_log_summary(self) -> None:
        dropped, self.log_dropped = self.log_dropped, 0
        self._publish(
            self.job_id,
            EventType.LOG,
            {
                "line": f"[{dropped} log lines left out of the live stream; the full log is at "
                f"GET /v1/jobs/{self.job_id}/logs]",
                "stream": "runner",
            },
        )

    def _conclude(self, job: Job) -> str:
        """Turns the runner's exit into the job's final status."""
        returncode = self.process.returncode
        if self.kill_reason in ("lease_lost", "lease_unconfirmed"):
            # Not this worker's job any more (or maybe not): it writes nothing of its state;
            # the reconciler queues it again once the lease expired.
            with contextlib.suppress(Exception):
                self._finish_attempt(
                    self.kill_reason,
                    "The worker lost (or could not confirm) "
                    "its lease on the job and stopped its runner.",
                )
            return "lease_lost"
        if self.kill_reason == "cancel_requested":
            return self._finish(
                JobStatus.CANCELLED,
                "cancel_requested",
                f"Cancelled on request after {self.epoch} of {self.epochs} epochs.",
            )
        if self.kill_reason == "timeout":
            limit = job.max_runtime_s or self.settings.job_max_runtime_s
            return self._finish(
                JobStatus.FAILED,
                "timeout",
                f"The job ran longer than its limit of {limit} s (max_runtime_s) and was stopped "
                f"after {self.epoch} of {self.epochs} epochs. Raise max_runtime_s or train less.",
            )
        if self.kill_reason == "disk_full":
            return self._finish(JobStatus.FAILED, "disk_full", str(self.disk_full_message))
        if self.kill_reason == "invalid_report":
            return self._finish(JobStatus.FAILED, "invalid_report", str(self.protocol_error))
        limit = self._limit_reached(returncode)
        if limit is not None:
            return self._finish(JobStatus.FAILED, limit, self._limit_message(limit))
        if self.report_done is not None and returncode == 0:
            completed = int(self.report_done.get("epochs_completed") or self.epoch)
            if self.report_done.get("stopped_early"):
                return self._finish(
                    JobStatus.SUCCEEDED,
                    "early_stopping",
                    f"Early stopping ended training after {completed} of {self.epochs} epochs.",
                )
            return self._finish(JobStatus.SUCCEEDED, "completed", f"Trained {completed} epochs.")
        if self.report_error is not None:
            error = self.report_error
            reason = (
                "nan_loss"
                if error.get("kind") == "NaNLoss"
                else FAILURE_REASONS.get(error.get("stage"), "runner_error")
            )
            return self._finish(JobStatus.FAILED, reason, str(error.get("message")))
        if returncode is not None and returncode < 0 and returncode != -signal.SIGXCPU:
            # Killed from outside the job's own limits (the host's OOM killer, an operator):
            # like a lost worker, it runs again from its last checkpoint, within
            # HORN_MAX_ATTEMPTS.
            return self._requeue("runner_killed", self._crash_message(returncode))
        return self._finish(JobStatus.FAILED, "runner_crashed", self._crash_message(returncode))

    def _limit_reached(self, returncode: int | None) -> str | None:
        """The box limit that ended the runner (`out_of_memory`, ...), if one did."""
        limit = self.process.limit()
        if limit in LIMIT_SETTINGS:
            return limit
        error = self.report_error or {}
        message = str(error.get("message", ""))
        if error.get("kind") == "MemoryError":
            return "out_of_memory"
        if "[Errno 28]" in message or "[Errno 122]" in message or returncode == -signal.SIGXFSZ:
            work_dir = self.resources.artifacts.job_dir(self.job_id)
            if shutil.disk_usage(work_dir).free < HOST_DISK_FULL_BYTES:
                self.disk_full_message = disk_full_message(work_dir, self.epoch + 1)
                return "disk_full"  # the host's disk, not the box's quota
            return "disk_quota"
        if error.get("kind") == "BlockingIOError" and "[Errno 11]" in message:
            return "too_many_processes"
        return None

    def _limit_message(self, limit: str) -> str:
        if limit == "disk_full":
            return str(self.disk_full_message)
        settings = self.settings
        what = {
            "out_of_memory": f"used more than its {settings.sandbox_memory_mb} MiB of memory",
            "too_many_processes": f"started more than {settings.sandbox_max_processes} "
            "processes and threads",
            "disk_quota": f"wrote more than its {settings.sandbox_disk_mb} MiB of disk (or a "
            f"file over {settings.runner_max_file_mb} MiB, or filled its "
            f"{settings.sandbox_tmp_mb} MiB /tmp)",
        }[limit]
        return (
            f"The job {what} and was stopped after {self.epoch} of {self.epochs} epochs. "
            f"Use less, or raise {LIMIT_SETTINGS[limit]} on the workers."
        )

    def _requeue(self, reason: str, message: str) -> str:
        """Queues the job again for a new attempt (it resumes from its latest checkpoint)."""
        message = f"{message} Queued again to resume from the latest checkpoint."
        with session_scope(self.resources.sessions) as session:
            requeued = update_owned_job(
                session,
                self.job_id,
                self.owner,
                status=JobStatus.QUEUED,
                reason=reason,
                message=message,
                lease_owner=None,
                lease_expires_at=None,
                enqueued_at=None,
            )
        self._finish_attempt(reason if requeued else "lease_lost", message)
        if not requeued:
            return "lease_lost"
        self._publish_status(JobStatus.QUEUED, reason, message)
        from server.workers.dispatch import enqueue_training_job

        with session_scope(self.resources.sessions) as session:
            queue = session.scalar(select(Job.queue).where(Job.id == self.job_id))
        try:
            enqueue_training_job(self.settings, self.job_id, queue or "cpu")
        except Exception as error:  # the reconciler sends it (enqueued_at is empty)
            logger.warning("Job %s: could not enqueue it again: %s", self.job_id, error)
            return JobStatus.QUEUED
        with session_scope(self.resources.sessions) as session:
            session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.status == JobStatus.QUEUED)
                .values(enqueued_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return JobStatus.QUEUED

    def _crash_message(self, returncode: int | None) -> str:
        # TensorFlow's start-up lines (I0000 ..., cudart_stub ...) say nothing about the crash.
        tail = next(
            (
                line
                for line in reversed(self.stderr_tail)
                if line.strip() and not TENSORFLOW_LOG_LINE.match(line)
            ),
            "",
        )
        hint = f' Last output: "{tail[:300]}".' if tail else ""
        if returncode is not None and returncode < 0:
            name = signal.Signals(-returncode).name
            cause = {
                "SIGKILL": " (from outside the job: the host's out-of-memory killer or an "
                "operator)",
                "SIGXCPU": " (its CPU time limit)",
                "SIGXFSZ": f" (a file larger than {self.settings.runner_max_file_mb} MiB)",
                "SIGSEGV": " (a crash in native code)",
            }.get(name, "")
            return f"The runner was killed by {name}{cause}.{hint} See the job's logs."
        return (
            f"The runner exited with status {returncode} without reporting an error.{hint} "
            "See the job's logs."
        )

    def _finish(self, status: str, reason: str, message: str) -> str:
        """Writes the final status (only while holding the lease) and publishes it."""
        done = self._in_transaction(
            lambda session: update_owned_job(
                session,
                self.job_id,
                self.owner,
                status=status,
                reason=reason,
                message=message,
                finished_at=utcnow(),
                lease_owner=None,
                lease_expires_at=None,
            )
        )
        self._finish_attempt(status if done else "lease_lost", message)
        if not done:
            return "lease_lost"
        self._publish_status(status, reason, message)
        return status

    def _finish_attempt(self, outcome: str, message: str) -> None:
        self._in_transaction(
            lambda session: session.execute(
                update(Attempt)
                .where(Attempt.job_id == self.job_id, Attempt.number == self.attempt_number)
                .values(finished_at=utcnow(), outcome=outcome, message=message)
            )
        )

    def _publish_status(self, status: str, reason: str, message: str) -> None:
        self._publish(
            self.job_id,
            EventType.STATUS,
            {
                "status": status,
                "reason": reason,
                "message": message,
                "attempt": self.attempt_number,
                "epoch": self.epoch,
                "epochs": self.epochs,
            },
        )


class PreparationError(Exception):
    """The job cannot start (e.g. its dataset was deleted); fails it with `reason`."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def disk_full_message(folder: Path, epoch: int) -> str:
    """The failure message of a job stopped because the host's disk under `folder` is full."""
    free = shutil.disk_usage(folder).free
    return (
        f"The disk holding {folder} is full ({free} bytes free) while saving epoch {epoch}; the "
        "job was stopped and nothing partial was kept. Free space on the worker and resubmit "
        "(it resumes from its last checkpoint)."
    )


def _checked_epoch(value: Any, epochs: int) -> int:
    """`value` when it is an epoch number of this job (1..epochs); ValueError otherwise."""
    if type(value) is not int or not 1 <= value <= max(epochs, 1):
        raise ValueError(f"epoch {value!r} is not an epoch of this job (1-{epochs})")
    return value


def _finite_or_none(value: Any) -> float | None:
    """A metric value as a finite float, or None (JSON columns take no NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _start_reader(kind: str, stream: Any, events: queue.Queue) -> threading.Thread:
    """Reads `stream` line by line into `events` as `(kind, line)`; `(kind, None)` at EOF."""

    def read() -> None:
        with stream:
            for line in iter(lambda: stream.readline(MAX_LINE_BYTES), b""):
                events.put((kind, line))
        events.put((kind, None))

    thread = threading.Thread(target=read, name=f"horn-{kind}-reader", daemon=True)
    thread.start()
    return thread


def reconcile_jobs(resources: WorkerResources, enqueue: Any) -> list[str]:
    """Re-enqueues jobs whose worker vanished or whose message was lost; finishes stale cancels.

    - `starting`/`running` with an expired lease -> `queued` again (the next attempt resumes
      from the latest checkpoint);
    - `cancelling` with an expired lease -> `cancelled`;
    - `queued` and not claimed for `queued_timeout_s` after it was enqueued -> enqueued again.

    Args:
        resources: the process's resources.
        enqueue: `enqueue(job_id, queue)`, e.g. `dispatch.enqueue_training_job` bound to settings.

    Returns:
        The ids of the jobs it enqueued.
    """
    settings = resources.settings
    now = utcnow()
    enqueued = []
    statuses = []
    with session_scope(resources.sessions) as session:
        expired = session.scalars(
            select(Job).where(
                Job.status.in_([JobStatus.STARTING, JobStatus.RUNNING, JobStatus.CANCELLING]),
                or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now),
            )
        ).all()
        for job in expired:
            if job.status == JobStatus.CANCELLING:
                values = {
                    "status": JobStatus.CANCELLED,
                    "reason": "cancel_requested",
                    "message": "Cancelled on request (its worker had stopped).",
                    "finished_at": now,
                }
            else:
                values = {
                    "status": JobStatus.QUEUED,
                    "reason": "lease_expired",
                    "message": "Its worker stopped renewing the lease; queued again to resume "
                    "from the latest checkpoint.",
                    "enqueued_at": now,
                }
            changed = session.execute(
                update(Job)
                .where(
                    Job.id == job.id,
                    Job.status == job.status,
                    or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now),
                )
                .values(lease_owner=None, lease_expires_at=None, updated_at=now, **values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                statuses.append((job.id, values))
                if values["status"] == JobStatus.QUEUED:
                    enqueued.append((job.id, job.queue))
        # Attempts of jobs whose worker vanished end here (their worker never will).
        for job_id, _ in statuses:
            session.execute(
                update(Attempt)
                .where(Attempt.job_id == job_id, Attempt.finished_at.is_(None))
                .values(
                    finished_at=now,
                    outcome="lease_expired",
                    message="Its worker stopped renewing the lease.",
                )
                .execution_options(synchronize_session=False)
            )
        stale_before = now - timedelta(seconds=settings.queued_timeout_s)
        # Never sent (the broker was down when the API tried), or sent long ago and unclaimed.
        stale = session.scalars(
            select(Job).where(
                Job.status == JobStatus.QUEUED,
                or_(
                    Job.enqueued_at.is_(None),
                    and_(Job.enqueued_at < stale_before, Job.created_at < stale_before),
                ),
            )
        ).all()
        for job in stale:
            changed = session.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == JobStatus.QUEUED)
                .values(enqueued_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                enqueued.append((job.id, job.queue))
    # Enqueue first: a status event that cannot be published (Redis down) must not keep a job
    # from being sent again. A job whose message could not be sent is marked never sent.
    sent = []
    for job_id, job_queue in enqueued:
        try:
            enqueue(job_id, job_queue)
        except Exception as error:
            logger.warning("Reconciler could not enqueue job %s: %s", job_id, error)
            with session_scope(resources.sessions) as session:
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                    .values(enqueued_at=None)
                    .execution_options(synchronize_session=False)
                )
            continue
        sent.append(job_id)
    for job_id, values in statuses:
        payload = {key: values[key] for key in ("status", "reason", "message")}
        try:
            resources.bus.publish(job_id, EventType.STATUS, payload)
        except Exception as error:
            logger.warning("Reconciler could not publish the status of job %s: %s", job_id, error)
    return sent


def remove_expired_work_folders(resources: WorkerResources) -> list[str]:
    """Removes work folders of finished jobs kept longer than `sandbox_keep_work_h` hours.

    Returns:
        The ids of the jobs whose work folder was removed.
    """
    keep_s = resources.settings.sandbox_keep_work_h * 3600
    jobs_root = resources.artifacts.job_dir("x").parent
    if keep_s <= 0 or not jobs_root.is_dir():
        return []
    cutoff = time.time() - keep_s
    candidates = {}
    for job_dir in jobs_root.iterdir():
        for work_dir in job_dir.glob(f"{runner_protocol.WORK_FOLDER}-*"):
            with contextlib.suppress(OSError):
                if work_dir.lstat().st_mtime < cutoff:
                    candidates.setdefault(job_dir.name, []).append(work_dir)
    if not candidates:
        return []
    with session_scope(resources.sessions) as session:
        finished = set(
            session.scalars(
                select(Job.id).where(
                    Job.id.in_(list(candidates)), Job.status.in_(list(JobStatus.TERMINAL))
                )
            )
        )
    for job_id in finished:
        for work_dir in candidates[job_id]:
            shutil.rmtree(work_dir, ignore_errors=True)
    return sorted(finished)


def start_reconciler(stop: threading.Event) -> threading.Thread:
    """Runs `reconcile_jobs` every `reconcile_interval_s` in a daemon thread until `stop` is set.

    Args:
        stop: set it to end the thread.

    Returns:
        The thread.
    """
    from server.workers.dispatch import enqueue_training_job

    def loop() -> None:
        while True:
            try:
                resources = worker_resources()
                settings = resources.settings
                ids = reconcile_jobs(
                    resources,
                    functools.partial(enqueue_training_job, settings),
                )
                if ids:
                    logger.info("Reconciler re-enqueued jobs %s", ", ".join(ids))
                remove_expired_work_folders(resources)
            except Exception:
                logger.exception("Reconciler pass failed; trying again later")
            if stop.wait(get_settings().reconcile_interval_s):
                return

    thread = threading.Thread(target=loop, name="horn-reconciler", daemon=True)
    thread.start()
    return thread
