"""Client-side `horn` commands: drive a Horn server over HTTP through `server.client.Horn`.

They talk to `HORN_URL` with `HORN_API_KEY`, or to what `horn login` saved; a client error ends
the command with one line on stderr and the exit status `describe_error` gives.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from server.cli.output import (
    EXIT_AUTH,
    JsonOption,
    describe_error,
    fail,
    format_metrics,
    format_time,
    format_value,
    print_json,
    print_table,
)

datasets_app = typer.Typer(help="Upload, list and delete datasets.", no_args_is_help=True)
models_app = typer.Typer(help="Upload, list and delete model sources.", no_args_is_help=True)
jobs_app = typer.Typer(help="List, inspect and cancel training jobs.", no_args_is_help=True)
checkpoints_app = typer.Typer(help="List and download checkpoints.", no_args_is_help=True)
sweep_app = typer.Typer(
    help="Run and inspect hyperparameter sweeps (grid, random, ASHA).", no_args_is_help=True
)

DEFAULT_URL = "http://127.0.0.1:8000"


def config_path() -> Path:
    """The client's config file: `$XDG_CONFIG_HOME/horn/config.json` (`~/.config/...`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "horn" / "config.json"


def client_settings() -> tuple[str, str | None, str]:
    """The server URL, API key and where the key came from (environment over config file)."""
    stored: dict = {}
    path = config_path()
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
        except ValueError:
            fail(f"{path} is not valid JSON. Run `horn login` again, or delete it.")
    url = os.environ.get("HORN_URL") or stored.get("url") or DEFAULT_URL
    if os.environ.get("HORN_API_KEY"):
        return url, os.environ["HORN_API_KEY"], "HORN_API_KEY"
    return url, stored.get("api_key"), str(path)


@contextlib.contextmanager
def connect():
    """A `Horn` client for the configured server; its errors end the command in one line."""
    from server.client import Horn, HornError

    url, key, source = client_settings()
    if not key:
        fail(
            "no API key: run `horn login`, or set HORN_URL and HORN_API_KEY "
            "(`horn up` prints a key; `horn keys create --tenant NAME` makes one).",
            EXIT_AUTH,
        )
    client = Horn(url, key)
    try:
        yield client
    except HornError as error:
        message, code = describe_error(error, url, source)
        fail(message, code)
    finally:
        client.close()


def login(
    url: Annotated[str | None, typer.Option("--url", help="The server's URL.")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="An API key (asked for when omitted).")
    ] = None,
) -> None:
    """Checks a server URL and API key, then saves them for the client commands.

    Writes `~/.config/horn/config.json` (mode 600). HORN_URL and HORN_API_KEY, when set,
    win over it.
    """
    from server.client import Horn, HornError

    url = (url or os.environ.get("HORN_URL") or DEFAULT_URL).rstrip("/")
    key = api_key or typer.prompt("API key", hide_input=True)
    with Horn(url, key) as client:
        try:
            client.list_jobs(limit=1)
        except HornError as error:
            message, code = describe_error(error, url, "--api-key")
            fail(message, code)
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"url": url, "api_key": key}, file, indent=2)
    os.replace(temp, path)
    typer.echo(f"Logged in to {url}; saved to {path}.")


def _dataset_rows(datasets) -> list[list[object]]:
    return [
        [
            d.id,
            d.name,
            d.format,
            d.summary.get("rows", ""),
            d.size_bytes,
            d.sha256[:12],
            format_time(d.created_at),
        ]
        for d in datasets
    ]


