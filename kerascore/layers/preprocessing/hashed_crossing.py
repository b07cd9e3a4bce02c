"""`HashedCrossing`: crosses categorical features with the hashing trick."""

import tensorflow as tf

from kerascore import backend
from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.categorical import check_not_sparse, encode_categorical
from kerascore.saving.serialization import register_builtin


@register_builtin
class HashedCrossing(Layer):
    """Crosses scalar categorical features: `hash(concatenate(features)) % num_bins`.

    The hash is TensorFlow's `tf.sparse.cross_hashed` (FingerprintCat64), as in Keras 3, so the
    bins are the same as Keras's for the same inputs.

    Args:
        num_bins: the number of hash bins, a positive int.
        output_mode: `"int"` (bin ids, int64 by default) or `"one_hot"`.
        sparse: must be False (dense outputs only).

    Call arguments:
        inputs: a list or tuple of at least two int or string tensors of the same shape,
            `()`, `(batch,)` or `(batch, 1)`.

    Output shape:
        The inputs' shape for `"int"`; with a trailing `num_bins` axis for `"one_hot"` (a
        trailing axis of size 1 is replaced).

    Example:
        layer = keras.layers.HashedCrossing(num_bins=5)
        layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])))
        # [1, 4, 1, 1, 3]
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
            raise ValueError(f"`num_bins` must be a positive int. Received: num_bins={num_bins!r}")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                f"Expected output_mode 'int' or 'one_hot'. Received: output_mode={output_mode!r}"
            )
        check_not_sparse("HashedCrossing", sparse)
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False

    def _checked_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                "HashedCrossing should be called on a list or tuple of at least two inputs. "
                f"Received: inputs={inputs!r}"
            )
        inputs = [tf.convert_to_tensor(value) for value in inputs]
        first_shape = tuple(inputs[0].shape)
        if len(first_shape) > 2 or (len(first_shape) == 2 and first_shape[-1] != 1):
            raise ValueError(
                "All HashedCrossing inputs should have shape (), (batch_size,) or "
                f"(batch_size, 1). Received: shape={first_shape}"
            )
        for value in inputs:
            if tuple(value.shape) != first_shape:
                raise ValueError(
                    "All HashedCrossing inputs should have the same shape. Received: "
                    f"shapes={[tuple(v.shape) for v in inputs]}"
                )
            if not (value.dtype.is_integer or value.dtype == tf.string):
                raise ValueError(
                    "All HashedCrossing inputs should have an integer or string dtype. "
                    f"Received: dtype={value.dtype.name}"
                )
        return inputs

    def call(self, inputs):
        inputs = self._checked_inputs(inputs)
        rank = inputs[0].shape.rank
        # The crossing kernel exists on the CPU only, as in Keras.
        with tf.device("CPU:0"):
            columns = [tf.reshape(value, (-1, 1)) for value in inputs]
            crossed = tf.sparse.to_dense(tf.sparse.cross_hashed(columns, self.num_bins))
            if rank == 0:
                crossed = tf.reshape(crossed, ())
            elif rank == 1:
                crossed = tf.reshape(crossed, (-1,))
            else:
                crossed = tf.reshape(crossed, (-1, 1))
            if self.output_mode == "int":
                return tf.cast(crossed, self.compute_dtype)
            return encode_categorical(crossed, "one_hot", self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            return (*first[:-1], self.num_bins)
        return (*first, self.num_bins)

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
