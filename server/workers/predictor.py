"""Predictions from trained checkpoints, computed in boxed, long-lived processes.

One module on purpose (~670 lines): the pool and the process it starts speak the protocol
below; both halves are kept side by side so that a change to one is seen with the other.

`PredictorPool` lives in the serving process (`horn serve`, `server.workers.serving`), which
can build boxes; the API only authenticates and forwards. For each (job, checkpoint) it keeps
one predictor process, in its own box like a training runner, that loads the `.keras` file once
and answers requests. Concurrent requests for the same
checkpoint are merged into one micro-batch. Rows are checked against the model's input shapes
in the API process, so a bad request answers with the expected and received shapes without a
round trip. Idle predictors are stopped after `predictor_idle_s`; at most
`predictor_max_processes` stay alive (least recently used stopped first).
`predictor_warm_spares` spare processes (default 1), TensorFlow already imported, wait for the
next checkpoint, so that loading one takes about half a second rather than seconds.

The predictor process (`python -m server.workers.predictor`) reads JSON lines from its request
pipe and answers on its response pipe, one line per request, with the request's `id`:

- `{"id", "type": "load", "checkpoint": path, "source": path | null}` ->
  `{"id", "ok": true, "inputs": [{"name", "shape", "dtype"}], "outputs": [names]}`
- `{"id", "type": "predict", "inputs": {name: rows}}` ->
  `{"id", "ok": true, "outputs": [rows, ...]}` (one list per model output)
- on failure: `{"id", "ok": false, "error": {"kind", "message"}}`.

It exits when its request pipe closes (the pool closed it, or the API process died).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import itertools
import json
import os
import shutil
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from server.workers.sandbox import Bind, BoxLimits, start_box

CHECKPOINT_FILENAME = "model.keras"
SOURCE_FILENAME = "model_source.py"
# A predictor's box: what it loads appears read-only in /box/in (written there by the pool after
# the box started, so spares can start before anyone asks), and /box/work is its own folder.
BOX_INPUT_DIR = "/box/in"
BOX_WORK_DIR = "/box/work"
_REAPER_INTERVAL_S = 5.0


class PredictionInputError(ValueError):
    """A predict request whose rows do not fit the model's inputs.

    Args:
        message: what is wrong, naming the expected and received shapes.
        details: machine-readable details (`input`, `expected_shape`, `received_shape`, ...).
    """

    def __init__(
        self,
        message: str,
        details: dict[str, Any] | None = None,
        code: str = "invalid_prediction_input",
        status: int = 422,
    ):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.code = code
        self.status = status


class PredictorError(RuntimeError):
    """The predictor could not load the checkpoint or answer (not the request's fault)."""


class PredictorCrashedError(PredictorError):
    """The predictor process died while it handled a request."""


class PredictorBusyError(PredictorError):
    """A predictor's queue is full (HORN_PREDICTOR_MAX_QUEUE): retry shortly."""


class PredictorTimeoutError(PredictorError, TimeoutError):
    """The predictor did not answer within `predictor_timeout_s`."""


class _Request:
    """One caller's rows waiting for a micro-batch."""

    def __init__(self, inputs: dict[str, np.ndarray], rows: int):
        self.inputs = inputs
        self.rows = rows
        self.future: concurrent.futures.Future = concurrent.futures.Future()


class _PredictorProcess:
    """A boxed predictor process and the pipes to it.

    Args:
        folder: the process's folder on the host: `in/` (the pool's, read-only in the box),
            `work/` (the box's own) and `predictor.log`.
        settings: the service settings (limits, network).
    """

    def __init__(self, folder: Path, settings: Any):
        self.folder = folder
        self.input_dir = folder / "in"
        self.input_dir.mkdir(mode=0o755, parents=True)
        (folder / "work").mkdir(mode=0o700)
        request_read, self.request_write = os.pipe()
        self.response_read, response_write = os.pipe()
        # The box dies when this process does: only it holds the lifeline's write end.
        lifeline_read, self.lifeline_write = os.pipe()
        self.log = open(folder / "predictor.log", "ab")  # noqa: SIM115
        try:
            self.process = start_box(
                "server.workers.predictor",
                ["--request-fd", str(request_read), "--response-fd", str(response_write)],
                binds=[
                    Bind(self.input_dir, BOX_INPUT_DIR),
                    Bind(folder / "work", BOX_WORK_DIR, writable=True),
                ],
                cwd=BOX_WORK_DIR,
                limits=BoxLimits.from_settings(settings),
                settings=settings,
                pass_fds=(request_read, response_write),
                lifeline_fd=lifeline_read,
                label=f"predictor in {settings.data_dir}",
                stdout=self.log,
                stderr=self.log,
            )
        finally:
            os.close(request_read)
            os.close(response_write)
            os.close(lifeline_read)
        self.writer = os.fdopen(self.request_write, "wb", buffering=0)
        self.reader = os.fdopen(self.response_read, "rb")
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def call(
        self,
        message: dict[str, Any],
        timeout_s: float,
        arrays: dict[str, np.ndarray] | None = None,
    ) -> dict[str, Any]:
        """Sends one request (with `arrays` as binary frames) and waits for its answer.

        Returns:
            The answer; arrays it carried are under `"arrays"` (a list, in order).

        Raises:
            PredictorError: if the process died, answered with an error or took too long.
        """
        with self.lock:
            message = {"id": next(self.ids), **message}
            result: dict[str, Any] = {}

            def exchange() -> None:
                write_frame(self.writer, message, arrays or {})
                result["answer"] = read_frame(self.reader)

            worker = threading.Thread(target=exchange, daemon=True)
            worker.start()
            worker.join(timeout_s)
            if worker.is_alive():
                self.close()
                raise PredictorTimeoutError(
                    f"The predictor did not answer within {timeout_s:g} s "
                    "(HORN_PREDICTOR_TIMEOUT_S); it was stopped."
                )
        answer = result.get("answer")
        if answer is None:
            code = self.process.poll()
            self.close()
            raise PredictorCrashedError(
                f"The predictor process exited (status {code}) before it answered."
            )
        if not answer.get("ok"):
            error = answer.get("error") or {}
            raise PredictorError(f"{error.get('kind', 'Error')}: {error.get('message', '')}")
        return answer

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def close(self) -> None:
        """Stops the process and its group, and closes the pipes."""
        for stream in (self.writer, self.reader, self.log):
            with contextlib.suppress(OSError):
                stream.close()
        self.process.stop(grace_s=1.0)
        if self.lifeline_write >= 0:
            os.close(self.lifeline_write)
            self.lifeline_write = -1
        shutil.rmtree(self.folder, ignore_errors=True)


class _Predictor:
    """A loaded checkpoint: its process, its input specs and its micro-batching thread."""

    def __init__(self, process: _PredictorProcess, load_answer: dict[str, Any], settings: Any):
        self.process = process
        self.inputs = load_answer.get("inputs") or []
        self.outputs = load_answer.get("outputs") or []
        self.settings = settings
        self.queue: collections.deque[_Request] = collections.deque()
        self.condition = threading.Condition()
        self.last_used = time.monotonic()
        self.closed = False
        self.batches_run = 0
        self.thread = threading.Thread(target=self._batch_loop, name="horn-predictor", daemon=True)
        self.thread.start()

    def submit(self, inputs: dict[str, np.ndarray], rows: int) -> concurrent.futures.Future:
        """Queues rows for the next micro-batch; returns a future of the outputs."""
        request = _Request(inputs, rows)
        with self.condition:
            if self.closed:
                raise PredictorError("The predictor was stopped; send the request again.")
            if len(self.queue) >= self.settings.predictor_max_queue:
                raise PredictorBusyError(
                    f"{len(self.queue)} requests already wait for this model "
                    "(HORN_PREDICTOR_MAX_QUEUE); retry in a second."
                )
            self.last_used = time.monotonic()
            self.queue.append(request)
            self.condition.notify()
        return request.future

    def _batch_loop(self) -> None:
        max_rows = self.settings.predictor_max_batch
        wait_s = self.settings.predictor_batch_wait_ms / 1000
        while True:
            with self.condition:
                while not self.queue and not self.closed:
                    self.condition.wait()
                if self.closed:
                    pending = list(self.queue)
                    self.queue.clear()
                    for request in pending:
                        request.future.set_exception(PredictorError("The predictor was stopped."))
                    return
                batch = [self.queue.popleft()]
                deadline = time.monotonic() + wait_s
                while sum(r.rows for r in batch) < max_rows:
                    if not self.queue:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self.condition.wait(remaining)
                        continue
                    if sum(r.rows for r in batch) + self.queue[0].rows > max_rows:
                        break
                    batch.append(self.queue.popleft())
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Request]) -> None:
        names = list(batch[0].inputs)
        merged = {
            name: np.concatenate([request.inputs[name] for request in batch]) for name in names
        }
        self.batches_run += 1
        try:
            answer = self.process.call(
                {"type": "predict"}, self.settings.predictor_timeout_s, arrays=merged
            )
        except Exception as exc:
            for request in batch:
                request.future.set_exception(exc)
            return
        outputs = answer["arrays"]
        start = 0
        for request in batch:
            end = start + request.rows
            request.future.set_result([output[start:end] for output in outputs])
            start = end

    def close(self) -> None:
        """Stops the batching thread and the process."""
        with self.condition:
            self.closed = True
            self.condition.notify_all()
        self.process.close()


