"""`Discretization`: buckets numbers into ranges, from given or adapted boundaries."""

import numpy as np
import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.categorical import check_not_sparse, encode_categorical
from kerascore.saving.serialization import register_builtin

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


@register_builtin
class Discretization(Layer):
    """Buckets continuous values into integer bins.

    A value `x` goes to bin `i` when `bin_boundaries[i - 1] <= x < bin_boundaries[i]`, so
    there are `len(bin_boundaries) + 1` bins. Give the boundaries, or `num_bins` and call
    `adapt(data)` to take approximate quantiles of `data` (Keras 3's summary algorithm, so the
    adapted boundaries are the same as Keras's).

    Args:
        bin_boundaries: a sorted list of boundaries, or None to adapt.
        num_bins: the number of bins `adapt` makes.
        epsilon: the error tolerance of the adapted quantiles (smaller is more precise).
        output_mode: `"int"` (int32 bin ids), `"one_hot"`, `"multi_hot"` or `"count"`.
        sparse: must be False.

    Example:
        keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])([[-1.5, 1.0, 3.4, 0.5]])
        # [[0, 2, 3, 1]]
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"Expected output_mode in {_OUTPUT_MODES}. Received: output_mode={output_mode!r}"
            )
        check_not_sparse("Discretization", sparse)
        if num_bins is not None and (
            isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 0
        ):
            raise ValueError(f"`num_bins` must be an int >= 0. Received: num_bins={num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Set either `num_bins` (and call adapt) or `bin_boundaries`, not both. "
                f"Received: num_bins={num_bins}, bin_boundaries={bin_boundaries!r}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                "Set either `num_bins` (and call adapt) or `bin_boundaries`. Received: "
                "num_bins=None, bin_boundaries=None"
            )
        if not 0 < epsilon < 1:
            raise ValueError(f"`epsilon` must be in (0, 1). Received: epsilon={epsilon!r}")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self._summary = np.zeros((2, 0), dtype="float32")

    def adapt(self, data, steps=None):
        """Sets `bin_boundaries` to approximate quantiles of `data`.

        Args:
            data: a NumPy array or tensor, a batched `tf.data.Dataset`, or an iterable of
                batches.
            steps: how many batches of a dataset or iterable to read (all when None).

        Raises:
            ValueError: when the layer was given `bin_boundaries` instead of `num_bins`.
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer made with `bin_boundaries`; make it with "
                "`num_bins` instead."
            )
        self._summary = np.zeros((2, 0), dtype="float32")
        if isinstance(data, np.ndarray) or tf.is_tensor(data):
            batches = [data]
        else:
            batches = data.take(steps) if isinstance(data, tf.data.Dataset) and steps else data
        for index, batch in enumerate(batches):
            if steps is not None and index >= steps:
                break
            values = np.asarray(batch, dtype="float32")
            self._summary = _merge_summaries(
                _summarize(values, self.epsilon), self._summary, self.epsilon
            )
        self.bin_boundaries = _compress_summary(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Layer '{self.name}' has no bin boundaries yet: pass `bin_boundaries` to the "
                "constructor or call `adapt(data)` before calling it."
            )
        if inputs.dtype in (tf.float16, tf.bfloat16):
            inputs = tf.cast(inputs, "float32")
        elif inputs.dtype in (tf.bool, tf.int8, tf.int16, tf.uint8, tf.uint16):
            inputs = tf.cast(inputs, "int32")
        ids = tf.raw_ops.Bucketize(input=inputs, boundaries=self.bin_boundaries)
        if self.output_mode == "int":
            return tf.cast(ids, self.output_dtype)
        depth = len(self.bin_boundaries) + 1
        return encode_categorical(ids, self.output_mode, depth, self.compute_dtype)

    @property
    def output_dtype(self):
        """The dtype of the outputs: int32 bin ids (`"int"`), else the compute dtype."""
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def compute_output_spec(self, inputs):
        """The symbolic outputs for symbolic `inputs`: `compute_output_shape`'s shape in
        `output_dtype`, as in Keras 3."""
        from kerascore.models.functional import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        if len(input_shape) >= 2:
            return (*input_shape[:-1], depth)
        return (depth,)

    def get_config(self):
        return {
            **super().get_config(),
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }

    @classmethod
    def from_config(cls, config):
        """Rebuilds the layer; an adapted layer's config holds both `num_bins` and the
        boundaries it learned, which are set after construction."""
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)


def _summarize(values, epsilon):
    """A `(2, n)` summary of `values`: evenly spaced sorted values and the count each stands
    for (Keras 3's algorithm, so adapted boundaries agree with Keras)."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)
    boundaries = values[int(step - 1) :: int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _merge_summaries(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary, epsilon):
    """Interpolates `summary` down to about `1 / epsilon` entries of cumulative weight."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    cumulative_percents = cumulative / cumulative[-1]
    new_bins = np.interp(percents, cumulative_percents, summary[0])
    cumulative = np.interp(percents, cumulative_percents, cumulative)
    new_weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")
