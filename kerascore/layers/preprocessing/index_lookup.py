"""`IndexLookup`: the vocabulary lookup that StringLookup and IntegerLookup share."""

import collections

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.categorical import check_not_sparse, encode_categorical

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _as_numpy_tokens(values, dtype):
    """Flattened NumPy values of a tensor, ragged tensor, array or list, as Python tokens."""
    if isinstance(values, tf.RaggedTensor):
        values = values.flat_values
    array = np.asarray(values.numpy() if tf.is_tensor(values) else values).reshape(-1)
    if dtype == "string":
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in array.tolist()]
    return [int(v) for v in array.tolist()]


def standardize_output_mode(output_mode):
    """Returns `output_mode` with the Keras aliases `binary` and `tf-idf` resolved.

    Raises:
        ValueError: if it is not one of `int`, `one_hot`, `multi_hot`, `count`, `tf_idf`.
    """
    if output_mode == "binary":
        output_mode = "multi_hot"
    if output_mode == "tf-idf":
        output_mode = "tf_idf"
    if output_mode not in _OUTPUT_MODES:
        raise ValueError(
            f"Expected output_mode in {_OUTPUT_MODES}. Received: output_mode={output_mode!r}"
        )
    return output_mode


class IndexLookup(Layer):
    """The shared implementation of `StringLookup` and `IntegerLookup`."""

    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary_dtype,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        name=None,
        **kwargs,
    ):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                f"max_tokens={max_tokens}"
            )
        if num_oov_indices is None or num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. Received: "
                f"num_oov_indices={num_oov_indices}"
            )
        output_mode = standardize_output_mode(output_mode)
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be 'int' when `invert` is true. Received: "
                f"output_mode={output_mode!r}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is 'tf_idf'. Received: "
                f"output_mode={output_mode!r}"
            )
        check_not_sparse(type(self).__name__, sparse)
        for key in ("dtype", "vocabulary_size", "has_input_vocabulary", "trainable"):
            kwargs.pop(key, None)
        vocabulary_dtype = tf.as_dtype(vocabulary_dtype).name
        if invert:
            output_dtype = vocabulary_dtype
        else:
            output_dtype = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(name=name, dtype=output_dtype, autocast=False, **kwargs)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self._key_dtype = "int64" if invert else vocabulary_dtype
        self._tokens = None
        self._idf_weights = None
        self._table = None
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(
                "When passing a `vocabulary` in 'tf_idf' output mode, `idf_weights` must also "
                "be passed."
            )
        if vocabulary is not None:
            if isinstance(vocabulary, str):
                raise ValueError(
                    "Loading a vocabulary from a file path is not supported; pass the tokens "
                    f"as a list. Received: vocabulary={vocabulary!r}"
                )
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ indices
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _default_value(self):
        if self.invert:
            return (
                self.oov_token
                if self.oov_token is not None
                else ("" if self.vocabulary_dtype == "string" else -1)
            )
        return self._oov_start_index() if self.num_oov_indices == 1 else -1

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included."""
        return self._token_start_index() + len(self._tokens or [])

    def get_vocabulary(self, include_special_tokens=True):
        """Returns the vocabulary; a token's position is its id when special tokens are
        included."""
        tokens = list(self._tokens or [])
        if not include_special_tokens:
            return tokens
        special = [self.oov_token] * self.num_oov_indices
        if self._oov_start_index():
            special = [self.mask_token, *special]
        return special + tokens

    # ------------------------------------------------------------------ vocabulary
    def _normalize_token(self, token):
        if self.vocabulary_dtype == "string":
            return token.decode("utf-8") if isinstance(token, bytes) else str(token)
        return int(token)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and the IDF weights for `output_mode="tf_idf"`).

        Args:
            vocabulary: a list, array or 1-D tensor of unique tokens; it may start with the
                special tokens in their order (mask, OOV...).
            idf_weights: inverse document frequencies, one per token in `vocabulary`.

        Raises:
            ValueError: on repeated tokens, a misplaced mask or OOV token, a vocabulary
                larger than `max_tokens`, or IDF weights that do not match.
        """
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is 'tf_idf'. Received: "
                f"output_mode={self.output_mode!r}"
            )
        tokens = [
            self._normalize_token(t) for t in _as_numpy_tokens(vocabulary, self.vocabulary_dtype)
        ]
        if not tokens:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        token_start = self._token_start_index()
        special = self.get_vocabulary()[:token_start]
        found_special = tokens[:token_start] == special
        if found_special:
            tokens = tokens[token_start:]
        repeated = [t for t, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"Found the reserved mask token {self.mask_token!r} inside `vocabulary`. The "
                "vocabulary does not need the mask and OOV tokens; include them only at the "
                f"start, in this order: {special}"
            )
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(
                f"Found the reserved OOV token {self.oov_token!r} inside `vocabulary`. Include "
                f"it only at the start, in this order: {special}"
            )
        size = token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {size}; `max_tokens` is {self.max_tokens}."
            )
        if idf_weights is not None:
            weights = np.asarray(idf_weights, dtype="float64").reshape(-1)
            if len(weights) != (len(tokens) + (token_start if found_special else 0)):
                raise ValueError(
                    "`idf_weights` must be the same length as the vocabulary. Received "
                    f"len(idf_weights)={len(weights)}, len(vocabulary)={len(tokens)}"
                )
            if not found_special:
                weights = np.concatenate([np.full(token_start, np.average(weights)), weights])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - len(weights)))
            self._idf_weights = weights.astype(backend.floatx())
        self._tokens = tokens
        self._build_table()

    def _build_table(self):
        token_start = self._token_start_index()
        with tf.init_scope():
            tokens = tf.constant(self._tokens, dtype=self.vocabulary_dtype)
            indices = tf.range(token_start, token_start + len(self._tokens), dtype="int64")
            keys, values = (indices, tokens) if self.invert else (tokens, indices)
            initializer = tf.lookup.KeyValueTensorInitializer(keys, values)
            default = tf.constant(self._default_value(), dtype=values.dtype)
            self._table = tf.lookup.StaticHashTable(initializer, default)

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from data: the most frequent tokens first (ties: larger
        token first), at most `max_tokens` ids in all.

        Args:
            data: an array or list of tokens (each element one document), a batched
                `tf.data.Dataset`, or an iterable of batches.
            batch_size: unused; accepted for Keras compatibility.
            steps: the number of batches to read from a dataset or iterable.
        """
        counts = collections.Counter()
        document_counts = collections.Counter()
        documents = 0
        for batch in self._batches(data, steps):
            for document in batch:
                tokens = self._document_tokens(document)
                counts.update(tokens)
                document_counts.update(set(tokens))
                documents += 1
        self._learn_vocabulary(counts, document_counts, documents)

    def _batches(self, data, steps):
        if isinstance(data, tf.data.Dataset):
            if steps is not None:
                data = data.take(steps)
            for batch in data:
                yield self._documents(batch, batched=True)
        elif (
            hasattr(data, "__iter__")
            and not isinstance(data, (list, tuple, np.ndarray))
            and (not tf.is_tensor(data))
        ):
            for index, batch in enumerate(data):
                if steps is not None and index >= steps:
                    break
                yield self._documents(batch, batched=True)
        else:
            yield self._documents(data, batched=False)

    def _documents(self, batch, batched):
        """Splits a batch into documents (lists of tokens)."""
        if isinstance(batch, tuple):
            batch = batch[0]
        if isinstance(batch, tf.RaggedTensor):
            return [row for row in batch.to_list()]
        array = np.asarray(batch.numpy() if tf.is_tensor(batch) else batch)
        if array.ndim == 0:
            return [[array.item()]]
        if array.ndim == 1:
            return [array.tolist()] if batched else [[value] for value in array.tolist()]
        return [row.reshape(-1).tolist() for row in array]

    def _document_tokens(self, document):
        tokens = [self._normalize_token(t) for t in np.asarray(document, dtype=object).reshape(-1)]
        return [t for t in tokens if t != self.mask_token and t != self.oov_token]

    def _learn_vocabulary(self, counts, document_counts, documents):
        ordered = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens:
            ordered = ordered[: self.max_tokens - self._token_start_index()]
        tokens = [token for token, _ in ordered]
        if not tokens:
            raise ValueError(f"Layer '{self.name}' found no tokens to learn in the adapt data.")
        idf = None
        if self.output_mode == "tf_idf":
            frequencies = np.array([document_counts[t] for t in tokens], dtype="float64")
            idf = np.log(1 + documents / (1 + frequencies))
        self._tokens = None
        self.set_vocabulary(tokens, idf)

    # ------------------------------------------------------------------ call
    def _lookup(self, inputs):
        lookups = self._table.lookup(inputs)
        if self.mask_token is not None:
            mask_key = tf.constant(0 if self.invert else self.mask_token, self._key_dtype)
            if self.invert:
                mask_value = tf.constant(self.mask_token, lookups.dtype)
            else:
                mask_value = tf.constant(
                    0 if self.output_mode == "int" else lookups.dtype.max, lookups.dtype
                )
            lookups = tf.where(tf.equal(inputs, mask_key), mask_value, lookups)
        if self.invert:
            return lookups
        if self.num_oov_indices > 1:
            if self._key_dtype == "string":
                oov = tf.strings.to_hash_bucket_fast(inputs, self.num_oov_indices)
            else:
                oov = tf.math.floormod(tf.cast(inputs, "int64"), self.num_oov_indices)
            lookups = tf.where(tf.equal(lookups, -1), oov + self._oov_start_index(), lookups)
        elif self.num_oov_indices == 0:
            check = tf.debugging.Assert(
                tf.reduce_all(lookups >= 0),
                [
                    "When `num_oov_indices=0` all inputs should be in the vocabulary; set "
                    "`num_oov_indices=1` to allow out-of-vocabulary values."
                ],
            )
            with tf.control_dependencies([check]):
                lookups = tf.identity(lookups)
        return lookups

    def _prepare_inputs(self, inputs):
        if not isinstance(inputs, tf.RaggedTensor):
            inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != self._key_dtype:
            if self._key_dtype == "string":
                raise ValueError(
                    f"Layer '{self.name}' expects string inputs. Received inputs of dtype "
                    f"{inputs.dtype.name}."
                )
            inputs = tf.cast(inputs, self._key_dtype)
        return inputs

    def call(self, inputs):
        # String and table kernels exist on the CPU only, as in Keras.
        with tf.device("CPU:0"):
            return self._encode(inputs)

    def _encode(self, inputs):
        if self._table is None:
            raise ValueError(
                f"Layer '{self.name}' has no vocabulary yet. Pass `vocabulary=` to the "
                "constructor or call `adapt(data)` before using it."
            )
        inputs = self._prepare_inputs(inputs)
        scalar = inputs.shape.rank == 0
        if scalar:
            inputs = tf.expand_dims(inputs, -1)
        if isinstance(inputs, tf.RaggedTensor):
            lookups = tf.ragged.map_flat_values(self._lookup, inputs)
        else:
            lookups = self._lookup(inputs)
        if self.output_mode == "int":
            return tf.squeeze(lookups, -1) if scalar else lookups
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        outputs = encode_categorical(lookups, mode, depth, self.compute_dtype)
        if self.output_mode == "tf_idf":
            outputs = outputs * tf.constant(self._idf_weights, dtype=self.compute_dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = (
            self.max_tokens
            if self.pad_to_max_tokens
            else (self.vocabulary_size() if self._tokens is not None else None)
        )
        if self.output_mode == "one_hot" and not (len(input_shape) > 1 and input_shape[-1] == 1):
            return (*input_shape, depth)
        return (*input_shape[:-1], depth)

    def get_config(self):
        idf = None
        if self._idf_weights is not None and self._tokens is not None:
            start = self._token_start_index()
            idf = self._idf_weights[start : start + len(self._tokens)].tolist()
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "vocabulary": self._tokens,
            "idf_weights": idf,
        }
