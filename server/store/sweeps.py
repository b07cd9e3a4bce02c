"""Sweeps: search spaces, the searchers (`grid`, `random`, `asha`) and the sweep's progress.

A sweep keeps no searcher state of its own: trial `i`'s values follow from the space, the
searcher and `i` alone (`trial_values`), and ASHA's decisions from the metrics its trials
stored (`asha_decision`). Whoever advances a sweep — the API when it is created, a worker when
one of its trials ends, every reconciler pass — therefore reaches the same trials, and a
restarted API or worker loses none. `advance_sweep` takes a write lock on the sweep's row
first, so two of them never create the same trial (a unique index on (sweep, trial) makes sure).

The API and the workers change sweeps only through these functions; callers commit, then send
the new trials' messages (their `enqueued_at` stays empty until sent, so the reconciler sends
them if the caller could not).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.store.db import Job, JobStatus, Metric, Sweep, SweepStatus, utcnow
from server.store.jobs import queue_for_resources, request_cancel

SEARCHERS = ("grid", "random", "asha")
PARAMETER_TYPES = ("choice", "uniform", "loguniform", "int")
TRAINING_PREFIX = "training."
MAX_GRID_SIZE = 10_000


# --- the space -----------------------------------------------------------------------------------


def check_space(space: Any) -> dict[str, dict[str, Any]]:
    """Checks a search space and returns it with defaults filled in (`int`'s `step`).

    Raises:
        ValueError: naming the parameter and what is wrong with it.
    """
    if not isinstance(space, dict) or not space:
        raise ValueError(
            "Expected `space` to be an object of at least one parameter, e.g. "
            '{"units": {"type": "choice", "values": [32, 64]}}. Received: ' + repr(space)[:200]
        )
    checked = {}
    for name, spec in space.items():
        if not isinstance(name, str) or not name or len(name) > 100:
            raise ValueError(f"Expected parameter names of 1 to 100 characters. Received: {name!r}")
        if name.startswith(TRAINING_PREFIX) and not name[len(TRAINING_PREFIX) :]:
            raise ValueError(f"Parameter {name!r} names no training setting.")
        if not isinstance(spec, dict) or spec.get("type") not in PARAMETER_TYPES:
            raise ValueError(
                f"Parameter {name!r}: expected an object whose `type` is one of "
                f"{', '.join(PARAMETER_TYPES)}. Received: {spec!r}"[:300]
            )
        checked[name] = _checked_parameter(name, spec)
    return checked


def _checked_parameter(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "choice":
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise ValueError(f"Parameter {name!r} (choice): `values` must be a non-empty list.")
        return {"type": kind, "values": values}
    low, high = spec.get("low"), spec.get("high")
    numbers = all(
        isinstance(bound, (int, float)) and not isinstance(bound, bool) and math.isfinite(bound)
        for bound in (low, high)
    )
    if not numbers or low > high:
        raise ValueError(
            f"Parameter {name!r} ({kind}): `low` and `high` must be finite numbers with "
            f"low <= high. Received: low={low!r}, high={high!r}"
        )
    if kind == "loguniform" and low <= 0:
        raise ValueError(f"Parameter {name!r} (loguniform): `low` must be > 0. Received: {low!r}")
    if kind != "int":
        return {"type": kind, "low": float(low), "high": float(high)}
    step = spec.get("step", 1)
    whole = all(float(value).is_integer() for value in (low, high))
    if not whole or type(step) is not int or step < 1:
        raise ValueError(
            f"Parameter {name!r} (int): `low` and `high` must be integers and `step` a "
            f"positive integer. Received: low={low!r}, high={high!r}, step={step!r}"
        )
    return {"type": kind, "low": int(low), "high": int(high), "step": step}


def grid_values(spec: dict[str, Any]) -> list[Any]:
    """The values a grid takes for one parameter (`choice` and `int` only)."""
    if spec["type"] == "choice":
        return list(spec["values"])
    if spec["type"] == "int":
        return list(range(spec["low"], spec["high"] + 1, spec["step"]))
    raise ValueError(f"a {spec['type']} parameter has no grid")


def grid_size(space: dict[str, dict[str, Any]]) -> int:
    """How many combinations a grid over `space` has.

    Raises:
        ValueError: if a parameter is continuous, or the grid is over `MAX_GRID_SIZE`.
    """
    continuous = [name for name, spec in space.items() if spec["type"] not in ("choice", "int")]
    if continuous:
        raise ValueError(
            f"The grid searcher needs parameters of type choice or int; {continuous} are "
            "continuous. Give them as a choice of values, or use the random or asha searcher."
        )
    size = math.prod(len(grid_values(spec)) for spec in space.values())
    if size > MAX_GRID_SIZE:
        raise ValueError(f"The grid has {size} combinations; at most {MAX_GRID_SIZE} are allowed.")
    return size


def sample(space: dict[str, dict[str, Any]], seed: int, index: int) -> dict[str, Any]:
    """Trial `index`'s random draw: depends only on the space, `seed` and `index`."""
    rng = random.Random(f"horn-sweep:{seed}:{index}")
    values = {}
    for name, spec in space.items():
        kind = spec["type"]
        if kind == "choice":
            values[name] = spec["values"][rng.randrange(len(spec["values"]))]
        elif kind == "int":
            values[name] = rng.choice(range(spec["low"], spec["high"] + 1, spec["step"]))
        elif kind == "uniform":
            values[name] = rng.uniform(spec["low"], spec["high"])
        else:
            values[name] = math.exp(rng.uniform(math.log(spec["low"]), math.log(spec["high"])))
    return values


def trial_values(sweep: Sweep, index: int) -> dict[str, Any]:
    """The hyperparameter values of the sweep's trial `index`, as named in its space."""
    if sweep.searcher["name"] == "grid":
        axes = [grid_values(spec) for spec in sweep.space.values()]
        combination = next(itertools.islice(itertools.product(*axes), index, None))
        return dict(zip(sweep.space, combination, strict=True))
    return sample(sweep.space, int(sweep.searcher.get("seed") or 0), index)


def split_values(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A trial's values as (hyperparameters, training settings) by the `training.` prefix."""
    hyperparameters, training = {}, {}
    for name, value in values.items():
        if name.startswith(TRAINING_PREFIX):
            training[name[len(TRAINING_PREFIX) :]] = value
        else:
            hyperparameters[name] = value
    return hyperparameters, training


# --- ASHA ----------------------------------------------------------------------------------------


def rungs(searcher: dict[str, Any], epochs: int) -> list[int]:
    """ASHA's rung epochs: `min_epochs * reduction_factor**k`, below `epochs`."""
    if searcher.get("name") != "asha":
        return []
    epoch, factor, found = int(searcher["min_epochs"]), int(searcher["reduction_factor"]), []
    while epoch < epochs:
        found.append(epoch)
        epoch *= factor
    return found


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile with linear interpolation (as NumPy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def asha_cutoff(earlier: Sequence[float], reduction_factor: int, mode: str) -> float | None:
    """The value a trial must reach at a rung to go on, given the values reported there
    before it (None while there are none: the first trials always go on).

    As Ray Tune's ASHA: the top `1/reduction_factor` of the earlier values go on.
    """
    if not earlier:
        return None
    if mode == "max":
        return percentile(earlier, 1 - 1 / reduction_factor)
    return percentile(earlier, 1 / reduction_factor)


def is_better(value: float, than: float, mode: str) -> bool:
    """Whether `value` is strictly better than `than` for `mode` (`min` or `max`)."""
    return value > than if mode == "max" else value < than


@dataclasses.dataclass(frozen=True)
class Decision:
    """ASHA's decision for a trial at a rung: `stop` it or not, and why."""

    stop: bool
    rung: int
    metric: str
    value: float
    cutoff: float | None

    def message(self) -> str:
        """Why the trial stops, e.g. for its final status."""
        return (
            f"stopped it at rung epoch {self.rung}: its {self.metric} {self.value:.6g} is not "
            f"in the top of the trials before it there (cutoff {self.cutoff:.6g})"
        )


def asha_decision(session: Session, job_id: str, epoch: int) -> Decision | None:
    """ASHA's decision for trial `job_id` once its epoch `epoch` metrics are stored.

    Returns:
        None when the job is no ASHA trial or `epoch` is no rung; else the decision, made
        against the values other trials of the sweep stored at that epoch before this one.
    """
    job = session.get(Job, job_id)
    sweep = session.get(Sweep, job.sweep_id) if job is not None and job.sweep_id else None
    if sweep is None or epoch not in rungs(sweep.searcher, job.epochs or 0):
        return None
    mine = session.execute(
        select(Metric.id, Metric.values)
        .where(Metric.job_id == job_id, Metric.epoch == epoch, Metric.step.is_(None))
        .order_by(Metric.id.desc())
        .limit(1)
    ).one_or_none()
    if mine is None:
        return None
    value = _finite(mine.values.get(sweep.metric))
    others = session.scalars(
        select(Metric.values)
        .join(Job, Job.id == Metric.job_id)
        .where(
            Job.sweep_id == sweep.id,
            Job.id != job_id,
            Metric.epoch == epoch,
            Metric.step.is_(None),
            Metric.id < mine.id,
        )
    )
    earlier = [v for v in (_finite(values.get(sweep.metric)) for values in others) if v is not None]
    if value is None:
        return None  # a trial that reports no value of the metric cannot be ranked
    cutoff = asha_cutoff(earlier, int(sweep.searcher["reduction_factor"]), sweep.mode)
    stop = cutoff is not None and is_better(cutoff, value, sweep.mode)
    return Decision(stop, epoch, sweep.metric, value, cutoff)


def _finite(value: Any) -> float | None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if number and math.isfinite(value) else None


# --- the sweep's progress ------------------------------------------------------------------------


def new_trial(sweep: Sweep, index: int) -> Job:
    """Trial `index` of the sweep as a queued job, not yet sent (`enqueued_at` empty)."""
    hyperparameters, training = split_values(trial_values(sweep, index))
    training = {**sweep.training, **training}
    queue = queue_for_resources(sweep.resources)
    return Job(
        tenant_id=sweep.tenant_id,
        model_id=sweep.model_id,
        dataset_id=sweep.dataset_id,
        name=f"{sweep.name or sweep.id} #{index}",
        status=JobStatus.QUEUED,
        reason="created",
        message=f"Trial {index} of sweep {sweep.id}: waiting for a worker on the {queue!r} queue.",
        hyperparameters={**sweep.hyperparameters, **hyperparameters},
        training=training,
        resources=dict(sweep.resources),
        max_runtime_s=sweep.max_runtime_s,
        queue=queue,
        epochs=int(training.get("epochs") or 1),
        priority=sweep.priority,
        sweep_id=sweep.id,
        trial_index=index,
        enqueued_at=None,
    )


@dataclasses.dataclass(frozen=True)
class Advanced:
    """What `advance_sweep` did: trials created (to send), and the sweep's end if it ended."""

    created: list[tuple[str, str]]  # (job id, queue)
    ended: str | None = None


def advance_sweep(session: Session, sweep_id: str) -> Advanced:
    """Creates the sweep's next trials (up to its concurrency) or ends it when all are done.

    Takes the sweep row's write lock first (a no-op UPDATE), so concurrent callers run one
    after another. The caller commits, then sends the created trials' messages.
    """
    locked = session.execute(
        update(Sweep)
        .where(Sweep.id == sweep_id, Sweep.status == SweepStatus.RUNNING)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not locked:
        return Advanced([])
    sweep = session.get(Sweep, sweep_id)
    session.refresh(sweep)
    statuses = dict(
        session.execute(
            select(Job.status, func.count()).where(Job.sweep_id == sweep_id).group_by(Job.status)
        ).all()
    )
    created_count = sum(statuses.values())
    active = sum(statuses.get(status, 0) for status in JobStatus.ACTIVE)
    created = []
    now = utcnow()
    while created_count < sweep.max_trials and active < sweep.max_concurrent_trials:
        job = new_trial(sweep, created_count)
        # Strictly increasing: trials of one priority are claimed in index order.
        job.created_at = now + timedelta(microseconds=len(created))
        session.add(job)
        session.flush()
        created.append((job.id, job.queue))
        created_count += 1
        active += 1
    if created or active or created_count < sweep.max_trials:
        return Advanced(created)
    succeeded = statuses.get(JobStatus.SUCCEEDED, 0)
    status, reason = (
        (SweepStatus.SUCCEEDED, "completed")
        if succeeded
        else (SweepStatus.FAILED, "no_trial_succeeded")
    )
    trials = trials_of(session, sweep)
    counts = trial_counts(trials)
    best = best_of(trials, sweep.mode)
    best_text = (
        f" Best: trial {best.index} with {sweep.metric} {best.best_metric:.6g}."
        if best is not None
        else ""
    )
    message = (
        f"All {created_count} trials ended: {counts['succeeded']} completed, "
        f"{counts['stopped_early']} stopped early, {counts['failed']} failed, "
        f"{counts['cancelled']} cancelled.{best_text}"
    )
    session.execute(
        update(Sweep)
        .where(Sweep.id == sweep_id, Sweep.status == SweepStatus.RUNNING)
        .values(status=status, reason=reason, message=message, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return Advanced([], ended=status)


def cancel_sweep(session: Session, sweep_id: str) -> list[str]:
    """Cancels a running sweep and asks its unfinished trials to stop.

    Returns:
        The ids of the trials whose status changed (to publish).
    """
    session.execute(
        update(Sweep)
        .where(Sweep.id == sweep_id, Sweep.status == SweepStatus.RUNNING)
        .values(
            status=SweepStatus.CANCELLED,
            reason="cancel_requested",
            message="Cancelled on request; its unfinished trials were cancelled.",
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    active = session.scalars(
        select(Job.id).where(Job.sweep_id == sweep_id, Job.status.in_(list(JobStatus.ACTIVE)))
    ).all()
    return [job_id for job_id in active if request_cancel(session, job_id)]


def running_sweep_ids(session: Session) -> list[str]:
    """The ids of all running sweeps (for the reconciler's pass)."""
    return list(session.scalars(select(Sweep.id).where(Sweep.status == SweepStatus.RUNNING)))


# --- reading a sweep -----------------------------------------------------------------------------


@dataclasses.dataclass
class Trial:
    """A trial as the API shows it."""

    index: int
    job: Job
    hyperparameters: dict[str, Any]
    best_metric: float | None
    best_epoch: int | None


def trials_of(session: Session, sweep: Sweep) -> list[Trial]:
    """The sweep's trials, by index, with each one's best value of the sweep's metric."""
    jobs = session.scalars(
        select(Job).where(Job.sweep_id == sweep.id).order_by(Job.trial_index)
    ).all()
    best: dict[str, tuple[float, int]] = {}
    rows = session.execute(
        select(Metric.job_id, Metric.epoch, Metric.values)
        .join(Job, Job.id == Metric.job_id)
        .where(Job.sweep_id == sweep.id, Metric.step.is_(None))
    )
    for job_id, epoch, values in rows:
        value = _finite(values.get(sweep.metric))
        if value is None:
            continue
        if job_id not in best or is_better(value, best[job_id][0], sweep.mode):
            best[job_id] = (value, epoch)
    trials = []
    for job in jobs:
        values = trial_values(sweep, job.trial_index)
        value, epoch = best.get(job.id, (None, None))
        trials.append(Trial(job.trial_index, job, values, value, epoch))
    return trials


def best_of(trials: Sequence[Trial], mode: str) -> Trial | None:
    """The trial with the best `best_metric` (the earlier one on a tie), or None."""
    best = None
    for trial in trials:
        if trial.best_metric is None:
            continue
        if best is None or is_better(trial.best_metric, best.best_metric, mode):
            best = trial
    return best


def best_trial(session: Session, sweep: Sweep) -> Trial | None:
    """The sweep's best trial so far, or None."""
    return best_of(trials_of(session, sweep), sweep.mode)


def trial_counts(trials: Sequence[Trial]) -> dict[str, int]:
    """Trials by status, with `stopped_early` apart from `succeeded`."""
    counts = dict.fromkeys(
        ["queued", "running", "succeeded", "stopped_early", "failed", "cancelled"], 0
    )
    for trial in trials:
        status = trial.job.status
        if status == JobStatus.SUCCEEDED and trial.job.reason == "stopped_early":
            counts["stopped_early"] += 1
        elif status in (JobStatus.STARTING, JobStatus.RUNNING, JobStatus.CANCELLING):
            counts["running"] += 1
        else:
            counts[status] = counts.get(status, 0) + 1
    return counts
