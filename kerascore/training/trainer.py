"""`compile`, `fit`, `evaluate`, `predict` and the compiled steps behind them."""

import functools
import inspect

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore import losses as losses_module
from kerascore.training import data as data_module
from kerascore.training.callback_wiring import make_callbacks, steps_per_call
from kerascore.training.compile_utils import CompileLoss, CompileMetrics
from kerascore.training.prediction import PredictLoop, outputs_in_float32, to_numpy
from kerascore.training.steps import EpochLoop
from kerascore.utils.data_utils import unpack_x_y_sample_weight


def _in_strategy_scope(method):
    """Runs a public training method inside the scope of the model's distribution strategy,
    so that variables it creates (optimizer slots, metrics) are distributed like the model's."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self._distributed:
            return method(self, *args, **kwargs)
        with self.distribute_strategy.scope():
            return method(self, *args, **kwargs)

    return wrapper


class Trainer(EpochLoop, PredictLoop):
    """The training half of `Model`."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._compile_state = {}
        self._loss_tracker = None
        self._compile_loss = None
        self._compile_metrics = None
        self._train_functions = {}
        self._test_functions = {}
        self._predict_functions = {}
        self._trainable_ids = None
        self._fitted_before = False
        self.steps_per_execution = 1
        self.jit_compile = False
        self.run_eagerly = False
        # Like Keras: a model created inside `strategy.scope()` trains with that strategy.
        self.distribute_strategy = tf.distribute.get_strategy()
        self._distributed = tf.distribute.has_strategy()

    # ----------------------------------------------------------------- compile
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile=False,
        auto_scale_loss=True,
    ):
        """Configures the model for training.

        Args:
            optimizer: a name (`"adam"`) or an optimizer instance.
            loss: a name, function or `Loss`; a list or dict for several outputs.
            loss_weights: scalar weights of each output's loss, as a list or dict.
            metrics: names, functions or `Metric`s; a list or dict for several outputs.
                `"accuracy"` resolves by the loss (sparse, categorical or binary).
            run_eagerly: run steps as plain Python (for debugging), not compiled.
            steps_per_execution: steps run by one call of the compiled function.
            jit_compile: compile the step with XLA.
        """
        from kerascore import metrics as metrics_module
        from kerascore import optimizers

        if not isinstance(steps_per_execution, (int, np.integer)) or steps_per_execution < 1:
            raise ValueError(
                "Expected a positive integer steps_per_execution. Received: "
                f"steps_per_execution={steps_per_execution!r}"
            )
        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self._computes_in_float16():
            # float16 gradients underflow without loss scaling; Keras wraps the optimizer too.
            loss_scale_optimizer = getattr(optimizers, "LossScaleOptimizer", None)
            if loss_scale_optimizer is not None and not isinstance(
                self.optimizer, loss_scale_optimizer
            ):
                self.optimizer = loss_scale_optimizer(self.optimizer)
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        all_metrics = metrics
        if weighted_metrics:
            all_metrics = list(metrics or []) + list(weighted_metrics)
        self._compile_metrics = CompileMetrics(
            all_metrics, loss, model=self, compile_loss=self._compile_loss
        )
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.run_eagerly = bool(run_eagerly)
        self.steps_per_execution = int(steps_per_execution)
        self._user_steps_per_execution = steps_per_execution != 1
        self.jit_compile = jit_compile is True
        self._compile_state = {
            "optimizer": optimizer,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        self._train_functions = {}
        self._test_functions = {}
        self._predict_functions = {}
        self.compiled = True
        self.stop_training = False

    def _computes_in_float16(self):
        return any(layer.compute_dtype == "float16" for layer in self._flatten_layers())

    def get_compile_config(self):
        """Returns `compile`'s arguments, serialized, or None if not compiled."""
        from kerascore.saving.serialization import serialize_keras_object

        if not self.compiled:
            return None
        state = dict(self._compile_state)
        state["optimizer"] = serialize_keras_object(self.optimizer)
        for key in ("loss", "metrics", "weighted_metrics"):
            state[key] = serialize_keras_object(state[key])
        return state

    def compile_from_config(self, config):
        """Compiles from `get_compile_config()`'s output."""
        from kerascore import optimizers
        from kerascore.saving.serialization import deserialize_keras_object

        config = dict(config)
        config["optimizer"] = optimizers.deserialize(config["optimizer"])
        for key in ("loss", "metrics", "weighted_metrics"):
            config[key] = _deserialize_loss_or_metric(config.get(key), deserialize_keras_object)
        self.compile(**config)

    @property
    def metrics(self):
        """The metrics reset at each epoch: the loss tracker, compiled and attribute metrics."""
        from kerascore import metrics as metrics_module

        result = []
        if self._loss_tracker is not None:
            result.append(self._loss_tracker)
        if self._compile_loss is not None:
            result.extend(self._compile_loss.trackers)
        if self._compile_metrics is not None:
            result.append(self._compile_metrics)
        for layer in self._flatten_layers():
            for value in layer.__dict__.values():
                if isinstance(value, metrics_module.Metric) and value not in result:
                    result.append(value)
        return result

    @property
    def metrics_names(self):
        """Names of the values `evaluate` returns, in order (known after a first evaluation)."""
        return list(getattr(self, "_last_result_names", [m.name for m in self.metrics]))

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """Returns the current value of every metric, by name."""
        logs = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                logs.update(value)
            else:
                logs[metric.name] = value
        return logs

    # ----------------------------------------------------------------- steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Returns the compiled loss plus the layers' added losses (regularization)."""
        terms = []
        if self._compile_loss is not None and y is not None:
            if not self._compile_loss.built:
                self._compile_loss.build(self, y, y_pred)
            terms.append(self._compile_loss(y, y_pred, sample_weight))
        extra = self.losses
        if extra:
            terms.append(tf.add_n([tf.cast(term, tf.float32) for term in extra]))
        if not terms:
            raise ValueError(
                f"Model '{self.name}' has no loss to optimize: pass `loss=` to compile(), or "
                "call add_loss() in a layer."
            )
        return terms[0] if len(terms) == 1 else tf.add_n(terms)

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """Calls `compute_loss`, passing `training` only to an override that takes it (a
        Keras 2-style `compute_loss(x, y, y_pred, sample_weight)` does not), as Keras does."""
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics and returns every metric's current result."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _batch_size_of(self, x):
        first = tf.nest.flatten(x)[0]
        return tf.cast(tf.shape(first)[0], tf.float32)

    def train_step(self, data):
        """One optimization step on a batch `(x, y[, sample_weight])`; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        variables = self._trainable_for_step()
        with tf.GradientTape() as tape:
            y_pred = outputs_in_float32(self(x, training=True))
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
            scaled_loss = self.optimizer.scale_loss(loss)
        self._loss_tracker.update_state(
            losses_module.unscale_loss_for_distribution(loss), sample_weight=self._batch_size_of(x)
        )
        if variables:
            gradients = tape.gradient(scaled_loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Computes loss and metrics on a batch without updating weights; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = outputs_in_float32(self(x, training=False))
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(
            losses_module.unscale_loss_for_distribution(loss), sample_weight=self._batch_size_of(x)
        )
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """Returns the model's outputs for a batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return outputs_in_float32(self(x, training=False))

    def _trainable_for_step(self):
        return self.trainable_variables

    # ----------------------------------------------------------------- fit
    def _ensure_compiled(self, what):
        if not self.compiled:
            raise ValueError(
                f"You must call compile() on model '{self.name}' before {what}(). "
                "Example: model.compile(optimizer='adam', loss='mse')"
            )

    def _build_for_feed(self, feed):
        if self.built and self.weights:
            return
        x_spec, _, _ = feed.element_spec()
        shapes = tf.nest.map_structure(lambda s: tuple(s.shape.as_list()), x_spec)
        if hasattr(self, "_stack"):
            self.build(shapes if not isinstance(shapes, list) else shapes[0])
            return
        from kerascore.models.functional import trace_output_spec

        self.built = True
        self._build_shapes = shapes
        trace_output_spec(self, args=(_keras_tensors(x_spec),), kwargs={})

    def _check_feed_shapes(self, feed):
        inputs = getattr(self, "inputs", None)
        if not inputs:
            return
        x_spec, _, _ = feed.element_spec()
        if isinstance(x_spec, dict):
            keys = getattr(self, "_inputs_struct", None)
            if isinstance(keys, dict):
                flat = [x_spec.get(key) for key in keys]
            else:
                names = [t._keras_history[0].name for t in inputs]
                flat = [x_spec.get(name) for name in names]
        else:
            flat = tf.nest.flatten(x_spec)
        if len(flat) != len(inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(inputs)} input(s) with shapes "
                f"{[t.shape for t in inputs]}, but the data has {len(flat)} input array(s)."
            )
        for index, (tensor, spec) in enumerate(zip(inputs, flat)):
            if spec is None:
                continue
            received = tuple(spec.shape.as_list())
            expected = tensor.shape
            if len(received) == len(expected) - 1 and expected[-1] == 1:
                received = (*received, 1)
            elif len(received) == len(expected) + 1 and received[-1] == 1:
                received = received[:-1]
            compatible = len(received) == len(expected) and all(
                e is None or r is None or e == r for e, r in zip(expected[1:], received[1:])
            )
            if not compatible:
                raise ValueError(
                    f"Input {index} of model '{self.name}' is incompatible with the data: the "
                    f"model expects shape {expected}, but the data has shape "
                    f"{(None, *received[1:])}."
                )

    def _prepare_optimizer(self):
        variables = self.trainable_variables
        ids = tuple(id(v) for v in variables)
        if ids != self._trainable_ids:
            self._train_functions = {}
            self._trainable_ids = ids
        self.optimizer.build(variables)

    @_in_strategy_scope
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Trains the model for `epochs` epochs and returns a `History`.

        In order: the data become a feed (`training.data.make_feed`: arrays stay in memory,
        datasets and generators are iterated), with the validation feed split off or built;
        the model builds on the feed's shapes, which are checked against its inputs; the
        optimizer creates its slots; the callbacks are assembled (`callback_wiring`). Then,
        for each epoch: metrics reset, `on_epoch_begin`, one pass of the compiled epoch loop
        (`training.steps`), validation every `validation_freq` epochs, `on_epoch_end`; a
        callback that sets `stop_training` ends the loop. Last, `on_train_end`, and with an
        EMA optimizer the averaged weights replace the model's.

        Args:
            x: input data: arrays (list/dict for several inputs), a `tf.data.Dataset` yielding
                `(x, y[, sample_weight])`, a Python generator of such batches, or a
                `PyDataset` (its `on_epoch_begin`/`on_epoch_end` run as in Keras 3).
            y: targets, when `x` is arrays.
            batch_size: rows per step for arrays (32 by default).
            epochs: the epoch index to train up to.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch; "auto" is 1.
            callbacks: `Callback`s called during training.
            validation_split: the last fraction of the data kept for validation (arrays and
                datasets of known size).
            validation_data: `(x_val, y_val[, sample_weight])` or a dataset.
            shuffle: reshuffle array rows (or a `PyDataset`'s batches) every epoch.
            class_weight: `{class: weight}`, or `{output_name: {class: weight}}` for several
                outputs.
            sample_weight: per-row weights for arrays.
            initial_epoch: the epoch to start from (to resume training).
            steps_per_epoch: steps that make an epoch (generators, repeated datasets).
            validation_freq: validate every `validation_freq` epochs.

        Returns:
            The `History` callback, whose `history` holds the per-epoch logs.
        """
        self._ensure_compiled("fit")
        if verbose == "auto":
            verbose = 1
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"Expected a non-negative integer epochs. Received: epochs={epochs!r}")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ValueError(
                f"Expected 0 <= validation_split < 1. Received: validation_split={validation_split}"
            )
        feed = data_module.make_feed(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        validation_feed = None
        if validation_data is not None:
            validation_feed = data_module.validation_feed(
                validation_data, validation_batch_size or batch_size, validation_steps
            )
        elif validation_split:
            feed, validation_feed = feed.split(float(validation_split))
            if steps_per_epoch:
                feed.steps = min(feed.steps or steps_per_epoch, steps_per_epoch)
        class_table = data_module.class_weight_tables(class_weight)
        self._build_for_feed(feed)
        self._check_feed_shapes(feed)
        self._prepare_optimizer()
        if not self._fitted_before:
            # TensorFlow caches a kernel per variable and function it ever ran and never drops
            # them, so models built in a loop grow memory without bound (Keras: ~4 MB a
            # model). A new model's first fit releases the cache; a model still in use pays
            # about 0.1 s once to re-create its kernels.
            backend.release_cached_kernels()
            self._fitted_before = True
        callbacks = make_callbacks(self, callbacks, verbose, epochs, feed.steps)
        chunk = steps_per_call(self, callbacks, feed.steps)
        self.stop_training = False
        self._initial_epoch = None
        callbacks.on_train_begin()
        # A callback such as BackupAndRestore may move the start after restoring a backup.
        if self._initial_epoch is not None:
            initial_epoch = self._initial_epoch
        training_logs = {}
        epoch_logs = {}
        # Keras 3 resets its epoch iterator before the first epoch, which ends an epoch of a
        # PyDataset: its `on_epoch_end` runs once before the first `on_epoch_begin`.
        feed.on_epoch_end()
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            feed.on_epoch_begin()
            logs = self._run_epoch(feed, callbacks, chunk, class_table, training=True)
            # As in Keras 3, an epoch cut short by `stop_training` does not end the data's epoch.
            if not self.stop_training:
                feed.on_epoch_end()
            if logs is None:
                break
            epoch_logs = dict(logs)
            if validation_feed is not None and (epoch + 1) % validation_freq == 0:
                validation_logs = self._evaluate_feed(
                    validation_feed, callbacks=callbacks, notify=True
                )
                epoch_logs.update({f"val_{k}": v for k, v in validation_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        callbacks.on_train_end(training_logs)
        # With use_ema, the model ends training with the averaged weights, as in Keras.
        if epochs > initial_epoch and hasattr(self.optimizer, "finalize_variable_values"):
            self.optimizer.finalize_variable_values(self.trainable_variables)
        return self.history

    # ----------------------------------------------------------------- evaluate
    def _evaluate_feed(self, feed, callbacks=None, notify=False):
        self.reset_metrics()
        if notify and callbacks is not None:
            callbacks.on_test_begin()
        if notify and callbacks is not None:
            chunk = steps_per_call(self, callbacks, feed.steps)
        else:
            chunk = feed.steps or 1
        # Keras 3 resets the data (ending a PyDataset's epoch) before every evaluation.
        feed.on_epoch_end()
        feed.on_epoch_begin()
        logs = self._run_epoch(feed, callbacks if notify else None, chunk, None, training=False)
        feed.on_epoch_end()
        logs = logs or {}
        if notify and callbacks is not None:
            callbacks.on_test_end(logs)
        return logs

    @_in_strategy_scope
    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """Returns the loss and metrics on the data: a scalar, a list, or a dict.

        Args:
            x, y, sample_weight: the data, as for `fit`.
            batch_size: rows per step for arrays.
            steps: steps to run (datasets and generators).
            return_dict: return `{name: value}` instead of a list.
        """
        self._ensure_compiled("evaluate")
        if verbose == "auto":
            verbose = 1
        feed = data_module.make_feed(x, y, sample_weight, batch_size, False, steps)
        self._build_for_feed(feed)
        self._check_feed_shapes(feed)
        callback_list = make_callbacks(self, callbacks, verbose, 1, feed.steps)
        logs = self._evaluate_feed(feed, callbacks=callback_list, notify=True)
        self._last_result_names = list(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ----------------------------------------------------------------- predict
    @_in_strategy_scope
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs as NumPy arrays (same structure as the outputs).

        A handful of rows (up to `batch_size`) go through one compiled call, with no dataset
        built; larger arrays are batched inside compiled calls.
        """
        feed = data_module.make_feed(x, None, None, batch_size, False, steps)
        self._build_for_feed(feed)
        self._check_feed_shapes(feed)
        if verbose == "auto":
            verbose = 0 if feed.kind == "arrays" and feed.num_rows <= feed.batch_size else 1
        callback_list = None
        if callbacks or verbose:
            callback_list = make_callbacks(self, callbacks, verbose, 1, feed.steps)
            callback_list.on_predict_begin()
        feed.on_epoch_begin()
        if feed.kind == "arrays":
            outputs = self._predict_arrays(feed, callback_list)
        else:
            outputs = self._predict_dataset(feed, callback_list)
        feed.on_epoch_end()
        if callback_list is not None:
            callback_list.on_predict_end()
        return outputs

    # ----------------------------------------------------------------- on_batch
    @_in_strategy_scope
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one optimization step on one batch and returns the loss and metrics."""
        self._ensure_compiled("train_on_batch")
        feed = data_module.make_feed(x, y, sample_weight, batch_size=None, shuffle=False)
        feed.batch_size = feed.num_rows
        feed.steps = 1
        self._build_for_feed(feed)
        self._check_feed_shapes(feed)
        self._prepare_optimizer()
        logs = self._run_array_epoch(
            feed, None, 1, data_module.class_weight_tables(class_weight), "train"
        )
        return _format_result(logs, return_dict)

    @_in_strategy_scope
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Computes the loss and metrics on one batch."""
        self._ensure_compiled("test_on_batch")
        feed = data_module.make_feed(x, y, sample_weight, batch_size=None, shuffle=False)
        feed.batch_size = feed.num_rows
        feed.steps = 1
        self._build_for_feed(feed)
        self._check_feed_shapes(feed)
        self.reset_metrics()
        logs = self._run_array_epoch(feed, None, 1, None, "test")
        return _format_result(logs, return_dict)

    @_in_strategy_scope
    def predict_on_batch(self, x):
        """Returns the outputs for one batch of inputs as NumPy arrays."""
        feed = data_module.make_feed(x, batch_size=None)
        self._build_for_feed(feed)
        return to_numpy(self._small_predict(feed.x))


def _format_result(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _keras_tensors(spec):
    from kerascore.models.functional import KerasTensor

    return tf.nest.map_structure(
        lambda s: KerasTensor(tuple(s.shape.as_list()), s.dtype.name), spec
    )


def _deserialize_loss_or_metric(value, deserialize):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [_deserialize_loss_or_metric(item, deserialize) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _deserialize_loss_or_metric(item, deserialize) for key, item in value.items()}
    return deserialize(value)
