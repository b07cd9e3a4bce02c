"""How `predict` runs: a few rows in one compiled call, larger arrays in compiled chunks
gathered by index, datasets one batch per compiled call; outputs come back as NumPy arrays."""

import numpy as np
import tensorflow as tf

from kerascore.training.callback_wiring import only_progress_hooks
from kerascore.training.steps import compile_step, structure_key


def outputs_in_float32(outputs):
    """Under mixed precision the last layer computes in float16/bfloat16; losses, metrics and
    predictions get float32, as Keras recommends for numerical stability."""

    def cast(value):
        if tf.is_tensor(value) and value.dtype in (tf.float16, tf.bfloat16):
            return tf.cast(value, tf.float32)
        return value

    return tf.nest.map_structure(cast, outputs)


def concatenate_batches(parts):
    if len(parts) == 1:
        return parts[0]
    return tf.nest.map_structure(lambda *arrays: np.concatenate(arrays, axis=0), *parts)


def to_numpy(structure):
    return tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, structure)


def spec_key(structure):
    return tuple((tuple(t.shape[1:]), t.dtype.name) for t in tf.nest.flatten(structure)), str(
        tf.nest.map_structure(lambda _: 0, structure)
    )


class PredictLoop:
    """The prediction half of `Trainer`, a mixin: `predict` and `predict_on_batch` call it."""

    def _predict_arrays(self, feed, callbacks):
        if feed.num_rows <= feed.batch_size and callbacks is None:
            return to_numpy(self._small_predict(feed.x))
        key = ("arrays", structure_key(feed))
        runner = self._predict_functions.get(key)
        if runner is None:
            runner = self._array_runner(self.predict_step, feed, collect=True)
            self._predict_functions[key] = runner
        data = {**feed.data, "batch_size": tf.constant(feed.batch_size, tf.int32)}
        order = feed.epoch_order()
        chunk = feed.steps
        if callbacks is not None and callbacks.needs_batch_hooks:
            chunk = 1 if not only_progress_hooks(callbacks) else max(1, feed.steps // 20)
        parts = []
        for begin in range(0, feed.steps, chunk):
            end = min(begin + chunk, feed.steps)
            if callbacks is not None:
                callbacks.on_predict_batch_begin(begin)
            outputs = to_numpy(
                runner(data, order, tf.constant(begin, tf.int32), tf.constant(end, tf.int32))
            )
            if callbacks is not None:
                callbacks.on_predict_batch_end(end - 1, {"outputs": outputs})
            parts.append(outputs)
        return concatenate_batches(parts)

    def _predict_dataset(self, feed, callbacks):
        predict_one = self._predict_functions.get("dataset")
        if predict_one is None:
            predict_one = self._compile_fn(self.predict_step)
            self._predict_functions["dataset"] = predict_one
        parts = []
        for step, batch in enumerate(feed.iterator()):
            if feed.steps is not None and step >= feed.steps:
                break
            if callbacks is not None:
                callbacks.on_predict_batch_begin(step)
            outputs = to_numpy(predict_one(batch))
            if callbacks is not None:
                callbacks.on_predict_batch_end(step, {"outputs": outputs})
            parts.append(outputs)
        if not parts:
            raise ValueError("predict() received no data: the dataset or generator was empty.")
        return concatenate_batches(parts)

    def _small_predict(self, x):
        function = self._predict_functions.get("small")
        if function is None:
            if self.run_eagerly:
                function = lambda inputs: outputs_in_float32(self(inputs, training=False))  # noqa: E731
            else:
                signature = [
                    tf.nest.map_structure(lambda t: tf.TensorSpec((None, *t.shape[1:]), t.dtype), x)
                ]
                function = compile_step(
                    lambda inputs: outputs_in_float32(self(inputs, training=False)),
                    input_signature=signature,
                )
            self._predict_functions["small"] = function
            self._small_predict_key = spec_key(x)
        elif self._small_predict_key != spec_key(x):
            self._predict_functions.pop("small")
            return self._small_predict(x)
        return function(x)
