"""A Python client of Horn's HTTP API (v1); the `horn` command uses it.

One module on purpose (~900 lines): `from server.client import Horn` is the whole client, with
the response types it returns, and imports nothing of the server.

Example:

```python
from server.client import Horn, MetricEvent

with Horn("http://127.0.0.1:8000", api_key="horn_...") as horn:
    dataset = horn.push_dataset("digits.npz")
    model = horn.push_model("model.py")
    job = horn.create_job(model.id, dataset.id, hyperparameters={"units": 64},
                          training={"epochs": 5})
    for event in horn.events(job.id):
        if isinstance(event, MetricEvent) and event.step is None:
            print(event.epoch, event.values)
    horn.download_checkpoint(job.id, "model.keras")

    space = {"units": {"type": "choice", "values": [32, 64]},
             "lr": {"type": "loguniform", "low": 1e-4, "high": 1e-2}}
    sweep = horn.create_sweep(model.id, dataset.id, space, searcher="asha",
                              metric="val_accuracy", mode="max", max_trials=8,
                              training={"epochs": 9, "validation_split": 0.2})
    print(horn.wait_sweep(sweep.id).best_trial)
```

It imports no TensorFlow: only `httpx`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

# The server's JobStatus.TERMINAL, repeated: the client imports nothing of the server.
# Sweeps end in the same three statuses.
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
SEARCHERS = ("grid", "random", "asha")
DEFAULT_TIMEOUT_S = 30.0


class HornError(Exception):
    """An error answered by the Horn API (or met on the way to it).

    Args:
        status: the HTTP status, or None when no answer came.
        code: the API's machine code, e.g. `not_found`.
        message: what was wrong and what to do.
        details: the API's details (offending values), if any.
    """

    def __init__(self, status: int | None, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class HornConnectionError(HornError):
    """The server could not be reached (refused, unknown host, timed out)."""


class HornAuthError(HornError):
    """The API key is missing, unknown or revoked (401)."""


class HornNotFound(HornError):
    """The resource does not exist or belongs to another tenant (404)."""


Record = TypeVar("Record")


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _record(cls: type[Record], data: dict[str, Any]) -> Record:
    """Builds dataclass `cls` from an API body, ignoring fields this client does not know."""
    known = {field.name: field for field in dataclasses.fields(cls)}
    values = {}
    for name, value in data.items():
        if name not in known:
            continue
        if name.endswith("_at"):
            value = _parse_time(value)
        values[name] = value
    return cls(**values)


def to_json(value: Any) -> Any:
    """Returns a result of this client (dataclasses, lists of them) as JSON-able data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {field.name: to_json(getattr(value, field.name)) for field in fields}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


@dataclasses.dataclass
class Dataset:
    """An uploaded dataset with its summary (arrays, shapes, dtypes, rows)."""

    id: str
    name: str
    filename: str
    format: str
    sha256: str
    size_bytes: int
    summary: dict[str, Any]
    created_at: datetime | None = None


@dataclasses.dataclass
class Model:
    """An uploaded model source; `source` is only set by `Horn.get_model`."""

    id: str
    name: str
    filename: str
    sha256: str
    size_bytes: int
    entry_point: str = "build_model"
    created_at: datetime | None = None
    source: str | None = None


@dataclasses.dataclass
class Attempt:
    """One run of a job by a worker (`worker` names it)."""

    number: int
    worker: str | None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    message: str | None = None


