"""Warm runners: spare runner processes, TensorFlow imported, each in an empty box of its own.

A fresh runner spends 2-7 s importing TensorFlow before a job's first metric. Each worker pool
process keeps `HORN_WORKER_WARM_RUNNERS` spares (0: none, every attempt starts a fresh box).
A spare is an ordinary runner box (`server.workers.sandbox.start_box`: its own uid, no network,
the same limits) whose `/job` is a folder of the worker's, still empty and bound read-only, and
whose `/job/work` is its own writable folder:

    <data_dir>/spares/<host>.<pid>.<token>/in     -> /job       (read-only)
    <data_dir>/spares/<host>.<pid>.<token>/work   -> /job/work  (read-write, the box's uid)

The runner (`--wait-fd`) imports TensorFlow and kerascore, then waits. Only Horn's own code runs
before a job is handed over, and a spare takes one job only: it is never given back. A CPU job's
supervisor takes one (`WarmRunnerPool.take`), links the job's spec, dataset, source and resume
checkpoint into `in/` (`WarmRunner.hand_over`: the same files the fresh box binds, readable by the
box, writable by nobody in it) and writes the go line; from then on it supervises the process
exactly like a fresh one. GPU jobs always get a fresh box: a spare cannot know their devices.

The pool lives in its pool process: started by Celery's `worker_process_init`, topped up in a
thread of its own when a spare is taken or a job ends, a spare that died (or is older than
`SPARE_MAX_AGE_S`) replaced, every spare killed when the process stops (and, should it die, by
the lifeline: the box goes with it). This module never imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from server.workers import runner as runner_protocol
from server.workers.sandbox import Bind, BoxLimits, BoxProcess, start_box

logger = logging.getLogger("horn.worker")

SPARES_FOLDER = "spares"
INPUTS_FOLDER = "in"
# A spare this old is replaced (its CPU-time limit counts from its start, like its uid lock).
SPARE_MAX_AGE_S = 6 * 3600.0
# How often the pool looks for spares that died.
CHECK_INTERVAL_S = 2.0


class WarmRunner:
    """One spare runner: its box, its pipes and its folder on the host.

    Args:
        folder: `<data_dir>/spares/<name>`, holding `in/` (the box's `/job`) and `work/`.
        box: the running box.
        report_read: read end of the runner's report pipe.
        go_write: write end of the pipe the runner waits on.
        lifeline_write: write end of the box's lifeline (closing it kills the box).
    """

    def __init__(
        self, folder: Path, box: BoxProcess, report_read: int, go_write: int, lifeline_write: int
    ):
        self.folder = folder
        self.box = box
        self.report_read = report_read
        self.go_write = go_write
        self.lifeline_write = lifeline_write
        self.started_at = time.monotonic()

    @property
    def inputs_dir(self) -> Path:
        """The folder the box sees read-only as `/job`."""
        return self.folder / INPUTS_FOLDER

    @property
    def work_dir(self) -> Path:
        """The folder the box sees read-write as `/job/work`."""
        return self.folder / runner_protocol.WORK_FOLDER

    def alive(self) -> bool:
        """Whether the runner still waits (or still imports TensorFlow)."""
        return self.box.poll() is None

    def hand_over(self, inputs: dict[str, Path]) -> None:
        """Puts a job's files into the box's `/job` and tells the runner to start.

        Args:
            inputs: host file by its name in `/job` (`job.json`, `dataset.npz`, `model.py`,
                `resume.keras`).

        Raises:
            OSError: a file could not be placed, or the runner is gone (`BrokenPipeError`); the
                caller discards the spare and starts a fresh box.
        """
        for name, source in inputs.items():
            link_or_copy(Path(source), self.inputs_dir / name)
        os.write(self.go_write, b"go\n")
        os.close(self.go_write)
        self.go_write = -1

    def discard(self) -> None:
        """Kills an unused spare (through its lifeline) and removes its folder."""
        for fd in (self.go_write, self.lifeline_write, self.report_read):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.go_write = self.lifeline_write = self.report_read = -1
        try:
            self.box.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.box.stop(grace_s=0.1)
        for stream in (self.box.process.stdout, self.box.process.stderr):
            if stream is not None:
                stream.close()
        remove_spare_folder(self.folder)


def link_or_copy(source: Path, dest: Path) -> None:
    """Shows `source` at `dest`: a hard link (same file, same mode), else a read-only copy."""
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError:
        temp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(source, temp, follow_symlinks=False)
        os.chmod(temp, 0o444)
        os.replace(temp, dest)


def remove_spare_folder(folder: Path) -> None:
    """Removes a spare's folder (its links to inputs and its work folder)."""
    shutil.rmtree(folder, ignore_errors=True)


def start_warm_runner(settings: Any, spares_root: Path) -> WarmRunner:
    """Starts one spare runner in a box of its own, with an empty `/job`.

    Args:
        settings: the service settings (limits, sandbox settings, `job_max_runtime_s`).
        spares_root: `<data_dir>/spares`.

    Returns:
        The spare (its runner imports TensorFlow meanwhile).
    """
    folder = spares_root / f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:12]}"
    folder.mkdir(mode=0o700)
    inputs = folder / INPUTS_FOLDER
    inputs.mkdir(mode=0o755)
    # The mount point of /job/work inside the read-only /job.
    (inputs / runner_protocol.WORK_FOLDER).mkdir(mode=0o755)
    work = folder / runner_protocol.WORK_FOLDER
    work.mkdir(mode=0o700)
    report_read, report_write = os.pipe()
    go_read, go_write = os.pipe()
    lifeline_read, lifeline_write = os.pipe()
    # The server's ceiling: the job's own max_runtime_s is the supervisor's wall-clock deadline.
    cpu_seconds = settings.job_max_runtime_s * (os.cpu_count() or 1) + 60
    try:
        box = start_box(
            "server.workers.runner",
            [
                runner_protocol.BOX_JOB_DIR,
                "--report-fd",
                str(report_write),
                "--wait-fd",
                str(go_read),
            ],
            binds=[
                Bind(inputs, runner_protocol.BOX_JOB_DIR),
                Bind(
                    work,
                    f"{runner_protocol.BOX_JOB_DIR}/{runner_protocol.WORK_FOLDER}",
                    writable=True,
                ),
            ],
            cwd=f"{runner_protocol.BOX_JOB_DIR}/{runner_protocol.WORK_FOLDER}",
            limits=BoxLimits.from_settings(settings, cpu_seconds=cpu_seconds),
            settings=settings,
            pass_fds=(report_write, go_read),
            lifeline_fd=lifeline_read,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            label=f"warm runner in {settings.data_dir}",
        )
    except BaseException:
        for fd in (report_read, go_write, lifeline_write):
            os.close(fd)
        remove_spare_folder(folder)
        raise
    finally:
        for fd in (report_write, go_read, lifeline_read):
            os.close(fd)
    return WarmRunner(folder, box, report_read, go_write, lifeline_write)


