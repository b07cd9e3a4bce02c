"""Preprocessing layers: they run inside a model and inside `tf.data` pipelines
(`dataset.map(layer)`), using TensorFlow ops only.

Numeric: Normalization, Rescaling, Discretization. Images: Resizing, CenterCrop, RandomCrop,
RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast and the augmentations
of `image_preprocessing` (RandomBrightness ... RandAugment). Categorical: CategoryEncoding,
Hashing, HashedCrossing, StringLookup, IntegerLookup. Structured data: FeatureSpace (Keras
exports it as `keras.utils.FeatureSpace`). Text: TextVectorization. Audio:
MelSpectrogram, STFTSpectrogram. Chaining: Pipeline.
"""

from kerascore.layers.preprocessing.categorical import CategoryEncoding, Hashing
from kerascore.layers.preprocessing.discretization import Discretization
from kerascore.layers.preprocessing.feature_space import FeatureSpace
from kerascore.layers.preprocessing.hashed_crossing import HashedCrossing
from kerascore.layers.preprocessing.image_preprocessing.aug_mix import AugMix
from kerascore.layers.preprocessing.image_preprocessing.auto_contrast import AutoContrast
from kerascore.layers.preprocessing.image_preprocessing.center_crop import CenterCrop
from kerascore.layers.preprocessing.image_preprocessing.clahe import (
    ContrastLimitedAdaptiveHistogramEqualization,
)
from kerascore.layers.preprocessing.image_preprocessing.cut_mix import CutMix
from kerascore.layers.preprocessing.image_preprocessing.equalization import Equalization
from kerascore.layers.preprocessing.image_preprocessing.max_num_bounding_boxes import (
    MaxNumBoundingBoxes,
)
from kerascore.layers.preprocessing.image_preprocessing.mix_up import MixUp
from kerascore.layers.preprocessing.image_preprocessing.rand_augment import RandAugment
from kerascore.layers.preprocessing.image_preprocessing.random_brightness import RandomBrightness
from kerascore.layers.preprocessing.image_preprocessing.random_color_degeneration import (
    RandomColorDegeneration,
)
from kerascore.layers.preprocessing.image_preprocessing.random_color_jitter import RandomColorJitter
from kerascore.layers.preprocessing.image_preprocessing.random_contrast import RandomContrast
from kerascore.layers.preprocessing.image_preprocessing.random_crop import RandomCrop
from kerascore.layers.preprocessing.image_preprocessing.random_elastic_transform import (
    RandomElasticTransform,
)
from kerascore.layers.preprocessing.image_preprocessing.random_erasing import RandomErasing
from kerascore.layers.preprocessing.image_preprocessing.random_flip import RandomFlip
from kerascore.layers.preprocessing.image_preprocessing.random_gaussian_blur import (
    RandomGaussianBlur,
)
from kerascore.layers.preprocessing.image_preprocessing.random_grayscale import RandomGrayscale
from kerascore.layers.preprocessing.image_preprocessing.random_hue import RandomHue
from kerascore.layers.preprocessing.image_preprocessing.random_invert import RandomInvert
from kerascore.layers.preprocessing.image_preprocessing.random_perspective import RandomPerspective
from kerascore.layers.preprocessing.image_preprocessing.random_posterization import (
    RandomPosterization,
)
from kerascore.layers.preprocessing.image_preprocessing.random_rotation import RandomRotation
from kerascore.layers.preprocessing.image_preprocessing.random_saturation import RandomSaturation
from kerascore.layers.preprocessing.image_preprocessing.random_sharpness import RandomSharpness
from kerascore.layers.preprocessing.image_preprocessing.random_shear import RandomShear
from kerascore.layers.preprocessing.image_preprocessing.random_translation import RandomTranslation
from kerascore.layers.preprocessing.image_preprocessing.random_zoom import RandomZoom
from kerascore.layers.preprocessing.image_preprocessing.resizing import Resizing
from kerascore.layers.preprocessing.image_preprocessing.solarization import Solarization
from kerascore.layers.preprocessing.integer_lookup import IntegerLookup
from kerascore.layers.preprocessing.mel_spectrogram import MelSpectrogram
from kerascore.layers.preprocessing.normalization import Normalization, Rescaling
from kerascore.layers.preprocessing.pipeline import Pipeline
from kerascore.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from kerascore.layers.preprocessing.string_lookup import StringLookup
from kerascore.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "AugMix",
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Discretization",
    "Equalization",
    "FeatureSpace",
    "HashedCrossing",
    "Hashing",
    "IntegerLookup",
    "MaxNumBoundingBoxes",
    "MelSpectrogram",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "STFTSpectrogram",
    "Solarization",
    "StringLookup",
    "TextVectorization",
]
