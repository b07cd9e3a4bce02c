"""`FeatureSpace`: preprocessing and encoding of structured data (a dict of columns) in one
layer, as `keras.utils.FeatureSpace` (exported as `kerascore.utils.FeatureSpace`).

Each feature is a `Feature`: the dtype of its column, the preprocessing layer that encodes it
(`Normalization`, `Discretization`, `StringLookup`, `IntegerLookup`, `Hashing`, ...) and how its
output is presented (`"float"`, `"int"` or `"one_hot"`). `Cross`es hash pairs (or more) of
categorical features together with `HashedCrossing`. `adapt` fits the preprocessors on a
dataset of dicts; calling the feature space encodes a dict of columns into one vector
(`output_mode="concat"`) or a dict of encoded features (`"dict"`).
"""

import numpy as np
import tensorflow as tf

from kerascore.layers.core.identity import Identity
from kerascore.layers.core.input_layer import Input
from kerascore.layers.layer import Layer
from kerascore.layers.merging.concatenate import Concatenate
from kerascore.layers.preprocessing.categorical import CategoryEncoding, Hashing
from kerascore.layers.preprocessing.discretization import Discretization
from kerascore.layers.preprocessing.hashed_crossing import HashedCrossing
from kerascore.layers.preprocessing.integer_lookup import IntegerLookup
from kerascore.layers.preprocessing.normalization import Normalization, Rescaling
from kerascore.layers.preprocessing.string_lookup import StringLookup
from kerascore.saving import saving_lib
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)
from kerascore.utils.naming import unique_name
from kerascore.utils.tensor_utils import standardize_dtype

_FEATURE_TYPES = (
    "float",
    "float_normalized",
    "float_rescaled",
    "float_discretized",
    "integer_categorical",
    "string_categorical",
    "integer_hashed",
    "string_hashed",
)


