"""Preprocessing layers: they run inside a model and inside `tf.data` pipelines
(`dataset.map(layer)`), using TensorFlow ops only.

Numeric: Normalization, Rescaling. Images: Resizing, CenterCrop, RandomCrop, RandomFlip,
RandomRotation, RandomZoom, RandomTranslation, RandomContrast. Categorical:
CategoryEncoding, Hashing, StringLookup, IntegerLookup. Text: TextVectorization.
"""

from kerascore.layers.preprocessing.categorical import CategoryEncoding, Hashing
from kerascore.layers.preprocessing.image_preprocessing.center_crop import CenterCrop
from kerascore.layers.preprocessing.image_preprocessing.random_contrast import RandomContrast
from kerascore.layers.preprocessing.image_preprocessing.random_crop import RandomCrop
from kerascore.layers.preprocessing.image_preprocessing.random_flip import RandomFlip
from kerascore.layers.preprocessing.image_preprocessing.random_rotation import RandomRotation
from kerascore.layers.preprocessing.image_preprocessing.random_translation import RandomTranslation
from kerascore.layers.preprocessing.image_preprocessing.random_zoom import RandomZoom
from kerascore.layers.preprocessing.image_preprocessing.resizing import Resizing
from kerascore.layers.preprocessing.integer_lookup import IntegerLookup
from kerascore.layers.preprocessing.normalization import Normalization, Rescaling
from kerascore.layers.preprocessing.string_lookup import StringLookup
from kerascore.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Hashing",
    "IntegerLookup",
    "Normalization",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "StringLookup",
    "TextVectorization",
]
