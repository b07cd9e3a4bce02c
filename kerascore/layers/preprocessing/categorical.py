"""Categorical preprocessing: CategoryEncoding and Hashing, and the encoding they share with
the lookup layers (one-hot, multi-hot, counts)."""

import tensorflow as tf

from kerascore import backend
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


def check_not_sparse(layer_name, sparse):
    if sparse:
        raise ValueError(
            f"{layer_name} produces dense tensors only in kerascore. Received: sparse=True. "
            "Use sparse=False."
        )


def encode_categorical(inputs, output_mode, depth, dtype, count_weights=None):
    """Encodes int ids as `one_hot`, `multi_hot` or `count` vectors of size `depth`.

    Args:
        inputs: int ids, a dense or ragged tensor of rank 0 to 2 (rank 2: one row per
            sample; one-hot inputs may end with an axis of size 1).
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"` or `"count"`.
        depth: the size of the encoding axis.
        dtype: the output dtype.
        count_weights: optional weights per id for `"count"`.

    Returns:
        The encoded tensor; ids outside `[0, depth)` are ignored.
    """
    if output_mode == "int":
        return tf.cast(inputs, dtype)
    if inputs.shape.rank == 0:
        inputs = tf.expand_dims(inputs, -1)
    if output_mode == "one_hot":
        if isinstance(inputs, tf.RaggedTensor):
            raise ValueError("one_hot encoding needs dense inputs with one id per sample.")
        if inputs.shape.rank > 1 and inputs.shape[-1] == 1:
            inputs = tf.squeeze(inputs, -1)
        return tf.one_hot(tf.cast(inputs, "int64"), depth, dtype=dtype)
    if inputs.shape.rank > 2:
        raise ValueError(
            f"When output_mode is {output_mode!r}, inputs must have rank 2 at most. Received "
            f"input shape {tuple(inputs.shape)}."
        )
    ids = tf.cast(inputs, "int64")
    weights = None if count_weights is None else tf.cast(count_weights, dtype)
    in_range = tf.logical_and(ids >= 0, ids < depth)
    if isinstance(ids, tf.RaggedTensor):
        ids = tf.ragged.boolean_mask(ids, in_range)
        if weights is not None:
            weights = tf.ragged.boolean_mask(weights, in_range)
    else:
        ids = tf.where(in_range, ids, tf.cast(depth, "int64"))
    counts = tf.math.bincount(
        ids,
        weights=weights,
        minlength=depth,
        maxlength=depth,
        binary_output=output_mode == "multi_hot",
        axis=-1 if ids.shape.rank == 2 else None,
        dtype=dtype if weights is not None else "int64",
    )
    return tf.cast(counts, dtype)


@register_builtin
class CategoryEncoding(Layer):
    """Encodes integer ids as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of ids (`[0, num_tokens)`).
        output_mode: `"one_hot"`, `"multi_hot"` (default) or `"count"`.
        sparse: must be False (dense outputs only).

    Call arguments:
        inputs: int ids `(batch,)`, `(batch, 1)` or `(batch, n)`.
        count_weights: weights per id for `"count"`.

    Example:
        keras.layers.CategoryEncoding(4, output_mode="multi_hot")([[0, 1], [3, 3]])
        # [[1, 1, 0, 0], [0, 0, 0, 1]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                "Expected output_mode 'one_hot', 'multi_hot' or 'count'. Received: "
                f"output_mode={output_mode!r}"
            )
        if num_tokens is None or isinstance(num_tokens, bool) or not isinstance(num_tokens, int):
            raise ValueError(
                "`num_tokens` must be set to a positive int (use IntegerLookup when the ids "
                f"are not known in advance). Received: num_tokens={num_tokens!r}"
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}")
        check_not_sparse("CategoryEncoding", sparse)
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                "`count_weights` is only used when output_mode='count'. Received: "
                f"output_mode={self.output_mode!r}"
            )
        return encode_categorical(
            tf.convert_to_tensor(inputs),
            self.output_mode,
            self.num_tokens,
            self.compute_dtype,
            count_weights,
        )

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return (*input_shape, self.num_tokens)
        return (*input_shape[:-1], self.num_tokens)

    def get_config(self):
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


@register_builtin
class Hashing(Layer):
    """Hashes values (strings or ints) into `num_bins` bins with FarmHash64, as Keras.

    Args:
        num_bins: the number of bins, including the mask bin when `mask_value` is set.
        mask_value: a value that always goes to bin 0 (the others hash into the rest).
        salt: an int or a pair of ints to use the keyed SipHash (`to_hash_bucket_strong`).
        output_mode: `"int"` (bin ids), `"one_hot"`, `"multi_hot"` or `"count"`.
        sparse: must be False.

    Example:
        keras.layers.Hashing(num_bins=3)([["A"], ["B"], ["C"]])
    """

    def __init__(
        self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if (
            num_bins is None
            or isinstance(num_bins, bool)
            or not isinstance(num_bins, int)
            or (num_bins <= 0)
        ):
            raise ValueError(f"`num_bins` must be a positive int. Received: num_bins={num_bins!r}")
        modes = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in modes:
            raise ValueError(
                f"Expected output_mode in {modes}. Received: output_mode={output_mode!r}"
            )
        if output_mode == "int" and self.compute_dtype not in ("int32", "int64"):
            raise ValueError(
                "When output_mode='int', dtype must be 'int32' or 'int64'. Received: "
                f"dtype={self.compute_dtype!r}"
            )
        check_not_sparse("Hashing", sparse)
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    f"`salt` must be an int or a pair of ints. Received: salt={salt!r}"
                )
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False

    def _hash(self, values):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = tf.equal(values, tf.cast(self.mask_value, values.dtype))
        if values.dtype.is_floating:
            values = tf.cast(values, "int64")
        if values.dtype != tf.string:
            values = tf.strings.as_string(values)
        if self.salt is not None:
            hashed = tf.strings.to_hash_bucket_strong(values, bins, key=self.salt)
        else:
            hashed = tf.strings.to_hash_bucket_fast(values, bins)
        if mask is not None:
            hashed = tf.where(mask, tf.zeros_like(hashed), hashed + 1)
        return hashed

    def call(self, inputs):
        # String hashing kernels exist on the CPU only, as in Keras.
        with tf.device("CPU:0"):
            return self._encode(inputs)

    def _encode(self, inputs):
        if not isinstance(inputs, tf.RaggedTensor):
            inputs = tf.convert_to_tensor(inputs)
        if self.output_mode == "one_hot" and inputs.shape.rank and inputs.shape[-1] == 1:
            inputs = tf.squeeze(inputs, -1)
        if isinstance(inputs, tf.RaggedTensor):
            bins = tf.ragged.map_flat_values(self._hash, inputs)
        else:
            bins = self._hash(inputs)
        return encode_categorical(bins, self.output_mode, self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if not input_shape:
            return (self.num_bins,)
        return (*input_shape[:-1], self.num_bins)

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