class PredictorPool:
    """Sandboxed predictor processes, one per (job, checkpoint), shared by API requests.

    Args:
        settings: the service settings (`predictor_*`, `sandbox_*`).
    """

    def __init__(self, settings: Any):
        self.settings = settings
        self.root = Path(settings.data_dir) / "predictors"
        # Folders of a previous run's predictors (their boxes died with it).
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._predictors: collections.OrderedDict[tuple, _Predictor] = collections.OrderedDict()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()
        self._spares: list[_PredictorProcess] = []
        self._closed = False
        self._reaper = threading.Thread(target=self._reap_idle, name="horn-reaper", daemon=True)
        self._reaper.start()

    def predict(
        self,
        job_id: str,
        checkpoint_path: Path,
        payload: dict[str, Any],
        source_path: Path | None = None,
    ) -> list:
        """Predicts with a job's checkpoint.

        Thread-safe and blocking (call it from a worker thread in async code); concurrent calls
        for the same checkpoint share micro-batches.

        Args:
            job_id: the job's id.
            checkpoint_path: absolute path of the `.keras` checkpoint.
            source_path: the job's model source (its custom layers register before loading).
            payload: `{"instances": [row, ...]}` (a row per example; a dict by input name for
                several inputs) or `{"inputs": {name: [row, ...]}}` (or `{"inputs": [row, ...]}`
                for a single input).

        Returns:
            One prediction per row: an array of the rows' outputs, or a dict by output name per
            row for several outputs (`orjson.OPT_SERIALIZE_NUMPY` writes either as JSON).

        Raises:
            PredictionInputError: if the payload does not fit the model's inputs.
            PredictorError: if the checkpoint cannot be loaded or the predictor fails.
        """
        predictor = self._predictor_for(job_id, Path(checkpoint_path), source_path)
        inputs, rows = validate_payload(payload, predictor.inputs, self.settings)
        future = predictor.submit(inputs, rows)
        outputs = future.result(timeout=self.settings.predictor_timeout_s + 5)
        if len(outputs) == 1:
            return outputs[0]
        names = predictor.outputs or [f"output_{i}" for i in range(len(outputs))]
        return [
            {name: output[i] for name, output in zip(names, outputs, strict=True)}
            for i in range(rows)
        ]

    def export(self, job_id: str, checkpoint_path: Path, source_path: Path | None = None) -> bytes:
        """A TensorFlow SavedModel of a checkpoint (`serving_default` signature) as a `.tar.gz`.

        The checkpoint's predictor writes it in its box (`model.export`); the archive is read out
        of the box's folder without following links, within HORN_SANDBOX_DISK_MB.

        Raises:
            PredictorError: if the checkpoint cannot be loaded or exported.
        """
        # Here, not at the top: the predictor process imports this module in its box.
        from server.workers.checkpoints import archive_box_folder

        predictor = self._predictor_for(job_id, Path(checkpoint_path), source_path)
        folder = f"export-{uuid.uuid4().hex}"
        host_folder = predictor.process.folder / "work" / folder
        try:
            predictor.process.call(
                {"type": "export", "folder": folder}, self.settings.predictor_timeout_s
            )
            limit = self.settings.sandbox_disk_mb * 1024 * 1024
            try:
                return archive_box_folder(host_folder, "savedmodel", limit)
            except (OSError, ValueError) as error:
                raise PredictorError(f"The exported model could not be read: {error}") from error
        finally:
            shutil.rmtree(host_folder, ignore_errors=True)

    def warm_up(self) -> None:
        """Starts the spare processes now (`predictor_warm_spares`; TensorFlow loads meanwhile)."""
        with self._lock:
            self._ensure_spares()

    def close(self) -> None:
        """Stops every predictor process."""
        with self._lock:
            self._closed = True
            predictors = list(self._predictors.values())
            self._predictors.clear()
            spares, self._spares = self._spares, []
        for process in [*predictors, *spares]:
            process.close()

    def stats(self) -> list[dict[str, Any]]:
        """Per loaded predictor: job id, checkpoint, process id and micro-batches run."""
        with self._lock:
            return [
                {
                    "job_id": key[0],
                    "checkpoint": key[1],
                    "pid": predictor.process.process.pid,
                    "batches": predictor.batches_run,
                }
                for key, predictor in self._predictors.items()
            ]

    def _predictor_for(
        self, job_id: str, checkpoint_path: Path, source_path: Path | None
    ) -> _Predictor:
        try:
            stamp = checkpoint_path.stat().st_mtime_ns
        except OSError as exc:
            raise PredictorError(f"The checkpoint {checkpoint_path} is missing.") from exc
        key = (job_id, str(checkpoint_path), stamp)
        with self._lock:
            if self._closed:
                raise PredictorError("The predictor pool is closed.")
            predictor = self._predictors.get(key)
            if predictor is not None and predictor.process.alive():
                self._predictors.move_to_end(key)
                predictor.last_used = time.monotonic()
                return predictor
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                predictor = self._predictors.get(key)
                if predictor is not None and predictor.process.alive():
                    return predictor
                process = self._take_spare()
            predictor = self._load(process, checkpoint_path, source_path)
            with self._lock:
                stale = self._predictors.pop(key, None)
                self._predictors[key] = predictor
                evicted = []
                while len(self._predictors) > self.settings.predictor_max_processes:
                    old_key, old_predictor = self._predictors.popitem(last=False)
                    self._key_locks.pop(old_key, None)
                    evicted.append(old_predictor)
                self._ensure_spares()
            for old in [stale, *evicted]:
                if old is not None:
                    old.close()
            return predictor

    def _load(
        self, process: _PredictorProcess, checkpoint: Path, source: Path | None
    ) -> _Predictor:
        """Hands a checkpoint (and the job's model source, for custom objects) to a process."""
        _copy_new_file(checkpoint, process.input_dir / CHECKPOINT_FILENAME)
        if source is not None:
            _copy_new_file(source, process.input_dir / SOURCE_FILENAME)
        try:
            answer = process.call(
                {
                    "type": "load",
                    "checkpoint": f"{BOX_INPUT_DIR}/{CHECKPOINT_FILENAME}",
                    "source": f"{BOX_INPUT_DIR}/{SOURCE_FILENAME}" if source is not None else None,
                },
                self.settings.predictor_timeout_s,
            )
        except Exception:
            process.close()
            raise
        return _Predictor(process, answer, self.settings)

    def _take_spare(self) -> _PredictorProcess:
        """Returns a spare process, or a new one when there is none; caller holds the lock."""
        while self._spares:
            spare = self._spares.pop(0)
            if spare.alive():
                return spare
            spare.close()
        return self._start_process()

    def _ensure_spares(self) -> None:
        """Tops up the spare processes (they import TensorFlow while nobody waits for them)."""
        while len(self._spares) < self.settings.predictor_warm_spares and not self._closed:
            self._spares.append(self._start_process())

    def _start_process(self) -> _PredictorProcess:
        return _PredictorProcess(self.root / uuid.uuid4().hex, self.settings)

    def _reap_idle(self) -> None:
        while True:
            time.sleep(min(_REAPER_INTERVAL_S, self.settings.predictor_idle_s / 2))
            now = time.monotonic()
            with self._lock:
                if self._closed:
                    return
                idle = [
                    key
                    for key, predictor in self._predictors.items()
                    if now - predictor.last_used > self.settings.predictor_idle_s
                    or not predictor.process.alive()
                ]
                stopped = [self._predictors.pop(key) for key in idle]
                for key in idle:
                    self._key_locks.pop(key, None)
            for predictor in stopped:
                predictor.close()


