"""`TensorBoard`: writes logs for TensorBoard."""

import os
import time

import numpy as np
import tensorflow as tf

from kerascore.callbacks.callback import Callback


class TensorBoard(Callback):
    """Writes training logs as TensorBoard event files.

    Epoch results go to `log_dir/train` (with the learning rate) and validation results to
    `log_dir/validation`, as scalars named `epoch_<metric>` with the epoch as step. With an
    int `update_freq` the running results are also written every `update_freq` batches as
    `batch_<metric>`, with the global batch number as step. After each evaluation,
    `evaluation_<metric>_vs_iterations` is written under `validation` with the optimizer's
    iteration count as step. View them with `tensorboard --logdir log_dir`.

    Args:
        log_dir: Folder of the event files.
        histogram_freq: Write histograms of the model's weights every this many epochs
            (0: never).
        write_graph: Whether to write the graph of the first training step (shown in
            TensorBoard's Graphs tab).
        write_images: Must be False: weight images are not supported (use `histogram_freq`).
        write_steps_per_second: Whether to also write the training speed, as
            `epoch_steps_per_second` (and `batch_steps_per_second` with an int
            `update_freq`).
        update_freq: `"epoch"`, `"batch"` (every batch) or an int number of batches.
        profile_batch: Must be 0: profiling is not supported.

    Raises:
        ValueError: for an invalid `update_freq` or `histogram_freq`, or a request for an
            unsupported feature.
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
    ):
        super().__init__()
        if write_images:
            raise ValueError(
                "TensorBoard(write_images=True) is not supported; use histogram_freq to log "
                f"weight distributions. Received: write_images={write_images!r}"
            )
        if profile_batch:
            raise ValueError(
                "TensorBoard profiling is not supported; pass profile_batch=0 and use "
                f"tf.profiler directly. Received: profile_batch={profile_batch!r}"
            )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "Expected update_freq='epoch', 'batch' or a positive int number of batches. "
                f"Received: update_freq={update_freq!r}"
            )
        if (
            isinstance(histogram_freq, bool)
            or not isinstance(histogram_freq, int)
            or (histogram_freq < 0)
        ):
            raise ValueError(
                "Expected histogram_freq to be an int >= 0 (0 disables histograms). "
                f"Received: histogram_freq={histogram_freq!r}"
            )
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._writers = {}
        self._global_train_batch = 0
        self._batches_before_epoch = 0
        self._tracing = False

    def implements_batch_hooks(self):
        return self.update_freq != "epoch"

    def _writer(self, subdir):
        if subdir not in self._writers:
            self._writers[subdir] = tf.summary.create_file_writer(
                os.path.join(self.log_dir, subdir)
            )
        return self._writers[subdir]

    def _write_scalars(self, subdir, name_format, logs, step):
        with self._writer(subdir).as_default():
            for name, value in logs.items():
                if np.ndim(value) == 0 and not isinstance(value, str):
                    tf.summary.scalar(name_format.format(name), float(value), step=step)

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._batches_before_epoch = 0
        if self.write_graph:
            tf.summary.trace_on(graph=True, profiler=False)
            self._tracing = True

    def _export_graph(self):
        if self._tracing:
            with self._writer("train").as_default():
                tf.summary.trace_export(name="train_function", step=0)
            self._tracing = False

    def _iterations(self):
        return int(tf.convert_to_tensor(self.model.optimizer.iterations))

    def on_epoch_begin(self, epoch, logs=None):
        self._batches_before_epoch = self._global_train_batch
        if self.write_steps_per_second:
            self._epoch_start = (time.perf_counter(), self._iterations())

    def on_train_batch_begin(self, batch, logs=None):
        if self.write_steps_per_second:
            self._batch_start = (time.perf_counter(), batch)

    def on_train_batch_end(self, batch, logs=None):
        self._export_graph()
        # The trainer may run several batches per call; `batch` is the last one of them.
        self._global_train_batch = self._batches_before_epoch + batch + 1
        if self.update_freq == "epoch" or not isinstance(logs, dict):
            return
        if self._global_train_batch % self.update_freq == 0:
            if self.write_steps_per_second:
                start_time, first_batch = self._batch_start
                logs = {
                    **logs,
                    "steps_per_second": (batch - first_batch + 1)
                    / (time.perf_counter() - start_time),
                }
            self._write_scalars("train", "batch_{}", logs, self._global_train_batch)

    def on_test_begin(self, logs=None):
        self._export_graph()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if logs and optimizer is not None:
            step = int(optimizer.iterations)
            with self._writer("validation").as_default():
                for name, value in logs.items():
                    tf.summary.scalar(f"evaluation_{name}_vs_iterations", float(value), step=step)
            self._writer("validation").flush()

    def on_epoch_end(self, epoch, logs=None):
        self._export_graph()
        logs = logs or {}
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            train_logs["learning_rate"] = float(np.asarray(optimizer.learning_rate))
        if self.write_steps_per_second:
            start_time, start_iterations = self._epoch_start
            train_logs["steps_per_second"] = (self._iterations() - start_iterations) / (
                time.perf_counter() - start_time
            )
        self._write_scalars("train", "epoch_{}", train_logs, epoch)
        if val_logs:
            self._write_scalars("validation", "epoch_{}", val_logs, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            with self._writer("train").as_default():
                for weight in self.model.weights:
                    name = weight.name.split(":")[0]
                    tf.summary.histogram(f"{name}/histogram", weight, step=epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        if self._tracing:
            tf.summary.trace_off()
            self._tracing = False
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
