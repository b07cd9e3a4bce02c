"""The compiled epoch loop behind `fit`, `evaluate`, `predict` and `*_on_batch`.

One epoch runs in this order:
1. `_runner_for` picks a compiled runner, cached per data structure and mode: for in-memory
   arrays `_array_runner`, which gathers each batch by index inside the graph; for datasets
   and generators `_iterator_runner`, which pulls batches from an iterator (on every replica
   under a distribution strategy).
2. One call of a runner runs a chunk of steps `[begin, end)` in a `tf.while_loop`, so Python
   is entered once per chunk rather than once per step. The chunk is `steps_per_execution`,
   or what the callbacks allow (`callback_wiring.steps_per_call`).
3. Between chunks `_run_array_epoch` / `_run_dataset_epoch` call the callbacks' batch hooks with
   the logs of the chunk's last step, and stop early once a callback set `stop_training`.
"""

import warnings

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.training import data as data_module
from kerascore.utils.data_utils import unpack_x_y_sample_weight


def to_float_logs(logs):
    result = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            result.update(to_float_logs(value))
            continue
        value = value.numpy() if hasattr(value, "numpy") else value
        result[key] = float(value) if np.ndim(value) == 0 else np.asarray(value)
    return result


class _ModelStep:
    """Wraps a step function so each model's compiled function is its own for TensorFlow's
    retracing detector, which otherwise counts every model's first trace against one code
    object and warns when models are built in a loop."""

    def __init__(self, function):
        self.function = function

    def __call__(self, *args):
        return self.function(*args)


def compile_step(function, **options):
    return tf.function(_ModelStep(function), **options)


def structure_key(feed):
    if feed.kind != "arrays":
        return str(feed.element_spec())
    return str(feed.signature())