def _copy_new_file(source: Path, dest: Path) -> None:
    """Copies `source` to a new file `dest` (never through a link planted in the folder)."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
        shutil.copyfileobj(src, out)


def write_frame(stream: Any, message: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Writes a message as one JSON line, then its arrays' raw bytes (C order, in the order of
    `message["arrays"]`): the rows cross the pipe without a JSON round trip."""
    meta = []
    chunks = []
    for name, array in arrays.items():
        if array.dtype.kind == "O":  # text as Python objects: fixed-width unicode has bytes
            array = array.astype(str)
        array = np.ascontiguousarray(array)
        meta.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape)})
        chunks.append(array.tobytes())
    header = {**message, "arrays": meta} if arrays else message
    stream.write(json.dumps(header).encode() + b"\n" + b"".join(chunks))


def read_frame(stream: Any) -> dict[str, Any] | None:
    """Reads what `write_frame` wrote: the message, with its arrays under `"arrays"` (a list in
    order) and their names under `"array_names"`; None at the end of the stream."""
    line = stream.readline()
    if not line:
        return None
    message = json.loads(line)
    meta = message.get("arrays") or []
    arrays = []
    for item in meta:
        dtype = np.dtype(item["dtype"])
        shape = tuple(int(size) for size in item["shape"])
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        data = stream.read(nbytes)
        if len(data) != nbytes:
            return None
        arrays.append(np.frombuffer(data, dtype=dtype).reshape(shape))
    message["arrays"] = arrays
    message["array_names"] = [item["name"] for item in meta]
    return message