def remove_stale_spare_folders(spares_root: Path) -> None:
    """Removes folders left by spares of this host's pool processes that are gone."""
    host = socket.gethostname()
    with contextlib.suppress(FileNotFoundError):
        for folder in spares_root.iterdir():
            name_host, _, rest = folder.name.rpartition(".")[0].rpartition(".")
            pid = rest if name_host == host else ""
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                remove_spare_folder(folder)


class WarmRunnerPool:
    """The spare runners of one worker pool process.

    Args:
        settings: the service settings (`worker_warm_runners` spares are kept).
    """

    def __init__(self, settings: Any):
        self.settings = settings
        self.count = settings.worker_warm_runners
        self.spares_root = Path(settings.data_dir) / SPARES_FOLDER
        self.spares: list[WarmRunner] = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Starts the thread that keeps the spares (the first ones start at once)."""
        self.spares_root.mkdir(mode=0o700, parents=True, exist_ok=True)
        remove_stale_spare_folders(self.spares_root)
        self.thread = threading.Thread(target=self._keep, name="horn-warm-runners", daemon=True)
        self.thread.start()

    def take(self) -> WarmRunner | None:
        """Hands out the oldest live spare (most likely done importing), or None; the pool
        starts a replacement in the background."""
        taken, dead = None, []
        with self.lock:
            while self.spares and taken is None:
                spare = self.spares.pop(0)
                if spare.alive():
                    taken = spare
                else:
                    dead.append(spare)
        for spare in dead:
            spare.discard()
        self.refill()
        return taken

    def refill(self) -> None:
        """Asks the pool's thread to top the spares up now (after a take, after a job)."""
        self.wake.set()

    def stop(self) -> None:
        """Kills every spare and stops the thread."""
        self.stopped.set()
        self.wake.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=30)
        with self.lock:
            spares, self.spares = self.spares, []
        for spare in spares:
            spare.discard()

    def live_spares(self) -> list[WarmRunner]:
        """The spares waiting now (for tests and logs)."""
        with self.lock:
            return [spare for spare in self.spares if spare.alive()]

    def _keep(self) -> None:
        while not self.stopped.is_set():
            try:
                self._top_up()
            except Exception:
                logger.exception("Starting a warm runner failed; trying again later")
            self.wake.wait(CHECK_INTERVAL_S)
            self.wake.clear()

    def _top_up(self) -> None:
        """Replaces dead and old spares, then starts spares up to `count`."""
        now = time.monotonic()
        with self.lock:
            gone = [
                spare
                for spare in self.spares
                if not spare.alive() or now - spare.started_at > SPARE_MAX_AGE_S
            ]
            self.spares = [spare for spare in self.spares if spare not in gone]
        for spare in gone:
            logger.info("Warm runner in %s ended or aged; replacing it", spare.folder.name)
            spare.discard()
        while not self.stopped.is_set():
            with self.lock:
                if len(self.spares) >= self.count:
                    return
            spare = start_warm_runner(self.settings, self.spares_root)
            with self.lock:
                kept = not self.stopped.is_set()
                if kept:
                    self.spares.append(spare)
            if not kept:
                spare.discard()


_pool: WarmRunnerPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def start_process_pool(settings: Any) -> WarmRunnerPool | None:
    """Starts this process's pool (Celery's `worker_process_init`); None with 0 spares."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid():
            return _pool
        _pool, _pool_pid = None, os.getpid()
        if settings.worker_warm_runners <= 0:
            return None
        _pool = WarmRunnerPool(settings)
        _pool.start()
        return _pool


def process_pool() -> WarmRunnerPool | None:
    """This process's pool, if it started one (a forked child gets none of its parent's)."""
    return _pool if _pool_pid == os.getpid() else None


def stop_process_pool() -> None:
    """Kills this process's spares (Celery's `worker_process_shutdown`)."""
    global _pool
    with _pool_lock:
        pool = process_pool()
        _pool = None
    if pool is not None:
        pool.stop()
