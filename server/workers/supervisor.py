"""One attempt of one job in a worker process: prepare, start the runner's box, relay, conclude.

One class on purpose (~760 lines): the relay loop, the heartbeat and the conclusion share the
attempt's state (lease, kill reason, epoch, reports); checkpoint copying, the log and the store
writes live in their own modules.

The supervisor holds the job's `Lease` (its fencing token): every write it makes goes through
`server.store.jobs` under that lease, in one transaction with the lease check, so a supervisor
that lost the job writes nothing. A heartbeat thread renews the lease and watches for a cancel
request and the time limit; the relay loop turns the runner's report lines into metrics and
checkpoints and its output into the log (`LogRelay`). When the lease goes unconfirmed for 3/4 of
its length (the database down, the worker frozen), the supervisor stops its runner before anyone
else may start the job again: at most one runner trains a job at a time.

This module never imports TensorFlow; user code runs only in the runner's box.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from sqlalchemy import select

from server.store import jobs as job_store
from server.store import sweeps as sweep_store
from server.store.artifacts import ensure_private_folder
from server.store.db import Dataset, Job, JobStatus, ModelSource, session_scope
from server.store.events import EventType
from server.store.fairshare import claim_within_limit
from server.store.jobs import Lease
from server.store.objects import ArtifactStoreUnavailableError
from server.workers import runner as runner_protocol
from server.workers.checkpoints import DiskFullError, copy_checkpoint_out, disk_full_message
from server.workers.log_relay import LOG_LINE_MAX_CHARS, LogRelay
from server.workers.resources import WorkerResources
from server.workers.sandbox import LIMIT_SETTINGS, Bind, BoxLimits, BoxProcess, start_box
from server.workers.warm import WarmRunner, WarmRunnerPool, remove_spare_folder

logger = logging.getLogger("horn.worker")

# Longer lines from the runner are split: user code can print without newlines.
MAX_LINE_BYTES = 64 * 1024
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
LEASE_KILL_REASONS = ("lease_lost", "lease_unconfirmed")
# With S3, a running job's log is put after a checkpoint at most this often (and at the end).
LOG_UPLOAD_INTERVAL_S = 30.0
DATABASE_ERRORS = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)


class PreparationError(Exception):
    """The job cannot start (e.g. its dataset was deleted); fails it with `reason`."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class JobSupervisor:
    """Runs one attempt of one job in the worker process.

    Args:
        resources: the worker process's resources.
        job_id: the job to run.
        gpu_devices: the GPUs this attempt holds.
        warm_runners: the process's spare runners (`server.workers.warm`); a CPU job takes one
            when one is alive, else (and for GPU jobs) the attempt starts a fresh box.
    """

    def __init__(
        self,
        resources: WorkerResources,
        job_id: str,
        gpu_devices: Sequence[str] = (),
        warm_runners: WarmRunnerPool | None = None,
    ):
        self.resources = resources
        self.settings = resources.settings
        self.job_id = job_id
        # The GPUs this attempt holds (`server.workers.devices`); only they reach its box.
        self.gpu_devices = list(gpu_devices)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease: Lease | None = None
        self.claim_tried = False
        self.events: queue.Queue = queue.Queue()
        self.stop_heartbeat = threading.Event()
        self.process: BoxProcess | None = None
        self.binds: list[Bind] = []
        # The job's files by their name in /job, for a warm runner (the binds show them to a
        # fresh one).
        self.inputs: dict[str, Path] = {}
        self.warm_runners = warm_runners
        self.warm_runner: WarmRunner | None = None
        self.protocol_error: str | None = None
        self.disk_full_message: str | None = None
        self.lease_confirmed_at = time.monotonic()
        self.kill_reason: str | None = None
        self.kill_lock = threading.Lock()
        self.report_error: dict[str, Any] | None = None
        self.report_done: dict[str, Any] | None = None
        self.epoch = 0
        self.epochs = 0
        self.log = LogRelay(
            job_id, lambda kind, data: self._publish(kind, data), self.settings.sandbox_log_mb
        )
        self.deadline = 0.0
        self.log_uploaded_at = 0.0
        self.log_stored = False
        # A sweep trial: its sweep's id; ASHA's stop sets `stop_after_epoch` (the epoch whose
        # checkpoint is the last) and the reason's sentence.
        self.sweep_id: str | None = None
        self.stop_after_epoch: int | None = None
        self.stop_message = ""

    @property
    def attempt_number(self) -> int:
        """This attempt's number (0 before the claim)."""
        return self.lease.attempt if self.lease is not None else 0

    # --- the attempt, start to end ---------------------------------------------------------

    def claim(self) -> None:
        """Claims the job (database errors propagate: the caller decides about the message)."""
        self.claim_tried = True
        self._claim()

    def run(self) -> str:
        """Claims (unless `claim` did) and runs the job; returns the outcome."""
        if not self.claim_tried:
            self.claim()
        if self.lease is None:
            return "not_claimed"
        with session_scope(self.resources.sessions) as session:
            job = session.get(Job, self.job_id)
        try:
            with self._lease_renewed():  # downloads of the inputs may outlast the lease
                self._prepare(job)
        except PreparationError as exc:
            return self._finish(JobStatus.FAILED, exc.reason, str(exc))
        except ArtifactStoreUnavailableError as exc:
            logger.warning("Job %s: %s", self.job_id, exc)
            return self._requeue("artifact_store_unavailable", f"The job's inputs: {exc}")
        except Exception as exc:
            logger.exception("Preparing job %s failed", self.job_id)
            return self._finish(
                JobStatus.FAILED,
                "worker_error",
                f"The worker could not prepare the job: {type(exc).__name__}: {exc}",
            )
        if self.kill_reason in LEASE_KILL_REASONS:
            self._close_attempt(
                self.kill_reason, "The worker lost its lease while it fetched the job's inputs."
            )
            return "lease_lost"
        try:
            self._supervise(job)
        except DATABASE_ERRORS as exc:
            # The database stayed out of reach past 3/4 of the lease: the runner is stopped and
            # nothing is failed; the lease expires and the reconciler queues the job again.
            logger.warning("Job %s: the database is unreachable; stopping: %s", self.job_id, exc)
            self._kill("database_unreachable")
            self._close_attempt(
                "database_unreachable",
                "The worker could not reach the database for 3/4 of its lease and stopped the "
                "runner; the job resumes from its latest checkpoint.",
            )
            return "lease_lost"
        except Exception as exc:
            logger.exception("Supervising job %s failed", self.job_id)
            self._kill("worker_error")
            return self._finish(
                JobStatus.FAILED,
                "worker_error",
                f"The worker failed while supervising the runner: {type(exc).__name__}: {exc}",
            )
        outcome = self._conclude(job)
        if outcome in JobStatus.TERMINAL:
            self._evict_local_copies()
        return outcome

    def _claim(self) -> None:
        settings = self.settings
        with session_scope(self.resources.sessions) as session:
            lease = claim_within_limit(
                session,
                self.job_id,
                self.owner,
                settings.lease_seconds,
                settings.tenant_max_running_jobs,
            )
            if lease is None:
                return
            job = session.get(Job, self.job_id)
            self.sweep_id = job.sweep_id
            self.epochs = job.epochs or int((job.training or {}).get("epochs") or 1)
            too_many = lease.attempt > settings.max_attempts
            if not too_many:
                job_store.open_attempt(session, lease)
        self.lease = lease
        self._publish_status(
            JobStatus.STARTING, "claimed", f"Attempt {lease.attempt} claimed by a worker."
        )
        if too_many:
            self._finish(
                JobStatus.FAILED,
                "too_many_attempts",
                f"The job was started {settings.max_attempts} times without finishing "
                "(each time its worker stopped renewing its lease); giving up. Raise "
                "HORN_MAX_ATTEMPTS to allow more.",
            )
            self.lease = None

    def _prepare(self, job: Job) -> None:
        """Fetches the job's inputs into the data dir, creates the attempt's folder and writes
        the spec; finds the checkpoint to resume.

        Raises:
            PreparationError: the dataset or source is gone (`missing_input`).
            ArtifactStoreUnavailableError: the object store cannot be reached.
        """
        artifacts = self.resources.artifacts
        with session_scope(self.resources.sessions) as session:
            dataset = session.get(Dataset, job.dataset_id) if job.dataset_id else None
            source = session.get(ModelSource, job.model_id) if job.model_id else None
            if dataset is None or source is None:
                missing = "dataset" if dataset is None else "model source"
                raise PreparationError(
                    "missing_input", f"The job's {missing} was deleted before it could run."
                )
            inputs = {"dataset": dataset.path, "model source": source.path}
            entry_point = source.entry_point
            checkpoints = [
                (row.epoch, row.path) for row in job_store.latest_checkpoints(session, self.job_id)
            ]
        # Outside the transaction: a download must not hold a database connection.
        local_inputs = {}
        for what, key in inputs.items():
            try:
                local_inputs[what] = artifacts.fetch(key)
            except FileNotFoundError:
                raise PreparationError(
                    "missing_input",
                    f"The job's {what} file {key!r} is missing from the artifact store.",
                ) from None
        dataset_path, source_path = local_inputs["dataset"], local_inputs["model source"]
        resume_epoch, resume_path = 0, None
        for epoch, key in checkpoints:
            with contextlib.suppress(FileNotFoundError):
                resume_path = artifacts.fetch(key)
                resume_epoch = epoch
                break
        with session_scope(self.resources.sessions) as session:
            # Metrics past the checkpoint belong to a lost attempt; this one reports them again.
            job_store.forget_metrics_after(session, job.id, resume_epoch)
        job_dir = artifacts.job_dir(job.id)
        # Private, but left as it is once handed to the data dir's owner (compose: root may
        # chown, not chmod, what it does not own).
        ensure_private_folder(job_dir)
        artifacts.checkpoint_dir(job.id).mkdir(parents=True, exist_ok=True)
        # Readable by an API that runs as the data dir's owner (compose), not only by root.
        artifacts.hand_over(artifacts.checkpoint_dir(job.id))
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
            "resume_from": runner_protocol.BOX_RESUME if resume_path is not None else None,
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
        if resume_path is not None:
            self.binds.append(Bind(resume_path, runner_protocol.BOX_RESUME))
        self.inputs = {
            Path(bind.target).name: Path(bind.source) for bind in self.binds if not bind.writable
        }

    def _limits(self, job: Job) -> BoxLimits:
        max_runtime_s = min(job.max_runtime_s or self.settings.job_max_runtime_s, 10**8)
        # CPU time sums over TensorFlow's threads: a backstop, the wall clock limit rules.
        return BoxLimits.from_settings(
            self.settings, cpu_seconds=max_runtime_s * (os.cpu_count() or 1) + 60
        )

    def _supervise(self, job: Job) -> None:
        """Starts the runner and relays its reports until it exits."""
        artifacts = self.resources.artifacts
        log_path = artifacts.log_path(job.id)
        try:
            # Earlier attempts' lines (maybe written on another host): this one appends.
            artifacts.fetch(log_path)
        except FileNotFoundError:
            pass
        except ArtifactStoreUnavailableError as error:
            logger.warning("Job %s: earlier attempts' log not fetched: %s", self.job_id, error)
        lifeline_write = -1
        self.log.open(log_path)
        artifacts.hand_over(log_path)
        try:
            self.warm_runner = self._hand_over_to_warm_runner()
            path = "warm runner" if self.warm_runner is not None else "fresh runner"
            self.log.horn_line(f"--- attempt {self.attempt_number} ({self.owner}), {path} ---")
            if self.warm_runner is not None:
                self.process = self.warm_runner.box
                report_read = self.warm_runner.report_read
                lifeline_write = self.warm_runner.lifeline_write
            else:
                report_read, lifeline_write = self._start_fresh_runner(job)
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
            self._relay(open_streams=len(readers))
            self.process.wait()
            self.stop_heartbeat.set()
            heartbeat.join()
        finally:
            # Whatever ended the relay, the lease is renewed no more: a supervisor that gave up
            # must not keep a job `running` that has no runner.
            self.stop_heartbeat.set()
            if lifeline_write >= 0:
                os.close(lifeline_write)
            self.log.close()
            if self.process is not None and self.process.poll() is None:
                self.process.stop()
            self._remove_work_folder()
            with self._lease_renewed():
                self._put_log()

    def _hand_over_to_warm_runner(self) -> WarmRunner | None:
        """Gives the job to a spare runner of this process (CPU jobs only: a spare's box has no
        devices); None when there is none alive or the hand-over failed."""
        if self.warm_runners is None or self.gpu_devices:
            return None
        spare = self.warm_runners.take()
        if spare is None:
            return None
        try:
            spare.hand_over(self.inputs)
        except OSError as error:
            logger.warning("Job %s: the warm runner could not take it: %s", self.job_id, error)
            spare.discard()
            return None
        return spare

    def _start_fresh_runner(self, job: Job) -> tuple[int, int]:
        """Starts the runner in a new box; returns its report pipe and lifeline (write end)."""
        report_read, report_write = os.pipe()
        lifeline_read, lifeline_write = os.pipe()
        try:
            self.process = start_box(
                "server.workers.runner",
                [runner_protocol.BOX_JOB_DIR, "--report-fd", str(report_write)],
                binds=self.binds,
                cwd=f"{runner_protocol.BOX_JOB_DIR}/{runner_protocol.WORK_FOLDER}",
                limits=self._limits(job),
                settings=self.settings,
                gpu_devices=self.gpu_devices,
                pass_fds=(report_write,),
                lifeline_fd=lifeline_read,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                label=f"runner of {job.id} in {self.settings.data_dir}",
            )
        except BaseException:
            os.close(report_read)
            os.close(lifeline_write)
            raise
        finally:
            os.close(report_write)
            os.close(lifeline_read)
        return report_read, lifeline_write

    def _relay(self, open_streams: int) -> None:
        """Relays report lines and output until every stream closed (or the box is gone)."""
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
                    return
                continue
            if line is None:
                open_streams -= 1
            elif kind == "report":
                self._handle_report(line)
            else:
                self.log.output(kind, line)

    @property
    def work_dir(self) -> Path:
        """This attempt's work folder on the host (`/job/work` in its box): the warm runner's
        own, else `jobs/<id>/work-<attempt>`."""
        if self.warm_runner is not None:
            return self.warm_runner.work_dir
        return self.attempt_work_dir

    @property
    def attempt_work_dir(self) -> Path:
        """Where this attempt's work folder is kept (`HORN_SANDBOX_KEEP_WORK_H`)."""
        job_dir = self.resources.artifacts.job_dir(self.job_id)
        return job_dir / f"{runner_protocol.WORK_FOLDER}-{self.attempt_number}"

    @contextlib.contextmanager
    def _lease_renewed(self) -> Any:
        """Renews the lease every HORN_HEARTBEAT_S while a step without the heartbeat thread
        runs (fetching the inputs before the runner starts, putting the log after it ended),
        unless the lease is lost (then `kill_reason` says so)."""
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.settings.heartbeat_s):
                if self.kill_reason in LEASE_KILL_REASONS:
                    return
                try:
                    with session_scope(self.resources.sessions) as session:
                        renewed = job_store.renew_lease(
                            session, self.lease, self.settings.lease_seconds
                        )
                except Exception as error:
                    logger.warning("Job %s: lease renewal failed: %s", self.job_id, error)
                    continue
                if not renewed:
                    self._kill("lease_lost")
                    return
                self.lease_confirmed_at = time.monotonic()

        thread = threading.Thread(target=renew, name=f"horn-lease-{self.job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _put_log(self, min_interval_s: float = 0.0) -> None:
        """Puts the job's log in the artifact store (with S3: an upload, at most every
        `min_interval_s`); a store that is down costs the upload, never the job."""
        artifacts = self.resources.artifacts
        if not artifacts.is_remote:
            return
        now = time.monotonic()
        if now - self.log_uploaded_at < min_interval_s:
            return
        self.log_uploaded_at = now
        try:
            artifacts.put(artifacts.log_path(self.job_id))
            self.log_stored = True
        except (OSError, ArtifactStoreUnavailableError) as error:
            self.log_stored = False
            logger.warning("Job %s: could not store its log: %s", self.job_id, error)

    def _evict_local_copies(self) -> None:
        """Drops this host's copies of a finished job's checkpoints (each recorded only once
        stored) and of its log once stored in S3; a no-op for the data dir."""
        artifacts = self.resources.artifacts
        artifacts.evict(artifacts.checkpoint_dir(self.job_id))
        if self.log_stored:
            artifacts.evict(artifacts.log_path(self.job_id))

    def _remove_work_folder(self) -> None:
        """Removes the attempt's work folder, unless HORN_SANDBOX_KEEP_WORK_H keeps it; a warm
        runner's is kept where a fresh one's would be, and the rest of its folder removed."""
        keep = self.settings.sandbox_keep_work_h > 0
        if self.warm_runner is not None:
            if keep:
                with contextlib.suppress(OSError):
                    os.rmdir(self.attempt_work_dir)  # the empty folder _prepare made
                try:
                    shutil.move(self.warm_runner.work_dir, self.attempt_work_dir)
                except OSError as error:
                    logger.warning("Job %s: work folder not kept: %s", self.job_id, error)
            remove_spare_folder(self.warm_runner.folder)
        if not keep:
            shutil.rmtree(self.attempt_work_dir, ignore_errors=True)

    def _mark_running(self) -> None:
        message = f"Attempt {self.attempt_number}: the runner started."
        if self._in_transaction(
            lambda session: job_store.mark_running(session, self.lease, self.epochs, message)
        ):
            self._publish_status(JobStatus.RUNNING, "runner_started", message)

    # --- the lease --------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        """Renews the lease; kills the runner on a cancel request, timeout or lost lease."""
        last_renewal = self.lease_confirmed_at = time.monotonic()
        while not self.stop_heartbeat.wait(CANCEL_POLL_S):
            if self.kill_reason in LEASE_KILL_REASONS:
                return  # the job may be another worker's by now: never renew this lease again
            now = time.monotonic()
            try:
                with session_scope(self.resources.sessions) as session:
                    if now - last_renewal >= self.settings.heartbeat_s:
                        renewed = job_store.renew_lease(
                            session, self.lease, self.settings.lease_seconds
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

    def check_lease(self) -> None:
        """Stops the runner when the lease went unconfirmed for 3/4 of its length.

        The database may be down (or the heartbeat stuck in a call to it, or the whole worker
        frozen): the lease may expire and another worker run the job, so this runner stops
        first — at most one runs a job at a time. Called by the relay loop and the heartbeat,
        never blocking.
        """
        unconfirmed_s = time.monotonic() - self.lease_confirmed_at
        if unconfirmed_s > self.settings.lease_seconds * 0.75 and self.kill_reason is None:
            logger.warning(
                "Job %s: lease unconfirmed for %.1f s; stopping its runner",
                self.job_id,
                unconfirmed_s,
            )
            self._kill_in_background("lease_unconfirmed")

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
            except DATABASE_ERRORS as error:
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

    # --- the runner's reports ---------------------------------------------------------------

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
            self.log.horn_line(str(report.get("line", "")), live=True)
        elif kind == "started":
            self.epochs = int(report.get("epochs") or self.epochs)
            self.log.horn_line(
                f"Training started: epochs {report.get('initial_epoch', 0) + 1}-{self.epochs}, "
                f"compiled by {report.get('compiled_by')}.",
                live=True,
            )
        elif kind == "error":
            self.log.horn_line(f"Error in {report.get('stage')}: {report.get('message')}")
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
        if self._stopping_before(epoch):
            return
        if not self._in_transaction(
            lambda session: job_store.record_metric(session, self.lease, epoch, step, values)
        ):
            self._kill_in_background("lease_lost")
            return
        if step is None:
            self.epoch = max(self.epoch, epoch)
        self._publish(EventType.METRIC, {"epoch": epoch, "step": step, **values})
        if step is None and self.sweep_id is not None:
            self._ask_the_searcher(epoch)

    def _stopping_before(self, epoch: int) -> bool:
        """Whether ASHA stopped the trial before `epoch`: the runner goes on until the kill
        lands, but what it reports past the rung is not kept."""
        if self.stop_after_epoch is None or epoch <= self.stop_after_epoch:
            return False
        self._kill_in_background("stopped_early")
        return True

    def _ask_the_searcher(self, epoch: int) -> None:
        """For a sweep trial: ASHA may stop it at this rung (after this epoch's checkpoint)."""
        if self.stop_after_epoch is not None:
            return
        decision = self._in_transaction(
            lambda session: sweep_store.asha_decision(session, self.job_id, epoch)
        )
        if decision is None or not decision.stop:
            return
        self.stop_after_epoch = epoch
        self.stop_message = (
            f"The sweep's ASHA searcher {decision.message()}; it trained {epoch} of "
            f"{self.epochs} epochs."
        )
        self.log.horn_line(self.stop_message, live=True)

    def _record_checkpoint(self, report: dict[str, Any]) -> None:
        """Copies a checkpoint out of the runner's folder into the job's and records it."""
        artifacts = self.resources.artifacts
        epoch = _checked_epoch(report.get("epoch"), self.epochs)
        if self._stopping_before(epoch):
            return
        expected = f"{runner_protocol.CHECKPOINT_FOLDER}/epoch-{epoch:04d}.keras"
        if report.get("path") != expected:
            logger.warning("Job %s: unexpected checkpoint path %r", self.job_id, report.get("path"))
            return
        owns_the_job = self._in_transaction(
            lambda session: job_store.update_owned_job(session, self.lease)
        )
        if not owns_the_job:
            self._kill_in_background("lease_lost")  # never overwrite the new owner's files
            return
        dest = artifacts.checkpoint_path(self.job_id, epoch)
        try:
            stored = copy_checkpoint_out(artifacts, self.work_dir / expected, dest, epoch)
        except DiskFullError as error:
            self.disk_full_message = str(error)
            self._kill_in_background("disk_full")
            return
        if stored is None:
            return
        try:
            artifacts.put(dest)
        except ArtifactStoreUnavailableError as error:
            # Recorded only once stored: the epoch has no checkpoint, training goes on.
            logger.warning(
                "Job %s: checkpoint of epoch %d not stored: %s", self.job_id, epoch, error
            )
            self.log.horn_line(f"Checkpoint of epoch {epoch} not stored: {error}", live=True)
            return
        path = artifacts.relative(dest)
        if not self._in_transaction(
            lambda session: job_store.record_checkpoint(
                session, self.lease, epoch, path, stored.size_bytes
            )
        ):
            self._kill_in_background("lease_lost")
            return
        self._put_log(min_interval_s=LOG_UPLOAD_INTERVAL_S)
        if self.stop_after_epoch is not None and epoch >= self.stop_after_epoch:
            self._kill_in_background("stopped_early")

    # --- the end ----------------------------------------------------------------------------

    def _conclude(self, job: Job) -> str:
        """Turns the runner's exit into the job's final status."""
        returncode = self.process.returncode
        if self.kill_reason in LEASE_KILL_REASONS:
            # Not this worker's job any more (or maybe not): it writes nothing of its state;
            # the reconciler queues it again once the lease expired.
            self._close_attempt(
                self.kill_reason,
                "The worker lost (or could not confirm) its lease on the job and stopped its "
                "runner.",
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
        if self.kill_reason == "stopped_early":
            return self._finish(JobStatus.SUCCEEDED, "stopped_early", self.stop_message)
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
        from server.workers.dispatch import enqueue_training_job

        message = f"{message} Queued again to resume from the latest checkpoint."
        requeued = self._in_transaction(
            lambda session: job_store.requeue_owned(session, self.lease, reason, message)
        )
        self._close_attempt(reason if requeued else "lease_lost", message)
        if not requeued:
            return "lease_lost"
        self._publish_status(JobStatus.QUEUED, reason, message)
        with session_scope(self.resources.sessions) as session:
            job_queue = job_store.job_queue(session, self.job_id)
        try:
            enqueue_training_job(self.settings, self.job_id, job_queue)
        except Exception as error:  # the reconciler sends it (enqueued_at is empty)
            logger.warning("Job %s: could not enqueue it again: %s", self.job_id, error)
            return JobStatus.QUEUED
        with session_scope(self.resources.sessions) as session:
            job_store.mark_enqueued(session, self.job_id, sent=True)
        return JobStatus.QUEUED

    def _crash_message(self, returncode: int | None) -> str:
        # TensorFlow's start-up lines (I0000 ..., cudart_stub ...) say nothing about the crash.
        tail = next(
            (
                line
                for line in reversed(self.log.stderr_tail)
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
            lambda session: job_store.finish_owned(session, self.lease, status, reason, message)
        )
        self._close_attempt(status if done else "lease_lost", message)
        if not done:
            return "lease_lost"
        self._publish_status(status, reason, message)
        return status

    def _close_attempt(self, outcome: str, message: str) -> None:
        """Closes this attempt's row; a database that stays down leaves it to the reconciler."""
        try:
            self._in_transaction(
                lambda session: job_store.close_attempt(session, self.lease, outcome, message)
            )
        except sqlalchemy.exc.SQLAlchemyError as error:
            logger.warning("Job %s: could not close attempt: %s", self.job_id, error)

    # --- events -----------------------------------------------------------------------------

    def _publish(self, kind: Any, data: dict[str, Any]) -> None:
        """Publishes a live event; an event bus that is down (Redis restarting) costs the event,
        never the job: the database has every metric, status and the log file every line."""
        try:
            self.resources.bus.publish(self.job_id, kind, data)
        except Exception as error:
            logger.warning("Job %s: could not publish a %s event: %s", self.job_id, kind, error)

    def _publish_status(self, status: str, reason: str, message: str) -> None:
        self._publish(
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