PREDICT_BODY_KEYS = ("instances", "inputs", "signature_name")


def check_body(raw: bytes, settings: Any) -> dict[str, Any]:
    """Parses a client's predict body (the one parse of its rows) and checks its form.

    TensorFlow Serving's REST shapes: `{"instances": [row, ...]}` or `{"inputs": ...}` (an object
    of columns by input name, or a single input's rows), with an optional
    `"signature_name": "serving_default"`.

    Returns:
        The payload without `signature_name`.

    Raises:
        PredictionInputError: 422 `validation_error` naming what is wrong; 413
            `too_many_instances` past HORN_PREDICT_MAX_INSTANCES.
    """
    hint = 'Send {"instances": [[...], ...]} or {"inputs": {"name": [...]}}.'

    def invalid(problem: str, **details: Any) -> PredictionInputError:
        return PredictionInputError(
            f"The predict body is invalid: {problem}. {hint}", details, "validation_error"
        )

    try:
        body = orjson.loads(raw or b"null")  # several times faster than json on long rows
    except ValueError as error:
        raise invalid(f"not JSON ({error})") from None
    if not isinstance(body, dict):
        raise invalid(f"expected a JSON object, received {type(body).__name__}")
    unknown = sorted(set(body) - set(PREDICT_BODY_KEYS))
    if unknown:
        raise invalid(f"unknown fields {unknown}", unknown=unknown)
    signature = body.pop("signature_name", None)
    if signature not in (None, "serving_default"):
        raise invalid(f"signature_name must be 'serving_default'. Received: {signature!r}")
    if ("instances" in body) == ("inputs" in body):
        raise invalid(
            'expected exactly one of "instances" (a list of rows) or "inputs" (an object of '
            "columns by input name)"
        )
    if "instances" in body:
        instances = body["instances"]
        if not isinstance(instances, list) or not instances:
            raise invalid(f'expected at least one row in "instances". Received: {instances!r:.50}')
        if len(instances) > settings.predict_max_instances:
            raise PredictionInputError(
                f"At most {settings.predict_max_instances} instances per request "
                f"(HORN_PREDICT_MAX_INSTANCES). Received: {len(instances)}. Split the request.",
                {"instances": len(instances), "limit": settings.predict_max_instances},
                "too_many_instances",
                413,
            )
    elif not isinstance(body["inputs"], (dict, list)) or not body["inputs"]:
        raise invalid(f'expected at least one input in "inputs". Received: {body["inputs"]!r:.50}')
    return body


