"""Request and response bodies (separate from the database tables)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.store.sweeps import check_space

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """A page of a list: `next` is the cursor of the following page, or null on the last."""

    items: list[Item]
    next: str | None = None


class DatasetOut(BaseModel):
    """An uploaded dataset."""

    id: str
    name: str
    filename: str
    format: str
    sha256: str
    size_bytes: int
    summary: dict[str, Any]
    created_at: datetime


class ModelOut(BaseModel):
    """An uploaded model source; `source` only in `GET /v1/models/{id}`."""

    id: str
    name: str
    filename: str
    sha256: str
    size_bytes: int
    entry_point: str
    created_at: datetime
    source: str | None = None


# Free-form job fields: their JSON may not exceed this, nor hold NaN, Infinity or NUL.
MAX_HYPERPARAMETERS_BYTES = 64 * 1024


class EarlyStopping(BaseModel):
    """Stop training when `monitor` stops improving for `patience` epochs."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    monitor: str = Field("val_loss", min_length=1, max_length=100)
    patience: int = Field(3, ge=0)
    min_delta: float = Field(0.0, ge=0)
    mode: Literal["auto", "min", "max"] = "auto"
    restore_best_weights: bool = False


class TrainingSettings(BaseModel):
    """How to train; a compile in the model source wins over `optimizer`, `loss`, `metrics`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    epochs: int = Field(1, ge=1, le=100_000)
    batch_size: int = Field(32, ge=1, le=1_000_000)
    validation_split: float = Field(0.0, ge=0.0, lt=1.0)
    shuffle: bool = True
    seed: int | None = None
    optimizer: str | None = Field(None, max_length=100)
    learning_rate: float | None = Field(None, gt=0)
    loss: str | None = Field(None, max_length=100)
    metrics: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=20)
    early_stopping: EarlyStopping | None = None
    # `mixed_float16` on GPU (float16 compute, float32 variables); a job without a GPU trains in
    # float32 and its log says so.
    mixed_precision: bool = False


class Resources(BaseModel):
    """What a job needs: `gpus` > 0 sends it to the `gpu` queue."""

    model_config = ConfigDict(extra="forbid")

    gpus: int = Field(0, ge=0, le=64)


class TrainingRequest(BaseModel):
    """What `POST /v1/jobs` and `POST /v1/sweeps` share: the model, the data, how to train."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_id: str = Field(min_length=1, max_length=40)
    dataset_id: str = Field(min_length=1, max_length=40)
    name: str | None = Field(None, max_length=200)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    resources: Resources = Field(default_factory=Resources)
    max_runtime_s: int | None = Field(None, ge=1)
    # Within one tenant, a higher priority is claimed first (-100 to 100).
    priority: int = Field(0, ge=-100, le=100)

    @field_validator("name")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        return name_without_nul(value)

    @field_validator("hyperparameters")
    @classmethod
    def _storable(cls, value: dict[str, Any]) -> dict[str, Any]:
        return storable_hyperparameters(value)


class JobCreate(TrainingRequest):
    """Body of `POST /v1/jobs`."""


def name_without_nul(value: str | None) -> str | None:
    """A `name` field's check: no NUL character."""
    if value is not None and "\x00" in value:
        raise ValueError("name holds a NUL character; remove it")
    return value


def storable_hyperparameters(value: dict[str, Any]) -> dict[str, Any]:
    """A `hyperparameters` field's check: finite JSON, no NUL, at most 64 KiB."""
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        raise ValueError(
            "hyperparameters hold NaN or Infinity, which JSON cannot store; use finite "
            "numbers (or null)"
        ) from None
    if len(text.encode()) > MAX_HYPERPARAMETERS_BYTES:
        raise ValueError(
            f"hyperparameters are {len(text.encode())} bytes as JSON, more than the "
            f"{MAX_HYPERPARAMETERS_BYTES} accepted; pass large values in the dataset or source"
        )
    if "\\u0000" in text:
        raise ValueError("hyperparameters hold a NUL character; remove it")
    return value


class Progress(BaseModel):
    """Training progress: the last finished epoch of `epochs`."""

    epoch: int
    epochs: int | None


class AttemptOut(BaseModel):
    """One run of a job by a worker."""

    number: int
    worker: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    message: str | None


class Waiting(BaseModel):
    """Why a queued job waits (`server.store.fairshare`)."""

    reason: Literal["queued", "tenant_limit", "no_worker"]
    position: int | None
    message: str


