"""The training runner: a fresh Python process, inside the job's own box, that runs one attempt.

Started by the worker as `python -m server.workers.runner /job --report-fd N` inside a box
(`server.workers.sandbox.start_box`, see `server.workers.tasks`). A warm runner
(`server.workers.warm`) gets `--wait-fd M` too: it imports TensorFlow and kerascore first, then
waits for one line on that pipe (the worker has put a job into its still empty `/job` by then)
and runs as above; an end of file instead of a line ends it without running anything.

The box shows the job as `/job`: `job.json` (the spec), `dataset.npz`, `model.py` and, when
resuming, `resume.keras`, all read-only, and `/job/work`, its working folder and the only place
it can write. It loads the `.npz` dataset (`allow_pickle=False`), imports the model source by
path, calls `build_model(hparams)`, compiles where the source did not, and fits. Checkpoints go to
`work/checkpoints/`; the worker copies each out of the work folder once reported, so files the
API serves are never left where user code writes.

It reports to the worker through the pipe `--report-fd` with one JSON object per line:

- `{"type": "log", "line": str}`: a message of the runner itself.
- `{"type": "started", "epochs": int, "initial_epoch": int, "compiled_by": str}`: training begins.
- `{"type": "metric", "epoch": int, "step": int | None, "values": {name: float | None}}`:
  the values at the end of an epoch (`step` None) or, throttled, after a batch of it.
- `{"type": "checkpoint", "epoch": int, "path": str}`: a complete `.keras` file (written to a
  temp name, then renamed), `checkpoints/epoch-NNNN.keras` relative to the working folder.
- `{"type": "done", "epochs_completed": int, "stopped_early": bool}`: training finished.
- `{"type": "error", "kind": str, "stage": str, "message": str}`: it failed; the traceback is in
  the log. `stage` is one of `setup`, `dataset`, `import`, `build_model`, `compile`, `fit`;
  `kind` is the exception's type name, or `NaNLoss` for a loss that became NaN.

Epochs are numbered from 1. What user code prints goes to stdout/stderr, which the worker
stores as the job's log; the pipe carries only the lines above.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.machinery
import importlib.util
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

SPEC_FILENAME = "job.json"
# Where a job's files appear inside its box: the spec, dataset, model source and the checkpoint
# to resume from read-only, the working folder read-write (the only place the runner writes).
BOX_JOB_DIR = "/job"
BOX_DATASET = "/job/dataset.npz"
BOX_SOURCE = "/job/model.py"
BOX_RESUME = "/job/resume.keras"
WORK_FOLDER = "work"
SOURCE_FILENAME = "model_source.py"
CHECKPOINT_FOLDER = "checkpoints"
# Per-batch metrics are reported at most this often, so a fast epoch does not flood the store.
BATCH_REPORT_INTERVAL_S = 1.0
_USER_MODULE_NAME = "horn_user_model"


class RunnerError(Exception):
    """A failure of one stage of the run, reported with its stage and kind.

    Args:
        stage: the stage that failed (`dataset`, `import`, ...).
        kind: the type name of the cause (the user's exception type, or `NaNLoss`, ...).
        message: what went wrong, for the job's `message`.
    """

    def __init__(self, stage: str, kind: str, message: str):
        super().__init__(message)
        self.stage = stage
        self.kind = kind
        self.message = message


class Reporter:
    """Writes the runner's JSON lines to the worker's pipe.

    Args:
        stream: a text stream on the report pipe, or None to print to stderr (manual runs).
    """

    def __init__(self, stream: Any | None):
        self._stream = stream

    def send(self, type_: str, **fields: Any) -> None:
        """Sends one report line of type `type_`."""
        line = json.dumps({"type": type_, **fields}, allow_nan=False)
        if self._stream is None:
            print(f"[horn] {line}", file=sys.stderr, flush=True)
            return
        self._stream.write(line + "\n")
        self._stream.flush()

    def log(self, line: str) -> None:
        """Sends a log line of the runner itself."""
        self.send("log", line=line)


def finite_or_none(value: Any) -> float | None:
    """Returns `value` as a float, or None when it is NaN or infinite (JSON has neither)."""
    number = float(value)
    return number if math.isfinite(number) else None


def read_spec(path: Path) -> dict[str, Any]:
    """Reads the job spec the worker wrote (read-only inside the box).

    Args:
        path: the spec file (`job.json` in the job dir).

    Returns:
        The spec.

    Raises:
        RunnerError: if the file is missing, a symlink, or not JSON.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise RunnerError("setup", type(exc).__name__, f"Cannot read the job spec: {exc}") from exc
    with os.fdopen(fd, "rb") as file:
        try:
            return json.loads(file.read())
        except ValueError as exc:
            raise RunnerError("setup", "ValueError", f"The job spec is not JSON: {exc}") from exc


def load_dataset(file: Any) -> dict[str, Any]:
    """Loads the job's `.npz` dataset without pickle and arranges it for `fit`.

    Keys follow docs/datasets.md: `x`, `y`, `x_val`, `y_val` (and `x_test`, `y_test`, unused
    here), or `x:<input>`, `y:<output>`, `x_val:<input>`, `y_val:<output>` for several inputs
    or outputs.

    Args:
        file: a binary file object on the `.npz`.

    Returns:
        A dict with `x`, `y` and, when the dataset has them, `x_val`, `y_val`; each an array
        or a dict of arrays by input/output name.

    Raises:
        RunnerError: if the file is not a readable `.npz` or lacks `x`/`y`.
    """
    import numpy as np

    try:
        with np.load(file, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as exc:
        raise RunnerError(
            "dataset", type(exc).__name__, f"The dataset could not be loaded: {exc}"
        ) from exc
    result = {}
    for part in ("x", "y", "x_val", "y_val"):
        named = {
            name.split(":", 1)[1]: array
            for name, array in arrays.items()
            if name.startswith(part + ":")
        }
        if part in arrays:
            result[part] = arrays[part]
        elif named:
            result[part] = named
    missing = [part for part in ("x", "y") if part not in result]
    if missing:
        raise RunnerError(
            "dataset",
            "ValueError",
            f"The dataset has no {' or '.join(missing)} array. Expected arrays `x` and `y` "
            f"(or `x:<input>`/`y:<output>`). Received: {sorted(arrays)}",
        )
    if ("x_val" in result) != ("y_val" in result):
        result.pop("x_val", None)
        result.pop("y_val", None)
    return result


def load_user_module(path: str) -> Any:
    """Imports a user's Python file by path as a module.

    Args:
        path: the file.

    Returns:
        The executed module (also in `sys.modules` as `horn_user_model`).
    """
    loader = importlib.machinery.SourceFileLoader(_USER_MODULE_NAME, path)
    spec = importlib.util.spec_from_file_location(_USER_MODULE_NAME, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_USER_MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


def import_model_source(source_text: str, entry_point: str) -> Any:
    """Imports the user's model source by path and returns its entry point.

    Args:
        source_text: the Python source (written to the job dir, then imported from there).
        entry_point: name of the function to return, e.g. `build_model`.

    Returns:
        The entry-point function.

    Raises:
        RunnerError: if the import raises or the entry point is missing.
    """
    Path(SOURCE_FILENAME).write_text(source_text, encoding="utf-8")
    try:
        module = load_user_module(SOURCE_FILENAME)
    except BaseException as exc:
        traceback.print_exc()
        raise RunnerError(
            "import",
            type(exc).__name__,
            f"Importing the model source raised {type(exc).__name__}: {exc}",
        ) from exc
    function = getattr(module, entry_point, None)
    if not callable(function):
        raise RunnerError(
            "import",
            "AttributeError",
            f"The model source defines no function {entry_point}(hparams). Define it at module "
            "level; it must return a kerascore model.",
        )
    return function


def build_user_model(build_model: Any, hparams: dict[str, Any]) -> Any:
    """Calls `build_model(hparams)` and checks that it returned a kerascore model.

    Raises:
        RunnerError: if it raises or returns something else than a model.
    """
    import kerascore

    try:
        model = build_model(dict(hparams))
    except BaseException as exc:
        traceback.print_exc()
        raise RunnerError(
            "build_model",
            type(exc).__name__,
            f"build_model(hparams) raised {type(exc).__name__}: {exc}",
        ) from exc
    if not isinstance(model, kerascore.Model):
        raise RunnerError(
            "build_model",
            "TypeError",
            "build_model(hparams) must return a kerascore Model (e.g. keras.Sequential(...)). "
            f"Received: {type(model).__name__}",
        )
    return model


def infer_loss(model: Any, y: Any) -> str:
    """Picks a loss for a single-output model the source did not compile and the job left open.

    Raises:
        RunnerError: where no loss follows from the data (several outputs, unknown shapes).
    """
    import numpy as np

    output_shape = None
    outputs = getattr(model, "outputs", None)
    if outputs and len(outputs) == 1:
        output_shape = tuple(outputs[0].shape)
    if isinstance(y, dict) or output_shape is None:
        raise RunnerError(
            "compile",
            "ValueError",
            "The model source does not compile the model and the job sets no loss, and none "
            "follows from the data. Set training.loss (e.g. 'mse') or call model.compile(...) "
            "in build_model.",
        )
    units = output_shape[-1]
    if np.issubdtype(y.dtype, np.integer):
        if units == 1:
            return "binary_crossentropy" if set(np.unique(y)) <= {0, 1} else "mse"
        return "sparse_categorical_crossentropy" if y.ndim == 1 or y.shape[-1] == 1 else "mse"
    one_hot = units and units > 1 and y.ndim == 2 and y.shape[-1] == units
    if one_hot and np.allclose(y.sum(axis=-1), 1.0) and (y >= 0).all():
        return "categorical_crossentropy"
    return "mse"


def compile_model(model: Any, training: dict[str, Any], y: Any) -> str:
    """Compiles the model with the job's training settings where the source left gaps.

    A compile in the source wins; the training settings fill in what it left out (loss and
    metrics); a model the source did not compile gets optimizer, learning rate, loss and
    metrics from the settings.

    Returns:
        Who compiled: `source`, `source+job` or `job`.
    """
    import kerascore

    job_metrics = list(training.get("metrics") or [])
    try:
        if getattr(model, "compiled", False):
            config = model.get_compile_config() or {}
            gaps = {}
            if config.get("loss") is None:
                gaps["loss"] = training.get("loss") or infer_loss(model, y)
            if not config.get("metrics") and job_metrics:
                gaps["metrics"] = job_metrics
            if not gaps:
                return "source"
            model.compile_from_config({**config, **gaps})
            return "source+job"
        optimizer_config: dict[str, Any] = {"class_name": training.get("optimizer") or "adam"}
        if training.get("learning_rate") is not None:
            optimizer_config["config"] = {"learning_rate": float(training["learning_rate"])}
        else:
            optimizer_config["config"] = {}
        model.compile(
            optimizer=kerascore.optimizers.get(optimizer_config),
            loss=training.get("loss") or infer_loss(model, y),
            metrics=job_metrics,
        )
        return "job"
    except RunnerError:
        raise
    except Exception as exc:
        traceback.print_exc()
        raise RunnerError(
            "compile",
            type(exc).__name__,
            f"Compiling the model with the job's training settings raised "
            f"{type(exc).__name__}: {exc}",
        ) from exc


class NaNLossError(Exception):
    """The training loss became NaN or infinite."""


def make_reporting_callback(
    reporter: Reporter, epochs: int, gpu_monitor: GpuMonitor | None = None
) -> Any:
    """Returns a kerascore callback that reports metrics and checkpoints and stops on NaN.

    Args:
        reporter: where reports go.
        epochs: the job's total epochs (for log lines).
        gpu_monitor: adds GPU figures to each epoch's values.

    Returns:
        The callback.
    """
    import kerascore

    class HornReporter(kerascore.callbacks.Callback):
        """Reports per-epoch and throttled per-batch metrics; saves a checkpoint every epoch."""

        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.last_batch_report = 0.0
            self.epochs_completed = 0

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch + 1
            self.last_batch_report = time.monotonic()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            values = dict(logs or {})
            loss = values.get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                raise NaNLossError(
                    f"The loss became NaN at epoch {self.epoch}, batch {batch + 1}. Lower the "
                    "learning rate, check the data for NaN or infinite values, or clip gradients."
                )
            now = time.monotonic()
            if now - self.last_batch_report >= BATCH_REPORT_INTERVAL_S:
                self.last_batch_report = now
                reporter.send(
                    "metric",
                    epoch=self.epoch,
                    step=batch + 1,
                    values={name: finite_or_none(value) for name, value in values.items()},
                )

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            values = {name: finite_or_none(value) for name, value in (logs or {}).items()}
            if "loss" in values and values["loss"] is None:
                raise NaNLossError(
                    f"The loss became NaN at epoch {epoch + 1}. Lower the learning rate or check "
                    "the data for NaN or infinite values."
                )
            if gpu_monitor is not None:
                values.update(gpu_monitor.epoch_figures())
            reporter.send("metric", epoch=epoch + 1, step=None, values=values)
            path = save_checkpoint(self.model, epoch + 1)
            reporter.send("checkpoint", epoch=epoch + 1, path=path)
            self.epochs_completed = epoch + 1
            summary = ", ".join(f"{k}={v:.4g}" for k, v in values.items() if v is not None)
            reporter.log(f"Epoch {epoch + 1}/{epochs}: {summary}")

    return HornReporter()


def visible_gpus() -> list[str]:
    """The GPUs this process sees (the worker hands each job its own, `CUDA_VISIBLE_DEVICES`)."""
    import tensorflow as tf

    return [device.name for device in tf.config.list_physical_devices("GPU")]


def distribution_strategy(spec: dict[str, Any], reporter: Reporter) -> Any:
    """The strategy the model is built, compiled and trained under.

    Several devices (the job's GPUs, or `spec["devices"]`, e.g. logical CPUs in tests) train
    under `tf.distribute.MirroredStrategy`: the user's `build_model` runs unchanged inside its
    scope and `batch_size` is the global batch, split over the replicas, as in Keras. One
    device: None (TensorFlow's default placement).
    """
    import tensorflow as tf

    devices = list(spec.get("devices") or [])
    cpu_replicas = sum(1 for device in devices if device.lower().startswith("/cpu"))
    if cpu_replicas > 1:
        # Logical CPUs, set before TensorFlow's runtime starts (train() calls this first).
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas
        )
    if not devices:
        gpus = visible_gpus()
        if len(gpus) > 1:
            devices = [f"/gpu:{index}" for index in range(len(gpus))]
    if len(devices) < 2:
        return None
    reporter.log(f"Training on {len(devices)} devices with MirroredStrategy: {devices}.")
    return tf.distribute.MirroredStrategy(devices)


def apply_mixed_precision(training: dict[str, Any], reporter: Reporter) -> None:
    """`training.mixed_precision`: the `mixed_float16` policy on GPU; ignored (said) on CPU."""
    if not training.get("mixed_precision"):
        return
    import kerascore

    if visible_gpus():
        kerascore.mixed_precision.set_global_policy("mixed_float16")
        reporter.log("Mixed precision: mixed_float16 (float16 compute, float32 variables).")
    else:
        reporter.log("Mixed precision asked for, but this job has no GPU: training in float32.")


class GpuMonitor:
    """Per-epoch GPU figures: peak memory (TensorFlow's counters) and utilisation (NVML).

    NVML (`pynvml`, from the `gpu` extra's nvidia-ml-py) is optional: without it only memory is
    reported. The figures join the epoch's metric values as `gpu<i>_memory_peak_mb` and
    `gpu<i>_utilization`.
    """

    def __init__(self) -> None:
        self.devices = [f"GPU:{index}" for index in range(len(visible_gpus()))]
        self.nvml_handles: list[Any] = []
        if not self.devices:
            return
        try:
            import pynvml

            pynvml.nvmlInit()
            visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
            indices = [int(i) for i in visible.split(",") if i.strip().isdigit()]
            indices = indices or list(range(len(self.devices)))
            self.nvml_handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in indices]
        except Exception:  # no NVML here: memory figures only
            self.nvml_handles = []

    def epoch_figures(self) -> dict[str, float]:
        """The figures since the last call (peak memory counters are reset)."""
        import tensorflow as tf

        figures: dict[str, float] = {}
        for index, device in enumerate(self.devices):
            try:
                info = tf.config.experimental.get_memory_info(device)
                figures[f"gpu{index}_memory_peak_mb"] = round(info["peak"] / 2**20, 1)
                tf.config.experimental.reset_memory_stats(device)
            except (ValueError, RuntimeError):
                continue
        for index, handle in enumerate(self.nvml_handles):
            try:
                import pynvml

                rates = pynvml.nvmlDeviceGetUtilizationRates(handle)
                figures[f"gpu{index}_utilization"] = float(rates.gpu)
            except Exception:
                continue
        return figures


def save_checkpoint(model: Any, epoch: int) -> str:
    """Saves `model` as `checkpoints/epoch-NNNN.keras` (temp name, then rename).

    Returns:
        The checkpoint's path, relative to the job dir.
    """
    folder = Path(CHECKPOINT_FOLDER)
    folder.mkdir(exist_ok=True)
    final = folder / f"epoch-{epoch:04d}.keras"
    temp = folder / f".epoch-{epoch:04d}.{os.getpid()}.tmp.keras"
    model.save(os.path.abspath(temp))
    os.replace(temp, final)
    return final.as_posix()


def make_early_stopping(settings: dict[str, Any] | None) -> Any:
    """Returns a kerascore EarlyStopping callback from the job's `early_stopping` settings."""
    import kerascore

    if not settings:
        return None
    allowed = ("monitor", "patience", "min_delta", "mode", "baseline", "restore_best_weights")
    return kerascore.callbacks.EarlyStopping(
        **{key: settings[key] for key in allowed if settings.get(key) is not None}
    )


def restore_checkpoint(model: Any, path: str) -> None:
    """Loads the weights of a previous attempt's checkpoint into `model`.

    Raises:
        RunnerError: if the checkpoint cannot be loaded into the model.
    """
    try:
        model.load_weights(path)
    except Exception as exc:
        traceback.print_exc()
        raise RunnerError(
            "setup",
            type(exc).__name__,
            f"Resuming from checkpoint {path} failed with {type(exc).__name__}: {exc}",
        ) from exc


def train(spec: dict[str, Any], dataset_file: Any, source_text: str, reporter: Reporter) -> None:
    """Runs the job: dataset, model source, build, compile, fit, checkpoints.

    Args:
        spec: the job spec (`hyperparameters`, `training`, `epochs`, `resume_from`, ...).
        dataset_file: the opened `.npz` dataset.
        source_text: the model source.
        reporter: where reports go.

    Raises:
        RunnerError: with the stage and cause of a failure.
    """
    data = load_dataset(dataset_file)
    training = dict(spec.get("training") or {})
    strategy = distribution_strategy(spec, reporter)
    if training.get("seed") is not None:
        import kerascore

        kerascore.utils.set_random_seed(int(training["seed"]))
    build_model = import_model_source(source_text, spec.get("entry_point") or "build_model")
    apply_mixed_precision(training, reporter)
    # Under a strategy the model's variables, the optimizer's and the restored weights are all
    # created in its scope.
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = build_user_model(build_model, spec.get("hyperparameters") or {})
        compiled_by = compile_model(model, training, data["y"])
        initial_epoch = 0
        if spec.get("resume_from"):
            restore_checkpoint(model, spec["resume_from"])
            initial_epoch = int(spec.get("initial_epoch") or 0)
            reporter.log(f"Resumed from the checkpoint of epoch {initial_epoch}.")
    epochs = int(spec.get("epochs") or training.get("epochs") or 1)
    monitor = GpuMonitor()
    reporter_callback = make_reporting_callback(
        reporter, epochs, monitor if monitor.devices else None
    )
    callbacks = [reporter_callback]
    early_stopping = make_early_stopping(training.get("early_stopping"))
    if early_stopping is not None:
        callbacks.append(early_stopping)
    fit_args: dict[str, Any] = {
        "epochs": epochs,
        "initial_epoch": initial_epoch,
        "batch_size": int(training.get("batch_size") or 32),
        "callbacks": callbacks,
        "verbose": 0,
    }
    if "x_val" in data:
        fit_args["validation_data"] = (data["x_val"], data["y_val"])
    elif training.get("validation_split"):
        fit_args["validation_split"] = float(training["validation_split"])
    if training.get("shuffle") is not None:
        fit_args["shuffle"] = bool(training["shuffle"])
    reporter.send("started", epochs=epochs, initial_epoch=initial_epoch, compiled_by=compiled_by)
    try:
        model.fit(data["x"], data["y"], **fit_args)
    except NaNLossError as exc:
        raise RunnerError("fit", "NaNLoss", str(exc)) from exc
    except BaseException as exc:
        traceback.print_exc()
        raise RunnerError(
            "fit", type(exc).__name__, f"Training raised {type(exc).__name__}: {exc}"
        ) from exc
    completed = max(reporter_callback.epochs_completed, initial_epoch)
    reporter.send("done", epochs_completed=completed, stopped_early=completed < epochs)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parses the runner's command line."""
    parser = argparse.ArgumentParser(prog="python -m server.workers.runner")
    parser.add_argument("job_dir", type=Path, help="the job's folder (holds job.json)")
    parser.add_argument("--report-fd", type=int, default=None, help="pipe for JSON lines")
    parser.add_argument(
        "--wait-fd",
        type=int,
        default=None,
        help="a warm runner: import TensorFlow, then wait for a line on this pipe before starting",
    )
    return parser.parse_args(argv)


def wait_for_job(wait_fd: int) -> bool:
    """Imports TensorFlow and kerascore and starts TensorFlow's runtime, then blocks until the
    worker hands over a job.

    Only Horn's own code runs before the job arrives: no user code, nothing of a job. With the
    runtime started, a spec's `devices` can no longer split the CPU into logical devices: the
    worker hands warm runners CPU jobs only, and its specs name no devices.

    Args:
        wait_fd: the read end of the worker's pipe; one line means "the job is in /job".

    Returns:
        True when a job was handed over, False when the pipe closed without one.
    """
    import kerascore  # noqa: F401

    warm_up_tensorflow()
    with os.fdopen(wait_fd, "rb") as pipe:
        return pipe.readline().endswith(b"\n")


def warm_up_tensorflow() -> None:
    """Starts TensorFlow's runtime and runs one compiled gradient step on a throwaway variable.

    A job's first model then skips the runtime's start and the first trace's set-up (0.3-0.7 s
    measured on the 2-core development machine). Plain TensorFlow, no kerascore object and no
    random op: layer names and seeds are as in a fresh runner.
    """
    import tensorflow as tf

    weights = tf.Variable(tf.zeros((4, 4)))

    @tf.function
    def step(inputs: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax(tf.matmul(inputs, weights)))
        weights.assign_sub(0.1 * tape.gradient(loss, weights))
        return loss

    step(tf.ones((2, 4)))


def main(argv: list[str] | None = None) -> int:
    """Runs one attempt of a job; returns the exit status (0 success, 1 failure, 2 setup)."""
    args = parse_args(argv)
    if args.wait_fd is not None and not wait_for_job(args.wait_fd):
        return 0
    return run_job(args)


def run_job(args: argparse.Namespace) -> int:
    """Runs the job in `args.job_dir`, reporting through `args.report_fd`."""
    stream = os.fdopen(args.report_fd, "w", buffering=1) if args.report_fd is not None else None
    reporter = Reporter(stream)
    try:
        os.chdir(args.job_dir)
        spec = read_spec(Path(SPEC_FILENAME))
        dataset_file = open(spec["dataset"], "rb")  # noqa: SIM115
        source_text = Path(spec["model_source"]).read_text(encoding="utf-8")
        Path(WORK_FOLDER).mkdir(exist_ok=True)
        os.chdir(WORK_FOLDER)
    except RunnerError as exc:
        reporter.send("error", kind=exc.kind, stage=exc.stage, message=exc.message)
        return 2
    except Exception as exc:
        traceback.print_exc()
        reporter.send(
            "error",
            kind=type(exc).__name__,
            stage="setup",
            message=f"The runner could not start: {type(exc).__name__}: {exc}",
        )
        return 2
    try:
        train(spec, dataset_file, source_text, reporter)
    except RunnerError as exc:
        reporter.send("error", kind=exc.kind, stage=exc.stage, message=exc.message)
        return 1
    except Exception as exc:
        traceback.print_exc()
        reporter.send(
            "error",
            kind=type(exc).__name__,
            stage="setup",
            message=f"The runner failed: {type(exc).__name__}: {exc}",
        )
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