class EpochLoop:
    """The compiled epoch loop of `Trainer`, a mixin: it reads the model's compile state
    (`run_eagerly`, `jit_compile`, the step functions and the cached runners)."""

    # ----------------------------------------------------------------- compiled functions
    def _compile_fn(self, fn, signature=None):
        if self.run_eagerly:
            return fn
        return compile_step(
            fn,
            input_signature=signature,
            jit_compile=self.jit_compile or None,
            reduce_retracing=True,
        )

    def _with_class_weights(self, batch, class_table):
        if class_table is None:
            return batch
        x, y, sample_weight = batch
        if isinstance(class_table, dict):
            names = self._output_names_for_weights()
            flat_y = y if isinstance(y, dict) else dict(zip(names, tf.nest.flatten(y)))
            weights = {}
            for name, table in class_table.items():
                weights[name] = data_module.weights_from_classes(flat_y[name], table)
            return (x, y, weights)
        weights = data_module.weights_from_classes(tf.nest.flatten(y)[0], class_table)
        if sample_weight is not None:
            weights = weights * tf.cast(tf.reshape(sample_weight, tf.shape(weights)), tf.float32)
        return (x, y, weights)

    def _output_names_for_weights(self):
        names = getattr(self, "output_names", None)
        if not names:
            raise ValueError("class_weight as a dict per output needs a functional model.")
        return names

    def _array_runner(self, step_fn, feed, class_table=None, collect=False):
        """A function that runs steps `[begin, end)` over in-memory arrays in one call."""

        def batch_at(data, order, step):
            batch_size = data["batch_size"]
            start = step * batch_size
            stop = tf.minimum(start + batch_size, tf.shape(order)[0])
            indices = order[start:stop]
            arrays = {key: value for key, value in data.items() if key != "batch_size"}
            gathered = tf.nest.map_structure(lambda t: tf.gather(t, indices), arrays)
            batch = (gathered["x"], gathered.get("y"), gathered.get("sample_weight"))
            return self._with_class_weights(batch, class_table)

        def packed(batch):
            x, y, sample_weight = batch
            return data_module.pack_batch(x, y, sample_weight)

        returns_metrics = self._step_returns_metrics(step_fn)
        step_fn = backend.autograph_user_code_lazy(step_fn)

        if collect:

            def run(data, order, begin, end):
                first = step_fn(packed(batch_at(data, order, begin)))
                arrays = tf.nest.map_structure(
                    lambda t: tf.TensorArray(t.dtype, size=end - begin, infer_shape=False), first
                )
                arrays = tf.nest.map_structure(lambda a, t: a.write(0, t), arrays, first)

                def body(step, arrays):
                    outputs = step_fn(packed(batch_at(data, order, step)))
                    arrays = tf.nest.map_structure(
                        lambda a, t: a.write(step - begin, t), arrays, outputs
                    )
                    return step + 1, arrays

                _, arrays = tf.while_loop(
                    lambda step, _: step < end, body, (begin + 1, arrays), parallel_iterations=1
                )
                return tf.nest.map_structure(lambda a: a.concat(), arrays)

        elif returns_metrics:
            # The built-in steps return the metrics: the step is traced once, as the loop body,
            # and the metrics are read after the loop (half the graph of the general case).

            def run(data, order, begin, end):
                def body(step):
                    step_fn(packed(batch_at(data, order, step)))
                    return (step + 1,)

                tf.while_loop(lambda step: step < end, body, (begin,), parallel_iterations=1)
                return self.get_metrics_result()

        else:

            def run(data, order, begin, end):
                logs = step_fn(packed(batch_at(data, order, begin)))

                def body(step, _):
                    return step + 1, step_fn(packed(batch_at(data, order, step)))

                _, logs = tf.while_loop(
                    lambda step, _: step < end, body, (begin + 1, logs), parallel_iterations=1
                )
                return logs

        signature = [
            {**feed.signature(), "batch_size": tf.TensorSpec([], tf.int32)},
            tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([], tf.int32),
            tf.TensorSpec([], tf.int32),
        ]
        if self.run_eagerly:
            return run
        return compile_step(run, input_signature=signature, jit_compile=self.jit_compile or None)

    def _step_returns_metrics(self, step_fn):
        """Whether `step_fn` is a built-in train/test step returning `get_metrics_result()`."""
        from kerascore.training import trainer as trainer_module

        return (
            backend.is_library_code(step_fn)
            and getattr(step_fn, "__name__", "") in ("train_step", "test_step")
            and type(self).compute_metrics is trainer_module.Trainer.compute_metrics
            and type(self).get_metrics_result is trainer_module.Trainer.get_metrics_result
        )

    def _iterator_runner(self, step_fn, class_table=None):
        """A function that runs `count` steps pulling batches from a dataset iterator; under a
        distribution strategy each step runs on every replica and the logs are the metrics read
        across replicas."""
        # The built-in steps return the metrics, which read correctly across replicas only
        # outside `strategy.run`; a user's step returns what it likes, taken from replica 0.
        reads_metrics = backend.is_library_code(step_fn)
        step_fn = backend.autograph_user_code_lazy(step_fn)
        strategy = self.distribute_strategy if self._distributed else None

        def weighted_step(data):
            if class_table is not None:
                x, y, sample_weight = unpack_x_y_sample_weight(data)
                data = data_module.pack_batch(
                    *self._with_class_weights((x, y, sample_weight), class_table)
                )
            return step_fn(data)

        def one_step(data):
            if strategy is None:
                return weighted_step(data)
            outputs = strategy.run(weighted_step, args=(data,))
            if reads_metrics:
                return self.get_metrics_result()
            return tf.nest.map_structure(
                lambda value: strategy.experimental_local_results(value)[0], outputs
            )

        def run(iterator, count):
            logs = one_step(next(iterator))

            def body(step, _):
                return step + 1, one_step(next(iterator))

            _, logs = tf.while_loop(
                lambda step, _: step < count, body, (tf.constant(1), logs), parallel_iterations=1
            )
            return logs

        if self.run_eagerly and strategy is None:
            return run
        return compile_step(run, jit_compile=self.jit_compile or None, reduce_retracing=True)

    def _runner_for(self, feed, mode, class_table=None):
        cache = self._train_functions if mode == "train" else self._test_functions
        step = self.train_step if mode == "train" else self.test_step
        key = (feed.kind, structure_key(feed), class_table is not None)
        if key not in cache:
            if feed.kind == "arrays":
                cache[key] = self._array_runner(step, feed, class_table)
            else:
                cache[key] = self._iterator_runner(step, class_table)
        return cache[key]

    def _run_epoch(self, feed, callbacks, chunk, class_table, training):
        mode = "train" if training else "test"
        if self._distributed:
            feed = feed.distributed(self.distribute_strategy)
        if feed.kind == "arrays":
            return self._run_array_epoch(feed, callbacks, chunk, class_table, mode)
        return self._run_dataset_epoch(feed, callbacks, chunk, mode, class_table)

    def _run_array_epoch(self, feed, callbacks, chunk, class_table, mode):
        runner = self._runner_for(feed, mode, class_table)
        order = feed.epoch_order()
        data = {**feed.data, "batch_size": tf.constant(feed.batch_size, tf.int32)}
        logs = None
        step = 0
        while step < feed.steps:
            end = min(step + chunk, feed.steps)
            self._batch_begin(callbacks, mode, step)
            logs = runner(data, order, tf.constant(step, tf.int32), tf.constant(end, tf.int32))
            logs = to_float_logs(logs)
            self._batch_end(callbacks, mode, end - 1, logs)
            step = end
            if mode == "train" and self.stop_training:
                break
        return logs

    def _run_dataset_epoch(self, feed, callbacks, chunk, mode, class_table=None):
        runner = self._runner_for(feed, mode, class_table)
        iterator = feed.iterator()
        logs = None
        step = 0
        steps = feed.steps
        while steps is None or step < steps:
            count = chunk if steps is None else min(chunk, steps - step)
            self._batch_begin(callbacks, mode, step)
            try:
                result = runner(iterator, tf.constant(count, tf.int32))
            except (StopIteration, tf.errors.OutOfRangeError):
                if step == 0 and logs is None:
                    warnings.warn(
                        "The data ran out before the epoch started: a generator or dataset "
                        "can only be read once. Use dataset.repeat() with steps_per_epoch, or "
                        "a generator that loops.",
                        stacklevel=3,
                    )
                    return None
                break
            logs = to_float_logs(result)
            step += count
            self._batch_end(callbacks, mode, step - 1, logs)
            if mode == "train" and self.stop_training:
                break
        if logs is None:
            return None
        return to_float_logs(self.get_metrics_result())

    def _batch_begin(self, callbacks, mode, step):
        if callbacks is None:
            return
        if mode == "train":
            callbacks.on_train_batch_begin(step)
        else:
            callbacks.on_test_batch_begin(step)

    def _batch_end(self, callbacks, mode, step, logs):
        if callbacks is None:
            return
        if mode == "train":
            callbacks.on_train_batch_end(step, logs)
        else:
            callbacks.on_test_batch_end(step, logs)
