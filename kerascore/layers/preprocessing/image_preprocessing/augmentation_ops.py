"""The operations RandAugment and AugMix choose from: Keras 3's list, each a layer built
from one strength `factor`, applied to channels-last float batches."""

from kerascore.layers.preprocessing.image_preprocessing.auto_contrast import AutoContrast
from kerascore.layers.preprocessing.image_preprocessing.equalization import Equalization
from kerascore.layers.preprocessing.image_preprocessing.random_brightness import (
    RandomBrightness,
)
from kerascore.layers.preprocessing.image_preprocessing.random_color_degeneration import (
    RandomColorDegeneration,
)
from kerascore.layers.preprocessing.image_preprocessing.random_contrast import RandomContrast
from kerascore.layers.preprocessing.image_preprocessing.random_posterization import (
    RandomPosterization,
)
from kerascore.layers.preprocessing.image_preprocessing.random_rotation import RandomRotation
from kerascore.layers.preprocessing.image_preprocessing.random_sharpness import RandomSharpness
from kerascore.layers.preprocessing.image_preprocessing.random_shear import RandomShear
from kerascore.layers.preprocessing.image_preprocessing.random_translation import (
    RandomTranslation,
)
from kerascore.layers.preprocessing.image_preprocessing.solarization import Solarization

GEOMETRIC_AND_TONAL = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)
COLOR = ("random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness")


def build_augmentation_ops(names, factor, value_range, interpolation, seed):
    """Returns `{name: layer}` for `names`, every layer channels-last, of strength `factor`
    (a `(lower, upper)` pair in [0, 1])."""
    common = {"seed": seed, "data_format": "channels_last"}
    builders = {
        "random_shear": lambda: RandomShear(
            x_factor=factor, y_factor=factor, interpolation=interpolation, **common
        ),
        "random_translation": lambda: RandomTranslation(
            height_factor=factor, width_factor=factor, interpolation=interpolation, **common
        ),
        "random_rotation": lambda: RandomRotation(
            factor=factor, interpolation=interpolation, **common
        ),
        "random_posterization": lambda: RandomPosterization(
            factor=max(1, int(8 * factor[1])), value_range=value_range, **common
        ),
        "solarization": lambda: Solarization(
            addition_factor=factor, threshold_factor=factor, value_range=value_range, **common
        ),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, data_format="channels_last"),
        "equalization": lambda: Equalization(value_range=value_range, data_format="channels_last"),
        "random_brightness": lambda: RandomBrightness(factor, value_range=value_range, **common),
        "random_color_degeneration": lambda: RandomColorDegeneration(
            factor, value_range=value_range, **common
        ),
        "random_contrast": lambda: RandomContrast(factor, value_range=value_range, **common),
        "random_sharpness": lambda: RandomSharpness(factor, value_range=value_range, **common),
    }
    return {name: builders[name]() for name in names}


def apply_operation(layer, images):
    """Runs one operation layer on channels-last float `images`, always (training mode)."""
    if isinstance(layer, AutoContrast):
        return layer.transform(images)
    return layer.augment(images)