@register_builtin
class Cross:
    """Features crossed together by hashing their combined values into `crossing_dim` bins.

    Args:
        feature_names: the names of the crossed features (two or more).
        crossing_dim: the number of hash bins.
        output_mode: `"one_hot"` (a `crossing_dim` vector) or `"int"` (the bin id).
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                f"Received: output_mode={output_mode!r}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        """`"a_X_b"` for the cross of features `a` and `b`."""
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {
            "feature_names": list(self.feature_names),
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_builtin
class Feature:
    """One input column: its dtype, the layer that preprocesses it, how it is output.

    Args:
        dtype: the column's dtype (`"float32"`, `"int32"`, `"string"`, ...).
        preprocessor: a layer (or its serialized config) applied to the `(batch, 1)` column.
        output_mode: `"float"` (as it comes out), `"int"` (integer ids) or `"one_hot"` (ids
            one-hot encoded to the preprocessor's number of values).
    """

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot', "
                f"'float'}}. Received: output_mode={output_mode!r}"
            )
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_keras_object(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {
            "dtype": self.dtype,
            "preprocessor": serialize_keras_object(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_builtin
class FeatureSpace(Layer):
    """Preprocesses and encodes structured data: a dict of feature columns.

    A `Layer`, as in Keras 3, that holds its preprocessing layers in `preprocessors`,
    `crossers`, `one_hot_encoders` and `concat` (its `weights` are theirs, in that order).
    Calling it encodes a dict of values eagerly or inside `tf.data`; for a model, build from
    `get_inputs()` and `get_encoded_features()`.

    Args:
        features: a dict of feature name to a `Feature` (from `FeatureSpace.float()`,
            `FeatureSpace.string_categorical(...)`, ...) or a type name (`"float"`,
            `"float_normalized"`, `"float_rescaled"`, `"float_discretized"`,
            `"integer_categorical"`, `"string_categorical"`, `"integer_hashed"`,
            `"string_hashed"`) with default arguments.
        output_mode: `"concat"` (one float vector per row, features in sorted name order, then
            crosses in sorted name order) or `"dict"` (encoded features by name).
        crosses: a list of tuples of feature names to cross, or `FeatureSpace.cross(...)`s.
        crossing_dim: the default number of hash bins of a cross.
        hashing_dim: the number of bins of `"integer_hashed"` and `"string_hashed"` features.
        num_discretization_bins: the number of bins of `"float_discretized"` features.
        name: the layer's name.

    Example:
        >>> space = FeatureSpace({"age": "float_normalized", "city": "string_categorical"})
        >>> space.adapt({"age": [20.0, 40.0, 60.0], "city": ["a", "b", "a"]})
        >>> space({"age": [40.0], "city": ["b"]}).shape
        TensorShape([1, 4])
    """

    # ------------------------------------------------------------ feature types

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A cross of the features `feature_names`, hashed into `crossing_dim` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature with your own preprocessing layer."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """Float values, passed through as they are."""
        name = name or unique_name("float")
        preprocessor = Identity(dtype="float32", name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode="float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values computed as `value * scale + offset`."""
        name = name or unique_name("float_rescaled")
        preprocessor = Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode="float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized with the mean and variance `adapt` finds."""
        name = name or unique_name("float_normalized")
        preprocessor = Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode="float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """Float values bucketed into `num_bins` quantile bins (found by `adapt`), or, with
        `num_bins=None`, into the bins of `bin_boundaries` (which `adapt` leaves as they are;
        Keras 3 cannot adapt such a feature space)."""
        name = name or unique_name("float_discretized")
        preprocessor = Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature(dtype="float32", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def integer_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        """Integer categories, indexed with the vocabulary `adapt` finds."""
        name = name or unique_name("integer_categorical")
        preprocessor = IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature(dtype="int32", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def string_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        """String categories, indexed with the vocabulary `adapt` finds."""
        name = name or unique_name("string_categorical")
        preprocessor = StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature(dtype="string", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """String categories hashed into `num_bins` bins."""
        name = name or unique_name("string_hashed")
        preprocessor = Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="string", preprocessor=preprocessor, output_mode=output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integer categories hashed into `num_bins` bins."""
        name = name or unique_name("integer_hashed")
        preprocessor = Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="int32", preprocessor=preprocessor, output_mode=output_mode)

    # ------------------------------------------------------------ construction

    def __init__(
        self,
        features,
        output_mode="concat",
        crosses=None,
        crossing_dim=32,
        hashing_dim=32,
        num_discretization_bins=32,
        name=None,
    ):
        super().__init__(name=name)
        if not features:
            raise ValueError(
                f"The `features` argument cannot be None or empty. Received: features={features!r}"
            )
        if output_mode not in {"dict", "concat"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode!r}"
            )
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {
            feature_name: self._standardize_feature(feature_name, value)
            for feature_name, value in features.items()
        }
        self.crosses = [self._standardize_cross(cross) for cross in crosses or []]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.inputs = {
            feature_name: Input(shape=(1,), dtype=feature.dtype, name=feature_name)
            for feature_name, feature in self.features.items()
        }
        self.preprocessors = {
            feature_name: feature.preprocessor for feature_name, feature in self.features.items()
        }
        self.crossers = {
            cross.name: HashedCrossing(cross.crossing_dim, name=cross.name)
            for cross in self.crosses
        }
        self.one_hot_encoders = {}
        self.concat = None
        self.encoded_features = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, feature_name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return deserialize_keras_object(feature)
        if feature == "float_discretized":
            return self.float_discretized(name=feature_name, num_bins=self.num_discretization_bins)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=feature_name)
        if feature in _FEATURE_TYPES:
            return getattr(self, feature)(name=feature_name)
        raise ValueError(
            f"Invalid feature type for feature {feature_name!r}: {feature!r}. Expected a "
            f"FeatureSpace.<type>(...) feature or one of {_FEATURE_TYPES}."
        )

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = deserialize_keras_object(cross)
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError(
                "When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                f"crossing space) should be specified as well. Received: crossing_dim="
                f"{self.crossing_dim!r}"
            )
        unknown = [key for key in cross if key not in self.features]
        if unknown:
            raise ValueError(
                "All features referenced in the `crosses` argument should be present in the "
                f"`features` dict. Received unknown features: {unknown} in cross {cross!r}"
            )
        return Cross(cross, crossing_dim=self.crossing_dim)

    # ------------------------------------------------------------ adapting

    def _adaptable_feature_names(self):
        names = []
        for feature_name, preprocessor in self.preprocessors.items():
            if isinstance(preprocessor, Normalization) and preprocessor.input_mean is not None:
                continue
            if isinstance(preprocessor, Discretization) and preprocessor.num_bins is None:
                continue  # Its bins were given as `bin_boundaries`.
            if hasattr(preprocessor, "adapt"):
                names.append(feature_name)
        return names

    def adapt(self, dataset):
        """Fits the preprocessors that learn from data (normalization statistics, bin
        boundaries, vocabularies) and builds the encoding.

        Args:
            dataset: a `tf.data.Dataset` of dicts of feature values (rows or batches), or a
                dict of arrays or lists.

        Raises:
            ValueError: if `dataset` is neither.
        """
        if not isinstance(dataset, tf.data.Dataset):
            if not isinstance(dataset, dict):
                raise ValueError(
                    "`adapt()` can only be called on a tf.data.Dataset or a dict of "
                    f"arrays/lists. Received instead: {dataset!r} (of type "
                    f"{type(dataset).__name__})"
                )
            dataset = tf.data.Dataset.from_tensor_slices(dataset)
        for feature_name in self._adaptable_feature_names():
            column = dataset.map(lambda row, key=feature_name: row[key])
            first = next(iter(column))
            if len(first.shape) == 0:
                column = column.batch(32)
            if len(first.shape) in (0, 1):
                column = column.map(lambda values: tf.expand_dims(values, -1))
            self.preprocessors[feature_name].adapt(column)
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable_feature_names():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can "
                    "start using it."
                )
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # ------------------------------------------------------------ encoding

    def get_inputs(self):
        """Returns the dict of `keras.Input`s (shape `(1,)`), one per feature."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """Returns the encoded features as symbolic tensors computed from `get_inputs()`: one
        `KerasTensor` (concat mode) or a dict of them, for building a functional model."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self.encoded_features = self._merge_features(preprocessed, crossed)
        return self.encoded_features

    def _preprocess_features(self, features):
        return {name: self.preprocessors[name](features[name]) for name in features}

    def _cross_features(self, features):
        return {
            cross.name: self.crossers[cross.name]([features[name] for name in cross.feature_names])
            for cross in self.crosses
        }

    def _cardinality(self, name):
        preprocessor = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(preprocessor, (IntegerLookup, StringLookup)):
            return preprocessor.vocabulary_size()
        if isinstance(preprocessor, CategoryEncoding):
            return preprocessor.num_tokens
        if isinstance(preprocessor, Discretization):
            if preprocessor.num_bins is None:
                return len(preprocessor.bin_boundaries) + 1
            return preprocessor.num_bins
        if isinstance(preprocessor, (HashedCrossing, Hashing)):
            return preprocessor.num_bins
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
            "and the dimensionality of its output space is not known, thus it cannot be "
            "one-hot encoded. Try using `output_mode='int'`."
        )

    def _merge_features(self, preprocessed, crossed):
        feature_names = sorted(preprocessed)
        cross_names = sorted(crossed)
        named = [(name, preprocessed[name]) for name in feature_names]
        named += [(name, crossed[name]) for name in cross_names]
        if not self._sublayers_built:
            self._make_encoders(named)
        encoded = {}
        for name, value in named:
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        for name, value in encoded.items():
            dtype = standardize_dtype(value.dtype)
            if dtype.startswith(("int", "uint")) or dtype == "string":
                raise ValueError(
                    f"Cannot concatenate features because feature '{name}' has not been "
                    f"encoded (it has dtype {dtype}). Consider using `output_mode='dict'`."
                )
        if self.concat is None:
            self.concat = Concatenate(axis=-1, name=f"{self.name}_concat")
        return self.concat(list(encoded.values()))

    def _make_encoders(self, named):
        specs = {**self.features, **self.crosses_by_name}
        for name, value in named:
            if specs[name].output_mode != "one_hot" or name in self.one_hot_encoders:
                continue
            dtype = standardize_dtype(value.dtype)
            if not dtype.startswith("int"):
                raise ValueError(
                    f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor "
                    f"should return an integer dtype. Instead it returns a {dtype} dtype."
                )
            self.one_hot_encoders[name] = CategoryEncoding(
                num_tokens=self._cardinality(name),
                output_mode="multi_hot",
                name=f"{name}_one_hot",
            )

    def _convert_input(self, feature_name, value):
        if not isinstance(value, (tf.Tensor, tf.SparseTensor, tf.RaggedTensor)):
            value = tf.convert_to_tensor(np.asarray(value) if not np.isscalar(value) else value)
        feature = self.features.get(feature_name)
        if feature is not None and feature.dtype == "float32" and value.dtype.is_floating:
            value = tf.cast(value, "float32")
        return value

    def __call__(self, data):
        """Encodes a dict of feature columns (rows, or a single row of scalars).

        Args:
            data: a dict of feature name to values: shape `(batch,)` or `(batch, 1)`, or
                scalars for one row.

        Returns:
            A float tensor `(batch, encoded_dim)` (concat mode) or a dict of encoded features;
            without a batch axis when `data` held scalars.

        Raises:
            ValueError: if `data` is not a dict, or the feature space needs `adapt` first.
        """
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. Received: "
                f"data={data!r} (of type {type(data).__name__})"
            )
        data = {name: self._convert_input(name, value) for name, value in data.items()}
        rebatched = False
        for name, value in data.items():
            if len(value.shape) == 0:
                data[name] = tf.reshape(value, (1, 1))
                rebatched = True
            elif len(value.shape) == 1:
                data[name] = tf.expand_dims(value, -1)
        preprocessed = self._preprocess_features(data)
        crossed = self._cross_features(preprocessed)
        merged = self._merge_features(preprocessed, crossed)
        if rebatched:
            if self.output_mode == "concat":
                merged = tf.squeeze(merged, axis=0)
            else:
                merged = {
                    name: tf.squeeze(value, axis=0)
                    if len(value.shape) == 2 and value.shape[0] == 1
                    else value
                    for name, value in merged.items()
                }
        return merged

    def _sublayers(self):
        found = [*self.preprocessors.values(), *self.crossers.values()]
        found += [*self.one_hot_encoders.values(), *([self.concat] if self.concat else [])]
        return found

    @property
    def weights(self):
        """The variables of the preprocessing layers (normalization statistics), in feature
        order: what `save` writes and `keras.models.load_model` restores."""
        return [variable for layer in self._sublayers() for variable in layer.weights]

    @property
    def trainable_weights(self):
        return [variable for variable in self.weights if variable.trainable]

    @property
    def non_trainable_weights(self):
        return [variable for variable in self.weights if not variable.trainable]

    # ------------------------------------------------------------ saving

    def get_config(self):
        return {
            "name": self.name,
            "features": serialize_keras_object(self.features),
            "output_mode": self.output_mode,
            "crosses": serialize_keras_object(self.crosses),
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {
            name: feature.preprocessor.get_build_config() for name, feature in self.features.items()
        }

    def build_from_config(self, config):
        for name, build_config in (config or {}).items():
            preprocessor = self.features[name].preprocessor
            if not preprocessor.built and build_config:
                preprocessor.build_from_config(build_config)
        # The adapted state is in the preprocessors' configs (vocabularies, bin boundaries)
        # and weights (normalization statistics), which loading restores.
        self._is_adapted = True
        self.get_encoded_features()
        self._sublayers_built = True
        self.built = True

    def save(self, filepath):
        """Saves the feature space, adapted, to a `.keras` file that
        `keras.models.load_model` reads back."""
        saving_lib.save_model(self, filepath)