class JobError(BaseModel):
    """Why a job failed."""

    reason: str | None
    message: str | None


class JobOut(BaseModel):
    """A job with its live state."""

    model_config = ConfigDict(protected_namespaces=())

    id: str
    name: str | None
    status: str
    reason: str | None
    message: str | None
    model_id: str | None
    dataset_id: str | None
    hyperparameters: dict[str, Any]
    training: dict[str, Any]
    resources: dict[str, Any]
    max_runtime_s: int
    queue: str
    progress: Progress
    metrics: dict[str, Any] | None
    error: JobError | None
    cancel_requested: bool
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: list[AttemptOut]
    priority: int = 0
    sweep_id: str | None = None
    trial_index: int | None = None
    waiting: Waiting | None = None


class Searcher(BaseModel):
    """How a sweep picks trials: `grid`, `random`, or `asha` (random plus early stopping)."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["grid", "random", "asha"] = "random"
    seed: int = Field(0, ge=0, le=2**63 - 1)
    # ASHA: rungs at min_epochs * reduction_factor**k epochs; the top 1/reduction_factor go on.
    min_epochs: int = Field(1, ge=1)
    reduction_factor: int = Field(3, ge=2, le=100)


class SweepCreate(TrainingRequest):
    """Body of `POST /v1/sweeps` (docs/experiments.md)."""

    space: dict[str, Any]
    searcher: Searcher = Field(default_factory=Searcher)
    metric: str = Field("val_loss", min_length=1, max_length=100)
    mode: Literal["min", "max"] = "min"
    max_trials: int | None = Field(None, ge=1, le=1000)
    max_concurrent_trials: int = Field(4, ge=1, le=1000)

    @field_validator("space")
    @classmethod
    def _space(cls, value: dict[str, Any]) -> dict[str, Any]:
        storable_hyperparameters(value)
        return check_space(value)


class TrialOut(BaseModel):
    """One trial of a sweep: its sampled values, its job's state and its best metric."""

    index: int
    job_id: str
    hyperparameters: dict[str, Any]
    status: str
    reason: str | None
    message: str | None
    epoch: int
    epochs: int | None
    best_metric: float | None
    best_epoch: int | None
    metrics: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SweepOut(BaseModel):
    """A sweep; `trials` is left out of lists."""

    id: str
    name: str | None
    status: str
    reason: str | None
    message: str | None
    model_id: str | None
    dataset_id: str | None
    hyperparameters: dict[str, Any]
    training: dict[str, Any]
    resources: dict[str, Any]
    max_runtime_s: int
    space: dict[str, Any]
    searcher: dict[str, Any]
    metric: str
    mode: str
    max_trials: int
    max_concurrent_trials: int
    priority: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    best_trial: TrialOut | None
    trials: list[TrialOut] | None = None


class MetricOut(BaseModel):
    """Metric values of one epoch (`step` null) or one step."""

    epoch: int
    step: int | None
    values: dict[str, Any]
    created_at: datetime


class CheckpointOut(BaseModel):
    """A saved checkpoint (download it from `.../checkpoints/{epoch}`)."""

    epoch: int
    size_bytes: int
    metrics: dict[str, Any] | None
    created_at: datetime


class PredictRequest(BaseModel):
    """Rows (`instances`) or columns by input name (`inputs`), not both."""

    model_config = ConfigDict(extra="forbid")

    instances: list[Any] | None = None
    # Columns by input name; a list is a single input's columns (TensorFlow Serving's form).
    inputs: dict[str, Any] | list[Any] | None = None
    # TensorFlow Serving clients send it; a checkpoint has the one signature.
    signature_name: Literal["serving_default"] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PredictRequest:
        if (self.instances is None) == (self.inputs is None):
            raise ValueError(
                'Expected exactly one of "instances" (a list of rows) or "inputs" (an object '
                "of columns by input name)."
            )
        if self.instances is not None and not self.instances:
            raise ValueError('Expected at least one row in "instances". Received: []')
        if self.inputs is not None and not self.inputs:
            raise ValueError(f'Expected at least one input in "inputs". Received: {self.inputs}')
        return self


class PredictResponse(BaseModel):
    """Predictions, one per row, from the checkpoint of `epoch`."""

    predictions: list[Any]
    job_id: str
    epoch: int