def validate_payload(
    payload: Any, specs: list[dict[str, Any]], settings: Any
) -> tuple[dict[str, np.ndarray], int]:
    """Turns a predict payload into arrays by input name, checked against the model's inputs.

    Args:
        payload: `{"instances": [...]}` or `{"inputs": {...}}` (or `{"inputs": [...]}`).
        specs: the model's inputs: `{"name", "shape" (batch first, None unknown), "dtype"}`.
        settings: the settings (`predict_max_instances`).

    Returns:
        The arrays by input name and the number of rows.

    Raises:
        PredictionInputError: naming what does not fit (expected and received shapes).
    """
    if not isinstance(payload, dict) or ("instances" in payload) == ("inputs" in payload):
        received = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise PredictionInputError(
            'Expected a JSON object with either "instances" (a list of rows) or "inputs" '
            f"(arrays by input name). Received keys: {received}",
            {"expected": ["instances", "inputs"]},
        )
    names = [spec["name"] for spec in specs] or ["input"]
    if "instances" in payload:
        instances = payload["instances"]
        if not isinstance(instances, list) or not instances:
            raise PredictionInputError(
                '"instances" must be a non-empty list of rows. '
                f"Received: {type(instances).__name__} of length "
                f"{len(instances) if isinstance(instances, list) else 'n/a'}",
                {"field": "instances"},
            )
        if all(isinstance(row, dict) for row in instances):
            columns = {name: [row.get(name) for row in instances] for name in names}
        elif len(names) == 1:
            columns = {names[0]: instances}
        else:
            raise PredictionInputError(
                f"The model has {len(names)} inputs {names}; give each instance as an object "
                'by input name, or use "inputs": {name: rows}.',
                {"inputs": names},
            )
    else:
        given = payload["inputs"]
        if isinstance(given, list) and len(names) == 1:
            given = {names[0]: given}
        if not isinstance(given, dict):
            raise PredictionInputError(
                f'"inputs" must be an object of arrays by input name {names}. '
                f"Received: {type(given).__name__}",
                {"inputs": names},
            )
        unknown = sorted(set(given) - set(names))
        missing = [name for name in names if name not in given]
        if specs and (unknown or missing):
            raise PredictionInputError(
                f"Expected arrays for the model's inputs {names}. Missing: {missing}; "
                f"unknown: {unknown}",
                {"expected_inputs": names, "missing": missing, "unknown": unknown},
            )
        columns = {name: given[name] for name in names if name in given}
    spec_by_name = {spec["name"]: spec for spec in specs}
    arrays = {}
    rows = None
    for name, column in columns.items():
        spec = spec_by_name.get(name, {})
        arrays[name] = _to_array(name, column, spec)
        count = arrays[name].shape[0]
        if rows is not None and count != rows:
            raise PredictionInputError(
                f"Every input needs the same number of rows. Received {rows} and {count} "
                f"(input {name!r}).",
                {"input": name, "rows": [rows, count]},
            )
        rows = count
    if not rows:
        raise PredictionInputError("Expected at least one row to predict. Received: 0 rows", {})
    if rows > settings.predict_max_instances:
        raise PredictionInputError(
            f"At most {settings.predict_max_instances} rows per request "
            f"(HORN_PREDICT_MAX_INSTANCES). Received: {rows}",
            {"max_instances": settings.predict_max_instances, "rows": rows},
        )
    return arrays, rows


