"""Utilities Keras scripts lean on: progress bar, one-hot labels, seeding, sequence padding,
datasets from directories and arrays, `PyDataset`, `FeatureSpace`, the object registry."""

from kerascore.saving.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from kerascore.utils.audio_dataset_utils import audio_dataset_from_directory
from kerascore.utils.config import Config
from kerascore.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerascore.utils.dataset_utils import (
    image_dataset_from_directory,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from kerascore.utils.file_utils import get_file
from kerascore.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kerascore.utils.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from kerascore.utils.model_visualization import model_to_dot, plot_model
from kerascore.utils.numerical_utils import normalize, to_categorical
from kerascore.utils.progbar import Progbar
from kerascore.utils.py_dataset import PyDataset, Sequence
from kerascore.utils.rng_utils import get_random_seed, set_random_seed
from kerascore.utils.sequence_utils import pad_sequences
from kerascore.utils.session_utils import clear_session
from kerascore.utils.tensor_utils import get_source_inputs, is_keras_tensor, standardize_dtype

__all__ = [
    "Config",
    "CustomObjectScope",
    "FeatureSpace",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "audio_dataset_from_directory",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_random_seed",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "image_dataset_from_directory",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "model_to_dot",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def __getattr__(name):
    # FeatureSpace is a Layer (kerascore.layers.preprocessing.feature_space) and kerascore.layers
    # imports kerascore.utils: it is imported on first use so that imports run one way.
    if name == "FeatureSpace":
        from kerascore.layers.preprocessing.feature_space import FeatureSpace

        return FeatureSpace
    raise AttributeError(f"module 'kerascore.utils' has no attribute {name!r}")
