"""Utilities Keras scripts lean on: progress bar, one-hot labels, seeding, sequence padding,
datasets from directories and arrays."""

from kerascore.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerascore.utils.dataset_utils import (
    image_dataset_from_directory,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from kerascore.utils.file_utils import get_file
from kerascore.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kerascore.utils.model_visualization import plot_model
from kerascore.utils.numerical_utils import normalize, to_categorical
from kerascore.utils.progbar import Progbar
from kerascore.utils.rng_utils import get_random_seed, set_random_seed
from kerascore.utils.sequence_utils import pad_sequences

__all__ = [
    "Progbar",
    "array_to_img",
    "get_file",
    "get_random_seed",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_model",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]