def _to_array(name: str, column: Any, spec: dict[str, Any]) -> np.ndarray:
    """Converts one input's rows to an array and checks it against the input's shape."""
    expected = spec.get("shape")
    dtype = spec.get("dtype") or "float32"
    if not np.issubdtype(np.dtype(dtype), np.number) and dtype != "bool":
        dtype = None
    try:
        array = np.asarray(column, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        shape_text = f" of shape {_shape_text(expected[1:])}" if expected else ""
        raise PredictionInputError(
            f"Input {name!r} expects rows{shape_text} of numbers; the rows given are ragged or "
            f"not numeric, or out of range for {dtype} ({exc}).",
            {"input": name, "expected_shape": expected},
        ) from exc
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        rows = sorted({int(i) for i in np.argwhere(~np.isfinite(array))[:, 0][:10]})
        raise PredictionInputError(
            f"Input {name!r} holds NaN or infinite values (rows {rows}); a model cannot predict "
            "from them. Send finite numbers.",
            {"input": name, "rows": rows},
        )
    if expected is None:
        return array
    fits = array.ndim == len(expected) and all(
        want is None or want == got for want, got in zip(expected[1:], array.shape[1:], strict=True)
    )
    if not fits:
        received = list(array.shape)
        raise PredictionInputError(
            f"Input {name!r} expects rows of shape {_shape_text(expected[1:])} "
            f"(batch shape {_shape_text(expected)}); received {received[0] if received else 0} "
            f"rows of shape {_shape_text(received[1:])} (batch shape {_shape_text(received)}).",
            {"input": name, "expected_shape": expected, "received_shape": received},
        )
    return array


def _shape_text(shape: list[Any]) -> str:
    inner = ", ".join("None" if dim is None else str(dim) for dim in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _input_specs(model: Any) -> list[dict[str, Any]]:
    """The model's inputs as `{"name", "shape", "dtype"}` (empty when the model has none)."""
    specs = []
    for index, tensor in enumerate(getattr(model, "inputs", None) or []):
        name = getattr(tensor, "name", None) or f"input_{index}"
        dtype = getattr(tensor, "dtype", "float32")
        specs.append(
            {
                "name": str(name).split(":")[0],
                "shape": [None if dim is None else int(dim) for dim in tensor.shape],
                "dtype": getattr(dtype, "name", str(dtype)),
            }
        )
    return specs


def serve(request_fd: int, response_fd: int) -> int:
    """The predictor process's loop: load one checkpoint, answer predict requests."""
    import kerascore
    from server.workers.runner import load_user_module

    requests = os.fdopen(request_fd, "rb")
    responses = os.fdopen(response_fd, "wb", buffering=0)
    model = None
    specs: list[dict[str, Any]] = []
    while (message := read_frame(requests)) is not None:
        answer: dict[str, Any] = {"id": message.get("id"), "ok": True}
        outputs: dict[str, np.ndarray] = {}
        try:
            if message["type"] == "load":
                if message.get("source"):
                    # Registers the source's custom layers and losses for load_model.
                    load_user_module(message["source"])
                model = kerascore.models.load_model(message["checkpoint"])
                specs = _input_specs(model)
                answer["inputs"] = specs
                answer["outputs"] = [
                    str(getattr(t, "name", f"output_{i}")).split(":")[0]
                    for i, t in enumerate(getattr(model, "outputs", None) or [])
                ]
            elif message["type"] == "predict":
                if model is None:
                    raise RuntimeError("No checkpoint loaded.")
                by_name = dict(zip(message["array_names"], message["arrays"], strict=True))
                arrays = [
                    by_name[spec["name"]].astype(spec["dtype"], copy=False) for spec in specs
                ] or [next(iter(by_name.values())).astype("float32", copy=False)]
                x = arrays[0] if len(arrays) == 1 else arrays
                result = model.predict(x, batch_size=max(len(arrays[0]), 1), verbose=0)
                if isinstance(result, dict):
                    result = list(result.values())
                results = result if isinstance(result, (list, tuple)) else [result]
                outputs = {f"output_{i}": np.asarray(out) for i, out in enumerate(results)}
            elif message["type"] == "export":
                if model is None:
                    raise RuntimeError("No checkpoint loaded.")
                folder = str(message["folder"])
                if "/" in folder or folder in ("", ".", ".."):
                    raise ValueError(f"Not a folder name: {folder!r}")
                model.export(f"{BOX_WORK_DIR}/{folder}", verbose=False)
            else:
                raise ValueError(f"Unknown request type {message.get('type')!r}.")
        except Exception as exc:
            traceback.print_exc()
            outputs = {}
            answer = {
                "id": message.get("id"),
                "ok": False,
                "error": {"kind": type(exc).__name__, "message": str(exc)},
            }
        write_frame(responses, answer, outputs)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the predictor process."""
    parser = argparse.ArgumentParser(prog="python -m server.workers.predictor")
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--response-fd", type=int, required=True)
    args = parser.parse_args(argv)
    return serve(args.request_fd, args.response_fd)


if __name__ == "__main__":
    sys.exit(main())