@datasets_app.command("push")
def datasets_push(
    file: Annotated[Path, typer.Argument(help="A .npz or .csv file.")],
    name: Annotated[str | None, typer.Option("--name", help="A label.")] = None,
    label_column: Annotated[
        str | None, typer.Option("--label-column", help="CSV column with the labels.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Uploads a dataset and prints its id."""
    with connect() as client:
        dataset = client.push_dataset(file, name=name, label_column=label_column)
    if as_json:
        print_json(dataset)
        return
    typer.echo(dataset.id)


@datasets_app.command("ls")
def datasets_ls(as_json: JsonOption = False) -> None:
    """Lists datasets, newest first."""
    with connect() as client:
        datasets = list(client.iter_datasets())
    if as_json:
        print_json(datasets)
        return
    columns = ["id", "name", "format", "rows", "bytes", "sha256", "created"]
    print_table(columns, _dataset_rows(datasets))


@datasets_app.command("rm")
def datasets_rm(dataset_ids: Annotated[list[str], typer.Argument(help="Dataset ids.")]) -> None:
    """Deletes datasets (refused while an unfinished job uses one)."""
    with connect() as client:
        for dataset_id in dataset_ids:
            client.delete_dataset(dataset_id)
            typer.echo(f"Deleted {dataset_id}.")


@models_app.command("push")
def models_push(
    file: Annotated[Path, typer.Argument(help="A Python file defining build_model(hparams).")],
    name: Annotated[str | None, typer.Option("--name", help="A label.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Uploads a model source (checked, never run by the API) and prints its id."""
    with connect() as client:
        model = client.push_model(file, name=name)
    if as_json:
        print_json(model)
        return
    typer.echo(model.id)


@models_app.command("ls")
def models_ls(as_json: JsonOption = False) -> None:
    """Lists model sources, newest first."""
    with connect() as client:
        models = list(client.iter_models())
    if as_json:
        print_json(models)
        return
    rows = [
        [m.id, m.name, m.filename, m.size_bytes, m.sha256[:12], format_time(m.created_at)]
        for m in models
    ]
    print_table(["id", "name", "file", "bytes", "sha256", "created"], rows)


@models_app.command("rm")
def models_rm(model_ids: Annotated[list[str], typer.Argument(help="Model ids.")]) -> None:
    """Deletes model sources (refused while an unfinished job uses one)."""
    with connect() as client:
        for model_id in model_ids:
            client.delete_model(model_id)
            typer.echo(f"Deleted {model_id}.")


def parse_hyperparameters(values: list[str]) -> dict[str, object]:
    """Reads `--hp NAME=VALUE` options; a value is JSON when it parses (`256`, `1e-3`, `[64]`)."""
    parsed: dict[str, object] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            fail(f"Expected --hp NAME=VALUE (e.g. --hp units=256). Received: --hp {item!r}", 2)
        try:
            parsed[name.strip()] = json.loads(raw)
        except ValueError:
            parsed[name.strip()] = raw
    return parsed


def upload_once(client, value: str, kind: str) -> str:
    """The id of `value`: an id as given, or a file's upload (an earlier one with its sha256)."""
    from server.client import file_sha256

    prefix = "ds_" if kind == "dataset" else "mdl_"
    path = Path(value)
    if not path.is_file():
        if value.startswith(prefix):
            return value
        fail(f"{kind} file not found: {value!r}. Give a file or an id ({prefix}...).", 2)
    sha256 = file_sha256(path)
    existing = client.find_dataset(sha256) if kind == "dataset" else client.find_model(sha256)
    if existing is not None:
        typer.echo(f"Using {kind} {existing.id} (already uploaded, same sha256).", err=True)
        return existing.id
    pushed = client.push_dataset(path) if kind == "dataset" else client.push_model(path)
    typer.echo(f"Uploaded {kind} {pushed.id} from {path}.", err=True)
    return pushed.id


PriorityOption = Annotated[
    int,
    typer.Option(
        "--priority", min=-100, max=100, help="-100 to 100; higher starts first (your jobs)."
    ),
]


def training_settings(
    epochs: int | None, batch_size: int | None, validation_split: float | None
) -> dict[str, object]:
    """The training settings given on the command line (the server's defaults for the rest)."""
    given = {"epochs": epochs, "batch_size": batch_size, "validation_split": validation_split}
    return {key: value for key, value in given.items() if value is not None}


def submit(
    source: Annotated[str, typer.Argument(help="Model source (.py) or model id (mdl_...).")],
    data: Annotated[str, typer.Option("--data", help="Dataset file or id (ds_...).")],
    epochs: Annotated[int | None, typer.Option("--epochs", help="Epochs (default 1).")] = None,
    hp: Annotated[
        list[str] | None, typer.Option("--hp", help="Hyperparameter NAME=VALUE (repeat).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Batch size.")] = None,
    validation_split: Annotated[
        float | None, typer.Option("--validation-split", help="Fraction held out.")
    ] = None,
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs (>0: the gpu queue).")] = 0,
    name: Annotated[str | None, typer.Option("--name", help="A label.")] = None,
    max_runtime_s: Annotated[
        int | None, typer.Option("--max-runtime", help="Wall-clock limit in seconds.")
    ] = None,
    priority: PriorityOption = 0,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Watch it until it finishes.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Uploads the model source and data (once per content) and submits a training job."""
    hyperparameters = parse_hyperparameters(hp or [])
    training = training_settings(epochs, batch_size, validation_split)
    with connect() as client:
        model_id = upload_once(client, source, "model")
        dataset_id = upload_once(client, data, "dataset")
        job = client.create_job(
            model_id,
            dataset_id,
            hyperparameters=hyperparameters,
            training=training,
            resources={"gpus": gpus},
            name=name,
            max_runtime_s=max_runtime_s,
            priority=priority,
        )
        if not follow:
            if as_json:
                print_json(job)
            else:
                typer.echo(job.id)
                typer.echo(f"Follow it with `horn watch {job.id}`.", err=True)
            return
        typer.echo(f"Submitted {job.id}.", err=True)
        job = watch_job(client, job.id, stderr=as_json)
    if as_json:
        print_json(job)
    exit_for(job)


def steps_per_epoch(client, job) -> int | None:
    """Batches per epoch, from the dataset's rows and the job's settings; None if unknown."""
    from server.client import HornError

    try:
        dataset = client.get_dataset(job.dataset_id)
    except HornError:
        return None
    splits = dataset.summary.get("splits") or {}
    count = splits.get("train", dataset.summary.get("rows"))
    if not isinstance(count, int):
        return None
    split = job.training.get("validation_split") or 0.0
    if "val" not in splits and split:
        count = count - int(count * split)
    return max(1, math.ceil(count / (job.training.get("batch_size") or 32)))


def watch_job(client, job_id: str, stderr: bool = False):
    """Shows a job's progress live (a bar per epoch, with its metrics) and returns it finished.

    On a terminal each epoch gets a progress bar like Keras's; otherwise one line per epoch.
    Ends with a table of the metrics of every epoch. `stderr` keeps stdout for JSON.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from server.client import MetricEvent, StatusEvent

    console = Console(soft_wrap=True, stderr=stderr)
    job = client.get_job(job_id)
    epochs = job.epochs or job.training.get("epochs") or 1
    steps = steps_per_epoch(client, job)
    live = console.is_terminal
    progress = Progress(
        TextColumn("Epoch {task.fields[epoch]}/" + str(epochs)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[metrics]}"),
        console=console,
        disable=not live,
    )
    tasks: dict[int, int] = {}
    last_status = None

    def task_of(epoch: int) -> int:
        if epoch not in tasks:
            tasks[epoch] = progress.add_task("", total=steps, epoch=epoch, metrics="")
        return tasks[epoch]

    with progress:
        for event in client.events(job_id):
            if isinstance(event, StatusEvent):
                if event.status != last_status:
                    last_status = event.status
                    line = f"[dim]{escape(event.status)}[/dim]"
                    if event.message:
                        line += f" [dim]- {escape(event.message)}[/dim]"
                    console.print(line)
            elif isinstance(event, MetricEvent):
                task = task_of(event.epoch)
                text = format_metrics(event.values)
                if event.step is not None:
                    total = max(steps or 0, event.step) or None
                    progress.update(task, completed=event.step, total=total, metrics=escape(text))
                    continue
                done = max(steps or 0, int(progress.tasks[task].completed)) or 1
                progress.update(task, completed=done, total=done, metrics=escape(text))
                if not live:
                    console.print(
                        f"Epoch {event.epoch}/{epochs} - {text}", highlight=False, markup=False
                    )
    job = client.get_job(job_id)
    history = client.metrics(job_id)
    if history:
        names = list(dict.fromkeys(name for row in history for name in row.values))
        rows = [
            [row.epoch, *(format_value(row.values.get(name)) for name in names)] for row in history
        ]
        print_table(["epoch", *names], rows, title=f"{job.id} ({job.status})", stderr=stderr)
    elapsed = ""
    if job.started_at and job.finished_at:
        elapsed = f" in {(job.finished_at - job.started_at).total_seconds():.1f} s"
    console.print(
        f"Job {job.id} {job.status} ({job.reason}){elapsed}: {job.message}",
        highlight=False,
        markup=False,
    )
    return job


def exit_for(job) -> None:
    """Ends the command with status 1 and a one-line reason unless the job succeeded."""
    if job.status != "succeeded":
        fail(f"job {job.id} {job.status} ({job.reason}): {job.message}")


def watch(
    job_id: Annotated[str, typer.Argument(help="The job.")], as_json: JsonOption = False
) -> None:
    """Shows a job's progress live until it finishes, then a summary of its epochs.

    With `--json` the progress goes to stderr and the finished job to stdout.
    """
    with connect() as client:
        job = watch_job(client, job_id, stderr=as_json)
    if as_json:
        print_json(job)
    exit_for(job)


def _job_rows(jobs) -> list[list[object]]:
    return [
        [
            job.id,
            job.name or "",
            job.status,
            f"{job.epoch}/{job.epochs or '?'}",
            format_metrics({k: v for k, v in (job.metrics or {}).items() if k != "epoch"}),
            job.attempts[-1].worker if job.attempts else "",
            format_time(job.created_at),
        ]
        for job in jobs
    ]


@jobs_app.command("ls")
def jobs_ls(
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only these statuses (repeat).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most jobs shown.")] = 50,
    sweep: Annotated[
        str | None, typer.Option("--sweep", help="Only the trials of this sweep (swp_...).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Lists jobs, newest first."""
    with connect() as client:
        jobs = client.list_jobs(status=status, limit=limit, sweep_id=sweep).items
    if as_json:
        print_json(jobs)
        return
    columns = ["id", "name", "status", "epoch", "metrics", "worker", "created"]
    print_table(columns, _job_rows(jobs))


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[str, typer.Argument(help="The job.")], as_json: JsonOption = False
) -> None:
    """Shows a job: status, progress, latest metrics, attempts."""
    with connect() as client:
        job = client.get_job(job_id)
    if as_json:
        print_json(job)
        return
    fields = [
        ("id", job.id),
        ("name", job.name),
        ("status", f"{job.status} ({job.reason})"),
        ("message", job.message),
    ]
    if job.waiting:
        fields.append(("waiting", job.waiting.get("message") or job.waiting.get("reason")))
    if job.sweep_id:
        fields.append(("sweep", f"{job.sweep_id} (trial {job.trial_index})"))
    fields += [
        ("progress", f"epoch {job.epoch}/{job.epochs}"),
        ("metrics", format_metrics(job.metrics or {})),
        ("model", job.model_id),
        ("dataset", job.dataset_id),
        ("hyperparameters", json.dumps(job.hyperparameters)),
        ("training", json.dumps(job.training)),
        ("queue", job.queue),
        ("priority", job.priority),
        ("created", format_time(job.created_at)),
        ("started", format_time(job.started_at)),
        ("finished", format_time(job.finished_at)),
    ]
    for attempt in job.attempts:
        fields.append(
            (f"attempt {attempt.number}", f"{attempt.worker} {attempt.outcome or ''}".strip())
        )
    print_table(["field", "value"], [list(item) for item in fields])


@jobs_app.command("cancel")
def jobs_cancel(
    job_id: Annotated[str, typer.Argument(help="The job.")], as_json: JsonOption = False
) -> None:
    """Cancels a job (a running one stops within seconds)."""
    with connect() as client:
        job = client.cancel_job(job_id)
    if as_json:
        print_json(job)
        return
    typer.echo(f"{job.id} {job.status}")


@jobs_app.command("logs")
def jobs_logs(
    job_id: Annotated[str, typer.Argument(help="The job.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until it finishes.")
    ] = False,
    tail: Annotated[int | None, typer.Option("--tail", help="Only the last N lines.")] = None,
) -> None:
    """Prints the training process's output."""
    with connect() as client:
        if not follow:
            sys.stdout.write(client.logs(job_id, tail=tail))
            return
        for chunk in client.follow_logs(job_id):
            sys.stdout.write(chunk)
            sys.stdout.flush()


@checkpoints_app.command("ls")
def checkpoints_ls(
    job_id: Annotated[str, typer.Argument(help="The job.")], as_json: JsonOption = False
) -> None:
    """Lists a job's checkpoints."""
    with connect() as client:
        checkpoints = client.list_checkpoints(job_id)
    if as_json:
        print_json(checkpoints)
        return
    rows = [
        [c.epoch, c.size_bytes, format_metrics(c.metrics or {}), format_time(c.created_at)]
        for c in checkpoints
    ]
    print_table(["epoch", "bytes", "metrics", "created"], rows)


@checkpoints_app.command("pull")
def checkpoints_pull(
    job_id: Annotated[str, typer.Argument(help="The job.")],
    epoch: Annotated[int | None, typer.Option("--epoch", help="Epoch (default latest).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File or folder to write.")
    ] = None,
) -> None:
    """Downloads a checkpoint (`.keras`; load it with `kerascore.models.load_model`)."""
    with connect() as client:
        path = client.download_checkpoint(job_id, output, epoch if epoch is not None else "latest")
    typer.echo(str(path))


@checkpoints_app.command("export")
def checkpoints_export(
    job_id: Annotated[str, typer.Argument(help="The job.")],
    checkpoint: Annotated[
        str, typer.Option("--checkpoint", help="latest, best or an epoch number.")
    ] = "latest",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File or folder to write.")
    ] = None,
) -> None:
    """Downloads a TensorFlow SavedModel of a checkpoint (`.tar.gz`; `tf.saved_model.load` or
    TensorFlow Serving load its `savedmodel/` folder)."""
    with connect() as client:
        path = client.export_savedmodel(job_id, output, checkpoint)
    typer.echo(str(path))


def predict(
    job_id: Annotated[str, typer.Argument(help="The job.")],
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help='JSON: a list of rows, or {"instances": [...]} or {"inputs": {...}}; - for stdin.',
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Predicts with a job's latest checkpoint; prints one prediction per line."""
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text()
        body = json.loads(text)
    except OSError as error:
        fail(f"Cannot read {str(file)!r}: {error.strerror}.", 2)
    except ValueError as error:
        fail(f"{file} is not valid JSON: {error}.", 2)
    if isinstance(body, list):
        body = {"instances": body}
    if not isinstance(body, dict) or set(body) - {"instances", "inputs"} or not body:
        fail(
            f'Expected a list of rows, {{"instances": [...]}} or {{"inputs": {{...}}}} in {file}.',
            2,
        )
    with connect() as client:
        result = client.predict(job_id, body.get("instances"), body.get("inputs"))
    if as_json:
        print_json(result)
        return
    for row in result.predictions:
        typer.echo(json.dumps(row))


SPACE_EXAMPLE = '{"units": {"type": "choice", "values": [32, 64]}}'


def read_space(value: str) -> dict[str, object]:
    """Reads `--space`: a JSON file, or the JSON object itself."""
    path = Path(value)
    if path.is_file():
        where = f"space file {value}"
        try:
            text = path.read_text()
        except OSError as error:
            fail(f"Cannot read the space file {value!r}: {error.strerror}.", 2)
    elif value.lstrip().startswith(("{", "[")):
        where, text = "--space", value
    else:
        fail(
            f"space file not found: {value!r}. Give a JSON file or the JSON itself, e.g. "
            f"--space '{SPACE_EXAMPLE}'.",
            2,
        )
    try:
        space = json.loads(text)
    except ValueError as error:
        fail(f"{where} is not valid JSON: {error}.", 2)
    if not isinstance(space, dict) or not space:
        fail(
            f"Expected {where} to hold a JSON object of hyperparameter name -> its range, e.g. "
            f"{SPACE_EXAMPLE}. Received: {json.dumps(space)[:200]}",
            2,
        )
    return space


def format_hyperparameter(value: object) -> str:
    """A sampled value: floats to 4 significant digits, other values as JSON."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value)


def describe_trial(trial, metric: str | None, progress: bool = False) -> str:
    """One line: `trial 3 (job_...) units=64 lr=0.003: val_accuracy 0.9611 at epoch 2`; with
    `progress`: `trial 3 (job_...) units=64 lr=0.003 - running, epoch 2/9; best val_...`."""
    values = " ".join(
        f"{name}={format_hyperparameter(value)}" for name, value in trial.hyperparameters.items()
    )
    line = f"trial {trial.index} ({trial.job_id}) {values}"
    if progress:
        status = "stopped early" if trial.stopped_early else trial.status
        line += f" - {status}, epoch {trial.epoch}/{trial.epochs or '?'}"
    if trial.best_metric is not None:
        best = f"{metric} {format_value(trial.best_metric)} at epoch {trial.best_epoch}"
        line += f"; best {best}" if progress else f": {best}"
    return line


def trials_table(sweep) -> tuple[list[str], list[list[object]]]:
    """The columns and rows of a sweep's trials table; the best trial is marked `*`."""
    names = list(sweep.space)
    for trial in sweep.trials:
        names += [name for name in trial.hyperparameters if name not in names]
    best = sweep.best_trial.index if sweep.best_trial else None
    rows = []
    for trial in sweep.trials:
        values = [
            format_hyperparameter(trial.hyperparameters[name])
            if name in trial.hyperparameters
            else ""
            for name in names
        ]
        best_metric = "" if trial.best_metric is None else format_value(trial.best_metric)
        rows.append(
            [
                f"{trial.index}{' *' if trial.index == best else ''}",
                trial.job_id or "",
                "stopped early" if trial.stopped_early else trial.status,
                *values,
                f"{trial.epoch}/{trial.epochs or '?'}",
                best_metric,
            ]
        )
    return ["trial", "job", "status", *names, "epoch", f"best {sweep.metric}"], rows


def describe_searcher(searcher: dict) -> str:
    """`asha (seed 0, min_epochs 1, reduction_factor 3)`: the settings the searcher uses."""
    name = searcher.get("name", "?")
    used = {"grid": (), "random": ("seed",)}.get(name, ("seed", "min_epochs", "reduction_factor"))
    settings = ", ".join(f"{key} {searcher[key]}" for key in used if key in searcher)
    return f"{name} ({settings})" if settings else name


def describe_counts(sweep) -> str:
    """`4/16 trials: 2 running, 1 succeeded, 1 stopped_early`."""
    counts = {status: count for status, count in (sweep.counts or {}).items() if count}
    parts = ", ".join(f"{count} {status}" for status, count in counts.items())
    total = sum(counts.values())
    return f"{total}/{sweep.max_trials or '?'} trials" + (f": {parts}" if parts else "")


def print_sweep_result(sweep, stderr: bool = False) -> None:
    """The trials table, then the sweep's outcome and its best trial."""
    columns, rows = trials_table(sweep)
    title = f"{sweep.id} ({sweep.status}; * best by {sweep.metric}, {sweep.mode})"
    print_table(columns, rows, title=title, stderr=stderr)
    typer.echo(
        f"Sweep {sweep.id} {sweep.status} ({sweep.reason}): {describe_counts(sweep)}.",
        err=stderr,
    )
    if sweep.best_trial is not None:
        typer.echo(f"Best trial: {describe_trial(sweep.best_trial, sweep.metric)}", err=stderr)
    else:
        typer.echo(f"Best trial: none (no trial reported {sweep.metric}).", err=stderr)


def follow_sweep(client, sweep_id: str, stderr: bool = False, poll_s: float = 1.0):
    """Shows a sweep's trials live until it ends, then its result; returns the ended sweep.

    On a terminal the trials table is redrawn in place; otherwise a line is printed whenever a
    trial changes status or epoch. `stderr` keeps stdout for JSON.
    """
    from rich.console import Console
    from rich.live import Live
    from rich.markup import escape
    from rich.table import Table

    console = Console(stderr=stderr, soft_wrap=True)

    def live_table(sweep) -> Table:
        columns, rows = trials_table(sweep)
        table = Table(title=escape(describe_counts(sweep)), show_edge=False, header_style="bold")
        for column in columns:
            table.add_column(escape(column))
        for row in rows:
            table.add_row(*(escape(str(cell)) for cell in row))
        return table

    seen: dict[int, tuple] = {}

    def print_changes(sweep) -> None:
        for trial in sweep.trials:
            state = (trial.status, trial.reason, trial.epoch)
            if seen.get(trial.index) == state:
                continue
            seen[trial.index] = state
            line = describe_trial(trial, sweep.metric, progress=True)
            console.print(line, highlight=False, markup=False)

    try:
        sweep = client.get_sweep(sweep_id)
        if console.is_terminal:
            with Live(live_table(sweep), console=console, transient=True) as live:
                while not sweep.is_terminal:
                    time.sleep(poll_s)
                    sweep = client.get_sweep(sweep_id)
                    live.update(live_table(sweep))
        else:
            print_changes(sweep)
            while not sweep.is_terminal:
                time.sleep(poll_s)
                sweep = client.get_sweep(sweep_id)
                print_changes(sweep)
    except KeyboardInterrupt:
        fail(
            f"stopped following; sweep {sweep_id} goes on (`horn sweep show {sweep_id} "
            f"--follow` follows it again, `horn sweep cancel {sweep_id}` stops it).",
            130,
        )
    print_sweep_result(sweep, stderr=stderr)
    return sweep


def exit_for_sweep(sweep) -> None:
    """Ends the command with status 1 and a one-line reason unless the sweep succeeded."""
    if sweep.status != "succeeded":
        fail(f"sweep {sweep.id} {sweep.status} ({sweep.reason}): {sweep.message}")


@sweep_app.command("submit")
def sweep_submit(
    source: Annotated[str, typer.Argument(help="Model source (.py) or model id (mdl_...).")],
    data: Annotated[str, typer.Option("--data", help="Dataset file or id (ds_...).")],
    space: Annotated[
        str,
        typer.Option(
            "--space",
            help="The search space: a JSON file or inline JSON, name -> "
            '{"type": "choice"|"uniform"|"loguniform"|"int", ...} (docs/experiments.md).',
        ),
    ],
    searcher: Annotated[
        str, typer.Option("--searcher", help="grid, random or asha (early stopping).")
    ] = "random",
    metric: Annotated[
        str,
        typer.Option(
            "--metric",
            help="Metric trials are ranked by (val_* needs --validation-split or a val split).",
        ),
    ] = "val_loss",
    mode: Annotated[str, typer.Option("--mode", help="min or max: which is better.")] = "min",
    max_trials: Annotated[
        int | None, typer.Option("--max-trials", min=1, help="Trials (grid: its size).")
    ] = None,
    max_concurrent: Annotated[
        int | None, typer.Option("--max-concurrent", min=1, help="Trials running at once.")
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", help="Epochs of each trial (asha: the most).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Batch size.")] = None,
    validation_split: Annotated[
        float | None, typer.Option("--validation-split", help="Fraction held out.")
    ] = None,
    hp: Annotated[
        list[str] | None,
        typer.Option("--hp", help="A fixed hyperparameter NAME=VALUE of every trial (repeat)."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="The searcher's seed.")] = None,
    min_epochs: Annotated[
        int | None, typer.Option("--min-epochs", min=1, help="asha: the first rung's epochs.")
    ] = None,
    reduction_factor: Annotated[
        int | None,
        typer.Option("--reduction-factor", min=2, help="asha: keep the top 1/N at each rung."),
    ] = None,
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs of each trial.")] = 0,
    name: Annotated[str | None, typer.Option("--name", help="A label.")] = None,
    max_runtime_s: Annotated[
        int | None, typer.Option("--max-runtime", help="Each trial's limit in seconds.")
    ] = None,
    priority: PriorityOption = 0,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Show the trials live until it ends.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Uploads the model source and data (once per content) and starts a hyperparameter sweep.

    Every trial is an ordinary job. With `--follow` the exit status is 0 when the sweep
    succeeded (at least one trial did), 1 otherwise.
    """
    from server.client import SEARCHERS

    if searcher not in SEARCHERS:
        fail(f"Expected --searcher to be one of {', '.join(SEARCHERS)}. Received: {searcher!r}", 2)
    if mode not in ("min", "max"):
        fail(f"Expected --mode to be min or max. Received: {mode!r}", 2)
    parsed_space = read_space(space)
    hyperparameters = parse_hyperparameters(hp or [])
    with connect() as client:
        model_id = upload_once(client, source, "model")
        dataset_id = upload_once(client, data, "dataset")
        sweep = client.create_sweep(
            model_id,
            dataset_id,
            parsed_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            max_trials=max_trials,
            max_concurrent_trials=max_concurrent,
            hyperparameters=hyperparameters,
            training=training_settings(epochs, batch_size, validation_split),
            resources={"gpus": gpus},
            name=name,
            max_runtime_s=max_runtime_s,
            priority=priority,
            seed=seed,
            min_epochs=min_epochs,
            reduction_factor=reduction_factor,
        )
        if not follow:
            if as_json:
                print_json(sweep)
            else:
                typer.echo(sweep.id)
                typer.echo(f"Follow it with `horn sweep show {sweep.id} --follow`.", err=True)
            return
        typer.echo(f"Submitted {sweep.id} ({searcher}, {describe_counts(sweep)}).", err=True)
        sweep = follow_sweep(client, sweep.id, stderr=as_json)
    if as_json:
        print_json(sweep)
    exit_for_sweep(sweep)


@sweep_app.command("show")
def sweep_show(
    sweep_id: Annotated[str, typer.Argument(help="The sweep (swp_...).")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Show the trials live until it ends.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Shows a sweep: its settings, its trials (the best marked `*`) and its best trial."""
    with connect() as client:
        if follow:
            sweep = follow_sweep(client, sweep_id, stderr=as_json)
            if as_json:
                print_json(sweep)
            exit_for_sweep(sweep)
            return
        sweep = client.get_sweep(sweep_id)
    if as_json:
        print_json(sweep)
        return
    training = {key: value for key, value in sweep.training.items() if value is not None}
    fields = [
        ("id", sweep.id),
        ("name", sweep.name),
        ("status", f"{sweep.status} ({sweep.reason})"),
        ("message", sweep.message),
        ("searcher", describe_searcher(sweep.searcher)),
        ("metric", f"{sweep.metric} ({sweep.mode})"),
        ("trials", describe_counts(sweep)),
        ("max concurrent", sweep.max_concurrent_trials),
        ("model", sweep.model_id),
        ("dataset", sweep.dataset_id),
        ("hyperparameters", json.dumps(sweep.hyperparameters)),
        ("training", json.dumps(training)),
        ("priority", sweep.priority),
        ("created", format_time(sweep.created_at)),
        ("finished", format_time(sweep.finished_at)),
    ]
    print_table(["field", "value"], [list(item) for item in fields])
    print_sweep_result(sweep)


@sweep_app.command("ls")
def sweep_ls(
    limit: Annotated[int, typer.Option("--limit", help="Most sweeps shown.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Lists sweeps, newest first."""
    with connect() as client:
        sweeps = client.list_sweeps(limit=limit).items
    if as_json:
        print_json(sweeps)
        return
    rows = [
        [
            sweep.id,
            sweep.name or "",
            sweep.status,
            sweep.searcher.get("name", ""),
            f"{sweep.metric} ({sweep.mode})",
            describe_counts(sweep),
            "" if sweep.best_trial is None else format_value(sweep.best_trial.best_metric),
            format_time(sweep.created_at),
        ]
        for sweep in sweeps
    ]
    columns = ["id", "name", "status", "searcher", "metric", "trials", "best", "created"]
    print_table(columns, rows)


@sweep_app.command("cancel")
def sweep_cancel(
    sweep_id: Annotated[str, typer.Argument(help="The sweep (swp_...).")],
    as_json: JsonOption = False,
) -> None:
    """Cancels a sweep and its unfinished trials."""
    with connect() as client:
        sweep = client.cancel_sweep(sweep_id)
    if as_json:
        print_json(sweep)
        return
    typer.echo(f"{sweep.id} {sweep.status}")
