"""TextVectorization: raw strings to token ids or bag-of-words vectors, in TensorFlow ops."""

import collections

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.index_lookup import standardize_output_mode
from kerascore.layers.preprocessing.string_lookup import StringLookup
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)

_PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


@register_builtin
class TextVectorization(Layer):
    """Turns strings into sequences of token ids, or into multi-hot/count/TF-IDF vectors.

    Each string is standardized, split into tokens, optionally turned into n-grams, and
    looked up in a vocabulary (learned with `adapt` or given). Id 0 is padding, id 1 is
    out-of-vocabulary.

    Args:
        max_tokens: the maximum vocabulary size, padding and OOV ids included.
        standardize: `"lower_and_strip_punctuation"` (default), `"lower"`,
            `"strip_punctuation"`, None, or a registered callable on string tensors.
        split: `"whitespace"` (default), `"character"`, None, or a registered callable.
        ngrams: None, an int `n` (all n-grams up to `n`), or a tuple of n-gram sizes.
        output_mode: `"int"` (default), `"multi_hot"`, `"count"` or `"tf_idf"`.
        output_sequence_length: for `"int"`: pad or cut every sequence to this length.
        pad_to_max_tokens: make encoded outputs `max_tokens` wide.
        vocabulary: a list of tokens, instead of `adapt`.
        idf_weights: IDF weights with `vocabulary` for `"tf_idf"`.
        sparse, ragged: must be False.
        encoding: only UTF-8.

    Input shape:
        `(batch,)` or `(batch, 1)` strings.

    Output shape:
        `(batch, sequence_length)` ids for `"int"`, `(batch, vocabulary_size)` otherwise.

    Example:
        layer = keras.layers.TextVectorization(output_sequence_length=4)
        layer.adapt(["the cat sat", "the dog ran"])
        layer(["the cat ran"])  # [[2, 6, 4, 0]]
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(
                f"Expected standardize in {_STANDARDIZE}, None or a callable. Received: "
                f"standardize={standardize!r}"
            )
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(
                f"Expected split in {_SPLIT}, None or a callable. Received: split={split!r}"
            )
        output_mode = standardize_output_mode(output_mode)
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and ngrams >= 1)
            or (isinstance(ngrams, tuple) and all(isinstance(n, int) and n >= 1 for n in ngrams))
        ):
            raise ValueError(
                f"`ngrams` must be None, a positive integer, or a tuple of them. Received: "
                f"ngrams={ngrams!r}"
            )
        if output_mode == "int" and not (
            output_sequence_length is None
            or (isinstance(output_sequence_length, int) and output_sequence_length > 0)
        ):
            raise ValueError(
                "`output_sequence_length` must be None or a positive int when output_mode is "
                f"'int'. Received: output_sequence_length={output_sequence_length!r}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received: output_sequence_length={output_sequence_length}"
            )
        if ragged:
            raise ValueError(
                "kerascore's TextVectorization returns padded dense tensors. Received: "
                "ragged=True. Use ragged=False (padding id 0)."
            )
        for key in ("dtype", "vocabulary_size", "has_input_vocabulary"):
            kwargs.pop(key, None)
        output_dtype = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(name=name, dtype=output_dtype, autocast=False, **kwargs)
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self._ngram_widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.ragged = ragged
        self.encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            encoding=encoding,
            name=f"{self.name}_lookup",
        )

    def _preprocess(self, inputs):
        if not isinstance(inputs, tf.RaggedTensor):
            inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != tf.string:
            raise ValueError(
                f"Layer '{self.name}' expects string inputs. Received dtype {inputs.dtype.name}."
            )
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            inputs = tf.strings.lower(inputs)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            inputs = tf.strings.regex_replace(inputs, _PUNCTUATION, "")
        if callable(self.standardize):
            inputs = self.standardize(inputs)
        if self.split is not None:
            if inputs.shape.rank > 1:
                if inputs.shape[-1] != 1:
                    raise ValueError(
                        "When splitting strings, the input rank must be 1 or the last axis "
                        f"must have size 1. Received: inputs.shape={tuple(inputs.shape)}"
                    )
                inputs = tf.squeeze(inputs, axis=-1)
            if self.split == "whitespace":
                inputs = tf.strings.split(inputs)
            elif self.split == "character":
                inputs = tf.strings.unicode_split(inputs, "UTF-8")
            else:
                inputs = self.split(inputs)
        if self._ngram_widths is not None:
            inputs = tf.strings.ngrams(inputs, ngram_width=self._ngram_widths, separator=" ")
        return inputs

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (and IDF weights for `"tf_idf"`) from strings.

        Args:
            data: a list or array of strings, a batched `tf.data.Dataset` of strings, or an
                iterable of batches.
            batch_size: unused; accepted for Keras compatibility.
            steps: the number of batches to read from a dataset or iterable.
        """
        if isinstance(data, tf.data.Dataset):
            if steps is not None:
                data = data.take(steps)
            batches = (self._preprocess(_first(batch)) for batch in data)
        elif (
            hasattr(data, "__iter__")
            and not isinstance(data, (list, tuple, np.ndarray, str))
            and (not tf.is_tensor(data))
        ):
            batches = (
                self._preprocess(_first(batch))
                for index, batch in enumerate(data)
                if steps is None or index < steps
            )
        else:
            tensor = tf.convert_to_tensor(data, dtype=tf.string)
            if tensor.shape.rank == 0:
                tensor = tf.reshape(tensor, [1])
            batches = [self._preprocess(tensor)]
        lookup = self._lookup_layer
        counts, document_counts, documents = _count_documents(lookup, batches)
        lookup._learn_vocabulary(counts, document_counts, documents)

    def call(self, inputs):
        # String kernels exist on the CPU only, as in Keras.
        with tf.device("CPU:0"):
            lookups = self._lookup_layer(self._preprocess(inputs))
        if self.output_mode != "int":
            return lookups
        length = self.output_sequence_length
        if isinstance(lookups, tf.RaggedTensor):
            shape = lookups.shape.as_list()
            shape[-1] = length
            return lookups.to_tensor(default_value=0, shape=shape)
        if length is None:
            return lookups
        lookups = lookups[..., :length]
        padding = length - tf.shape(lookups)[-1]
        paddings = tf.concat([tf.zeros([lookups.shape.rank - 1, 2], "int32"), [[0, padding]]], 0)
        outputs = tf.pad(lookups, paddings)
        outputs.set_shape([*lookups.shape[:-1], length])
        return outputs

    def get_vocabulary(self, include_special_tokens=True):
        """Returns the vocabulary; with special tokens, a token's position is its id."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary size including the padding and OOV ids."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and IDF weights for `"tf_idf"`) directly."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def compute_output_shape(self, input_shape):
        batch = tuple(input_shape)[0] if len(input_shape) else None
        if self.output_mode == "int":
            return (batch, self.output_sequence_length)
        lookup = self._lookup_layer
        depth = (
            lookup.max_tokens
            if lookup.pad_to_max_tokens
            else (lookup.vocabulary_size() if lookup._tokens is not None else None)
        )
        return (batch, depth)

    def get_config(self):
        lookup_config = self._lookup_layer.get_config()
        return {
            **super().get_config(),
            "max_tokens": self._lookup_layer.max_tokens,
            "standardize": _serialize_callable(self.standardize),
            "split": _serialize_callable(self.split),
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens,
            "sparse": False,
            "ragged": self.ragged,
            "vocabulary": lookup_config["vocabulary"],
            "idf_weights": lookup_config["idf_weights"],
            "encoding": self.encoding,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not (
                isinstance(config[key], str) and config[key] in (*_STANDARDIZE, *_SPLIT)
            ):
                config[key] = deserialize_keras_object(config[key])
        return cls(**config)


def _serialize_callable(value):
    return serialize_keras_object(value) if callable(value) else value


def _first(batch):
    return batch[0] if isinstance(batch, tuple) else batch


def _count_documents(lookup, batches):
    counts = collections.Counter()
    document_counts = collections.Counter()
    documents = 0
    for tokens in batches:
        rows = (
            tokens.to_list()
            if isinstance(tokens, tf.RaggedTensor)
            else (
                np.asarray(tokens).reshape(len(tokens), -1).tolist()
                if tokens.shape.rank
                else [[tokens.numpy()]]
            )
        )
        for row in rows:
            words = lookup._document_tokens(row)
            counts.update(words)
            document_counts.update(set(words))
            documents += 1
    return counts, document_counts, documents
