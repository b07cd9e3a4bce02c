"""Preprocessing layers: they run inside a model and inside `tf.data` pipelines
(`dataset.map(layer)`), using TensorFlow ops only.

Numeric: Normalization, Rescaling. Images: Resizing, CenterCrop, RandomFlip,
RandomRotation, RandomZoom, RandomTranslation, RandomContrast. Categorical:
CategoryEncoding, Hashing, StringLookup, IntegerLookup. Text: TextVectorization.
"""

from kerascore.layers.preprocessing.categorical import CategoryEncoding, Hashing
from kerascore.layers.preprocessing.image import (
    CenterCrop,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from kerascore.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from kerascore.layers.preprocessing.normalization import Normalization, Rescaling
from kerascore.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Hashing",
    "IntegerLookup",
    "Normalization",
    "RandomContrast",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "StringLookup",
    "TextVectorization",
]