@dataclasses.dataclass
class Job:
    """A training job and its live state."""

    id: str
    status: str
    name: str | None = None
    reason: str | None = None
    message: str | None = None
    model_id: str | None = None
    dataset_id: str | None = None
    hyperparameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    training: dict[str, Any] = dataclasses.field(default_factory=dict)
    resources: dict[str, Any] = dataclasses.field(default_factory=dict)
    max_runtime_s: int | None = None
    queue: str | None = None
    epoch: int = 0
    epochs: int | None = None
    metrics: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cancel_requested: bool = False
    priority: int = 0
    sweep_id: str | None = None
    trial_index: int | None = None
    waiting: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: list[Attempt] = dataclasses.field(default_factory=list)

    @property
    def is_terminal(self) -> bool:
        """Whether the job has finished (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Job:
        """Builds a job from an API body."""
        progress = data.get("progress") or {}
        job = _record(cls, {**data, "attempts": []})
        job.epoch = progress.get("epoch", 0)
        job.epochs = progress.get("epochs")
        job.attempts = [_record(Attempt, item) for item in data.get("attempts", [])]
        return job


@dataclasses.dataclass
class Trial:
    """One trial of a sweep: an ordinary job trained with `hyperparameters` (the sampled
    values only; the job holds them merged with the sweep's fixed ones)."""

    index: int
    status: str
    job_id: str | None = None
    hyperparameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    reason: str | None = None
    message: str | None = None
    epoch: int = 0
    epochs: int | None = None
    best_metric: float | None = None
    best_epoch: int | None = None
    metrics: dict[str, Any] | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the trial's job has finished."""
        return self.status in TERMINAL_STATUSES

    @property
    def stopped_early(self) -> bool:
        """Whether ASHA stopped it at a rung (its job `succeeded` with `stopped_early`)."""
        return self.reason == "stopped_early"


@dataclasses.dataclass
class Sweep:
    """A hyperparameter sweep and its trials (`trials` is empty in listings)."""

    id: str
    status: str
    name: str | None = None
    reason: str | None = None
    message: str | None = None
    model_id: str | None = None
    dataset_id: str | None = None
    hyperparameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    training: dict[str, Any] = dataclasses.field(default_factory=dict)
    resources: dict[str, Any] = dataclasses.field(default_factory=dict)
    max_runtime_s: int | None = None
    space: dict[str, Any] = dataclasses.field(default_factory=dict)
    searcher: dict[str, Any] = dataclasses.field(default_factory=dict)
    metric: str | None = None
    mode: str | None = None
    max_trials: int | None = None
    max_concurrent_trials: int | None = None
    priority: int = 0
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    best_trial: Trial | None = None
    trials: list[Trial] = dataclasses.field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the sweep has ended (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Sweep:
        """Builds a sweep from an API body."""
        sweep = _record(cls, {**data, "best_trial": None, "trials": []})
        if data.get("best_trial"):
            sweep.best_trial = _record(Trial, data["best_trial"])
        sweep.trials = [_record(Trial, item) for item in data.get("trials") or []]
        return sweep


@dataclasses.dataclass
class Metric:
    """Metric values of one epoch (`step` None) or one step."""

    epoch: int
    step: int | None
    values: dict[str, Any]
    created_at: datetime | None = None


@dataclasses.dataclass
class Checkpoint:
    """A saved `.keras` checkpoint of an epoch."""

    epoch: int
    size_bytes: int
    metrics: dict[str, Any] | None = None
    created_at: datetime | None = None


@dataclasses.dataclass
class Prediction:
    """Predictions, one per row, made with the checkpoint of `epoch`."""

    predictions: list[Any]
    job_id: str
    epoch: int


@dataclasses.dataclass
class Page:
    """A page of a listing; `next` is the cursor of the following page (None on the last)."""

    items: list[Any]
    next: str | None = None


@dataclasses.dataclass
class Event:
    """An event of a job's stream; `id` resumes the stream after it (`last_event_id`)."""

    id: str | None
    type: str
    data: dict[str, Any]


@dataclasses.dataclass
class StatusEvent(Event):
    """The job changed status."""

    @property
    def status(self) -> str:
        """The new status."""
        return self.data.get("status", "")

    @property
    def reason(self) -> str | None:
        """Why (e.g. `completed`, `cancel_requested`, `model_error`)."""
        return self.data.get("reason")

    @property
    def message(self) -> str | None:
        """A human explanation."""
        return self.data.get("message")


@dataclasses.dataclass
class MetricEvent(Event):
    """Metric values at the end of an epoch (`step` None) or after a step."""

    @property
    def epoch(self) -> int:
        """The epoch, counted from 1."""
        return int(self.data.get("epoch", 0))

    @property
    def step(self) -> int | None:
        """The step within the epoch, or None for the end of the epoch."""
        return self.data.get("step")

    @property
    def values(self) -> dict[str, Any]:
        """The metric values by name (`loss`, `accuracy`, `val_loss`, ...)."""
        return {k: v for k, v in self.data.items() if k not in ("epoch", "step")}


@dataclasses.dataclass
class LogEvent(Event):
    """A line the training process printed."""

    @property
    def line(self) -> str:
        """The line, without its newline."""
        return self.data.get("line", "")

    @property
    def stream(self) -> str:
        """`stdout` or `stderr`."""
        return self.data.get("stream", "stdout")


@dataclasses.dataclass
class DoneEvent(StatusEvent):
    """The last event of a stream: the job has finished (`status` is terminal)."""


EVENT_TYPES: dict[str, type[Event]] = {
    "status": StatusEvent,
    "metric": MetricEvent,
    "log": LogEvent,
    "done": DoneEvent,
}


def file_sha256(path: str | Path) -> str:
    """Returns the hex sha256 of a file, as the API computes it for uploads."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Horn:
    """A client of one Horn server.

    Args:
        url: the server's base URL, e.g. `http://127.0.0.1:8000`.
        api_key: an API key (`horn up` prints one; `horn keys create` makes more).
        timeout: seconds to wait for a connection and for each answer (event streams wait
            longer between events: the server sends a keep-alive every 15 s).

    Raises (from every method):
        HornConnectionError: the server could not be reached.
        HornAuthError: the key was refused (401).
        HornNotFound: the resource does not exist (404).
        HornError: any other error answer (its `status`, `code` and `message`).
    """

    def __init__(self, url: str, api_key: str | None, timeout: float = DEFAULT_TIMEOUT_S):
        self.url = url.rstrip("/")
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        """Closes the connections."""
        self._http.close()

    def __enter__(self) -> Horn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if kwargs.get("params"):
            kwargs["params"] = {k: v for k, v in kwargs["params"].items() if v is not None}
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise self._connection_error(error) from None
        if response.status_code >= 400:
            raise self._error_of(response)
        return response

    def _connection_error(self, error: httpx.TransportError) -> HornConnectionError:
        cause = str(error) or type(error).__name__
        if isinstance(error, httpx.TimeoutException):
            what = f"did not answer within {self.timeout:g} s ({cause})"
        else:
            what = f"could not be reached ({cause})"
        return HornConnectionError(
            None,
            "connection_error",
            f"The Horn server at {self.url} {what}. Check that it runs (`horn up` or "
            "`horn api`) and that HORN_URL (or `horn login --url`) points at it.",
        )

    @staticmethod
    def _error_of(response: httpx.Response) -> HornError:
        code, details = "http_error", None
        try:
            body = response.json()
            error = body["error"]
            code, message, details = error["code"], error["message"], error.get("details")
        except (ValueError, KeyError, TypeError):
            message = response.text.strip() or response.reason_phrase
            message = f"HTTP {response.status_code} from {response.url}: {message[:300]}"
        cls = {401: HornAuthError, 404: HornNotFound}.get(response.status_code, HornError)
        return cls(response.status_code, code, message, details)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    def _upload(self, path: str, file: str | Path, fields: dict[str, str | None]) -> Any:
        file = Path(file)
        data = {key: value for key, value in fields.items() if value is not None}
        try:
            handle = open(file, "rb")  # noqa: SIM115 (closed below, after the request)
        except OSError as error:
            raise HornError(
                None, "file_error", f"Cannot read {str(file)!r}: {error.strerror}."
            ) from None
        with handle:
            return self._json("POST", path, files={"file": (file.name, handle)}, data=data)

    def _all(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self._json("GET", path, params={**(params or {}), "cursor": cursor})
            yield from page["items"]
            cursor = page.get("next")
            if not cursor:
                return

    # -- health ---------------------------------------------------------------------------

    def healthz(self) -> dict[str, Any]:
        """Liveness: `{"status": "ok"}` when the API process answers."""
        return self._json("GET", "/healthz")

    def readyz(self) -> dict[str, Any]:
        """Readiness: the database, broker and event bus checks.

        Raises:
            HornError: status 503 (`not_ready`) naming what is unreachable.
        """
        return self._json("GET", "/readyz")

    # -- datasets -------------------------------------------------------------------------

    def push_dataset(
        self,
        path: str | Path,
        name: str | None = None,
        label_column: str | None = None,
        format: str | None = None,
    ) -> Dataset:
        """Uploads a dataset file (`.npz` or `.csv`); the server validates and summarizes it.

        Args:
            path: the file.
            name: a label; the file name by default.
            label_column: for a CSV, the column holding the labels (default `label`).
            format: `npz` or `csv` when the file name does not say.
        """
        fields = {"name": name, "label_column": label_column, "format": format}
        return _record(Dataset, self._upload("/v1/datasets", path, fields))

    def list_datasets(self, limit: int = 50, cursor: str | None = None) -> Page:
        """One page of the tenant's datasets, newest first."""
        page = self._json("GET", "/v1/datasets", params={"limit": limit, "cursor": cursor})
        return Page([_record(Dataset, item) for item in page["items"]], page.get("next"))

    def iter_datasets(self) -> Iterator[Dataset]:
        """Every dataset of the tenant, newest first (all pages)."""
        for item in self._all("/v1/datasets", {"limit": 500}):
            yield _record(Dataset, item)

    def find_dataset(self, sha256: str) -> Dataset | None:
        """The newest dataset whose file has this sha256, or None."""
        return next((item for item in self.iter_datasets() if item.sha256 == sha256), None)

    def get_dataset(self, dataset_id: str) -> Dataset:
        """One dataset with its summary."""
        return _record(Dataset, self._json("GET", f"/v1/datasets/{dataset_id}"))

    def delete_dataset(self, dataset_id: str) -> None:
        """Deletes a dataset (409 `in_use` while an unfinished job uses it)."""
        self._request("DELETE", f"/v1/datasets/{dataset_id}")

    # -- models ---------------------------------------------------------------------------

    def push_model(self, path: str | Path, name: str | None = None) -> Model:
        """Uploads a Python model source defining `build_model(hparams)` (checked, never run)."""
        return _record(Model, self._upload("/v1/models", path, {"name": name}))

    def list_models(self, limit: int = 50, cursor: str | None = None) -> Page:
        """One page of the tenant's model sources, newest first."""
        page = self._json("GET", "/v1/models", params={"limit": limit, "cursor": cursor})
        return Page([_record(Model, item) for item in page["items"]], page.get("next"))

    def iter_models(self) -> Iterator[Model]:
        """Every model source of the tenant, newest first (all pages)."""
        for item in self._all("/v1/models", {"limit": 500}):
            yield _record(Model, item)

    def find_model(self, sha256: str) -> Model | None:
        """The newest model source whose file has this sha256, or None."""
        return next((item for item in self.iter_models() if item.sha256 == sha256), None)

    def get_model(self, model_id: str) -> Model:
        """One model source, with its source text."""
        return _record(Model, self._json("GET", f"/v1/models/{model_id}"))

    def delete_model(self, model_id: str) -> None:
        """Deletes a model source (409 `in_use` while an unfinished job uses it)."""
        self._request("DELETE", f"/v1/models/{model_id}")

    # -- jobs -----------------------------------------------------------------------------

    def create_job(
        self,
        model_id: str,
        dataset_id: str,
        hyperparameters: dict[str, Any] | None = None,
        training: dict[str, Any] | None = None,
        resources: dict[str, Any] | None = None,
        name: str | None = None,
        max_runtime_s: int | None = None,
        idempotency_key: str | None = None,
        priority: int = 0,
    ) -> Job:
        """Creates a training job and queues it.

        Args:
            model_id: the model source.
            dataset_id: the dataset.
            hyperparameters: passed to `build_model(hparams)`.
            training: `epochs`, `batch_size`, `validation_split`, `optimizer`,
                `learning_rate`, `loss`, `metrics`, `early_stopping`, `seed`, `shuffle`.
            resources: `{"gpus": n}`; jobs with GPUs go to the `gpu` queue.
            name: a label.
            max_runtime_s: wall-clock limit (at most the server's `HORN_JOB_MAX_RUNTIME_S`).
            idempotency_key: the same key returns the job it created first.
            priority: -100 to 100; within the tenant a higher priority starts first.
        """
        body: dict[str, Any] = {
            "model_id": model_id,
            "dataset_id": dataset_id,
            "hyperparameters": hyperparameters or {},
            "training": training or {},
            "resources": resources or {},
        }
        if name is not None:
            body["name"] = name
        if max_runtime_s is not None:
            body["max_runtime_s"] = max_runtime_s
        if priority:
            body["priority"] = priority
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return Job.from_api(self._json("POST", "/v1/jobs", json=body, headers=headers))

    def list_jobs(
        self,
        status: list[str] | None = None,
        limit: int = 50,
        cursor: str | None = None,
        sweep_id: str | None = None,
    ) -> Page:
        """One page of the tenant's jobs, newest first, optionally only some statuses or only
        the trials of one sweep."""
        params = {"limit": limit, "cursor": cursor, "status": status or None, "sweep_id": sweep_id}
        page = self._json("GET", "/v1/jobs", params=params)
        return Page([Job.from_api(item) for item in page["items"]], page.get("next"))

    def get_job(self, job_id: str) -> Job:
        """A job's full status: progress, latest metrics, error, attempts."""
        return Job.from_api(self._json("GET", f"/v1/jobs/{job_id}"))

    def cancel_job(self, job_id: str) -> Job:
        """Requests cancellation (idempotent); a running job becomes `cancelling` first."""
        return Job.from_api(self._json("POST", f"/v1/jobs/{job_id}/cancel"))

    def wait(self, job_id: str, timeout: float | None = None, poll_s: float = 0.5) -> Job:
        """Polls until the job has finished and returns it.

        Raises:
            TimeoutError: when `timeout` seconds pass first.
        """
        return _poll_until_terminal(
            lambda: self.get_job(job_id),
            lambda job: (
                f"Job {job_id!r} did not finish within {timeout} s (status {job.status!r})."
            ),
            timeout,
            poll_s,
        )

    def metrics(self, job_id: str, steps: bool = False) -> list[Metric]:
        """The job's metric history: one entry per epoch (and per step with `steps=True`)."""
        items = self._all(f"/v1/jobs/{job_id}/metrics", {"steps": steps})
        return [_record(Metric, item) for item in items]

    def logs(self, job_id: str, tail: int | None = None) -> str:
        """The training process's output (`tail` for its last lines)."""
        return self._request("GET", f"/v1/jobs/{job_id}/logs", params={"tail": tail}).text

    def follow_logs(self, job_id: str, poll_s: float = 1.0) -> Iterator[str]:
        """Yields the job's output as it grows, until the job has finished."""
        sent = 0
        while True:
            finished = self.get_job(job_id).is_terminal
            text = self.logs(job_id)
            if len(text) > sent:
                yield text[sent:]
                sent = len(text)
            if finished:
                return
            time.sleep(poll_s)

    def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        """The job's checkpoints, by epoch."""
        page = self._json("GET", f"/v1/jobs/{job_id}/checkpoints")
        return [_record(Checkpoint, item) for item in page["items"]]

    def download_checkpoint(
        self, job_id: str, dest: str | Path | None = None, epoch: int | str = "latest"
    ) -> Path:
        """Downloads the `.keras` checkpoint of an epoch (or the latest).

        Args:
            job_id: the job.
            dest: file or folder to write to; the server's file name in the working folder by
                default (`<job>-epoch-NNNN.keras`).
            epoch: an epoch number, or `latest`.

        Returns:
            The path written.
        """
        return self._download(
            f"/v1/jobs/{job_id}/checkpoints/{epoch}", {}, dest, f"{job_id}-{epoch}.keras"
        )

    def export_savedmodel(
        self, job_id: str, dest: str | Path | None = None, checkpoint: int | str = "latest"
    ) -> Path:
        """Downloads a TensorFlow SavedModel of a checkpoint as a `.tar.gz` (`savedmodel/`
        inside, with a `serving_default` signature, for `tf.saved_model.load` or TF Serving).

        Args:
            job_id: the job.
            dest: file or folder to write to; the server's file name by default.
            checkpoint: `latest`, `best` or an epoch number.

        Returns:
            The path written.
        """
        params = {"format": "savedmodel", "checkpoint": str(checkpoint)}
        fallback = f"{job_id}-{checkpoint}-savedmodel.tar.gz"
        return self._download(f"/v1/jobs/{job_id}/export", params, dest, fallback)

    def _download(
        self, path: str, params: dict[str, str], dest: str | Path | None, fallback_name: str
    ) -> Path:
        """Streams a file answer to `dest` (a file, or a folder for the server's file name)."""
        try:
            with self._http.stream("GET", path, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._error_of(response)
                filename = _attachment_name(response) or fallback_name
                target = Path(dest) if dest is not None else Path(filename)
                if target.is_dir():
                    target = target / filename
                temp = target.with_name(f".{target.name}.part")
                with open(temp, "wb") as handle:
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
                temp.replace(target)
        except httpx.TransportError as error:
            raise self._connection_error(error) from None
        return target

    def predict(
        self,
        job_id: str,
        instances: list[Any] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Prediction:
        """Predicts with the job's latest checkpoint.

        Args:
            job_id: the job.
            instances: rows (objects by input name for several inputs).
            inputs: columns by input name (instead of `instances`).
        """
        if (instances is None) == (inputs is None):
            raise ValueError(
                "Expected exactly one of `instances` (rows) or `inputs` (columns by input "
                f"name). Received: instances={instances is not None}, inputs={inputs is not None}"
            )
        body = {"instances": instances} if instances is not None else {"inputs": inputs}
        return _record(Prediction, self._json("POST", f"/v1/jobs/{job_id}/predict", json=body))

    def events(
        self, job_id: str, last_event_id: str | None = None, reconnect: bool = True
    ) -> Iterator[Event]:
        """Yields the job's live events until it has finished (`DoneEvent` comes last).

        Args:
            job_id: the job.
            last_event_id: resume after this event id (only later events come).
            reconnect: after a dropped connection, resume from the last event received.

        Yields:
            `StatusEvent`, `MetricEvent`, `LogEvent`, then one `DoneEvent`.
        """
        after = last_event_id
        failures = 0
        while True:
            try:
                for event in self._event_stream(job_id, after):
                    failures = 0
                    if event.id is not None:
                        after = event.id
                    yield event
                    if isinstance(event, DoneEvent):
                        return
                return
            except HornConnectionError:
                failures += 1
                if not reconnect or failures > 5:
                    raise
                time.sleep(min(2.0, 0.2 * 2**failures))

    def _event_stream(self, job_id: str, after: str | None) -> Iterator[Event]:
        headers = {"Last-Event-ID": after} if after else {}
        timeout = httpx.Timeout(self.timeout, read=max(self.timeout, 60.0))
        path = f"/v1/jobs/{job_id}/events"
        try:
            with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._error_of(response)
                yield from _parse_sse(response.iter_lines())
        except httpx.TransportError as error:
            raise self._connection_error(error) from None

    # -- sweeps ---------------------------------------------------------------------------

    def create_sweep(
        self,
        model_id: str,
        dataset_id: str,
        space: dict[str, Any],
        searcher: str | dict[str, Any] = "random",
        metric: str = "val_loss",
        mode: str = "min",
        max_trials: int | None = None,
        max_concurrent_trials: int | None = None,
        hyperparameters: dict[str, Any] | None = None,
        training: dict[str, Any] | None = None,
        resources: dict[str, Any] | None = None,
        name: str | None = None,
        max_runtime_s: int | None = None,
        priority: int = 0,
        seed: int | None = None,
        min_epochs: int | None = None,
        reduction_factor: int | None = None,
    ) -> Sweep:
        """Creates a hyperparameter sweep; its trials are ordinary jobs (`docs/experiments.md`).

        Args:
            model_id: the model source.
            dataset_id: the dataset.
            space: hyperparameter name -> `{"type": "choice", "values": [...]}`,
                `{"type": "uniform" | "loguniform", "low": a, "high": b}` or
                `{"type": "int", "low": a, "high": b, "step": s}`; a name `training.<setting>`
                sets that training setting instead.
            searcher: `grid`, `random` or `asha`, or the searcher's whole settings
                (`{"name": "asha", "seed": 0, "min_epochs": 1, "reduction_factor": 3}`).
            metric: the metric trials are ranked by (`val_loss`, `val_accuracy`, ...).
            mode: `min` or `max`: which direction of `metric` is better.
            max_trials: trials to run (for `grid` the grid's size by default).
            max_concurrent_trials: trials running at once (the server's default if None).
            hyperparameters: fixed values every trial gets under the sampled ones.
            training: training settings of every trial (`epochs` is the most a trial trains).
            resources: `{"gpus": n}` for each trial.
            name: a label.
            max_runtime_s: each trial's wall-clock limit.
            priority: -100 to 100; within the tenant a higher priority starts first.
            seed: the searcher's seed (random and asha draws depend only on it and the index).
            min_epochs: asha's first rung.
            reduction_factor: asha keeps the top `1/reduction_factor` at each rung.
        """
        settings = {"name": searcher} if isinstance(searcher, str) else dict(searcher)
        for key, value in (
            ("seed", seed),
            ("min_epochs", min_epochs),
            ("reduction_factor", reduction_factor),
        ):
            if value is not None:
                settings[key] = value
        body: dict[str, Any] = {
            "model_id": model_id,
            "dataset_id": dataset_id,
            "space": space,
            "searcher": settings,
            "metric": metric,
            "mode": mode,
            "hyperparameters": hyperparameters or {},
            "training": training or {},
            "resources": resources or {},
            "priority": priority,
        }
        optional = {
            "name": name,
            "max_trials": max_trials,
            "max_concurrent_trials": max_concurrent_trials,
            "max_runtime_s": max_runtime_s,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return Sweep.from_api(self._json("POST", "/v1/sweeps", json=body))

    def list_sweeps(self, limit: int = 50, cursor: str | None = None) -> Page:
        """One page of the tenant's sweeps, newest first (without their trials)."""
        page = self._json("GET", "/v1/sweeps", params={"limit": limit, "cursor": cursor})
        return Page([Sweep.from_api(item) for item in page["items"]], page.get("next"))

    def iter_sweeps(self) -> Iterator[Sweep]:
        """Every sweep of the tenant, newest first (all pages)."""
        for item in self._all("/v1/sweeps", {"limit": 500}):
            yield Sweep.from_api(item)

    def get_sweep(self, sweep_id: str) -> Sweep:
        """A sweep with its trials, counts and best trial."""
        return Sweep.from_api(self._json("GET", f"/v1/sweeps/{sweep_id}"))

    def cancel_sweep(self, sweep_id: str) -> Sweep:
        """Cancels a sweep and its unfinished trials (idempotent)."""
        return Sweep.from_api(self._json("POST", f"/v1/sweeps/{sweep_id}/cancel"))

    def wait_sweep(self, sweep_id: str, timeout: float | None = None, poll_s: float = 1.0) -> Sweep:
        """Polls until the sweep has ended and returns it (with its trials).

        Raises:
            TimeoutError: when `timeout` seconds pass first.
        """
        return _poll_until_terminal(
            lambda: self.get_sweep(sweep_id),
            lambda sweep: (
                f"Sweep {sweep_id!r} did not end within {timeout} s (status "
                f"{sweep.status!r}, counts {sweep.counts})."
            ),
            timeout,
            poll_s,
        )


def _poll_until_terminal(
    get: Callable[[], Any],
    late: Callable[[Any], str],
    timeout: float | None,
    poll_s: float,
) -> Any:
    """Calls `get` every `poll_s` until its record `is_terminal`; TimeoutError with `late`'s
    message past `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        record = get()
        if record.is_terminal:
            return record
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(late(record))
        time.sleep(poll_s)


def _attachment_name(response: httpx.Response) -> str | None:
    disposition = response.headers.get("content-disposition", "")
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "filename" and value:
            return Path(value.strip('"')).name
    return None


def _parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Parses Server-Sent Events into typed events (comments and `retry:` are skipped)."""
    fields: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):
            continue
        if line:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = fields[name] + "\n" + value if name in fields else value
            continue
        if "data" in fields:
            kind = fields.get("event", "message")
            data = json.loads(fields["data"])
            yield EVENT_TYPES.get(kind, Event)(fields.get("id"), kind, data)
        fields = {}
