"""`RandomColorJitter`: brightness, contrast, saturation and hue jitter in one layer."""

from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.random_brightness import (
    RandomBrightness,
)
from kerascore.layers.preprocessing.image_preprocessing.random_contrast import RandomContrast
from kerascore.layers.preprocessing.image_preprocessing.random_hue import RandomHue
from kerascore.layers.preprocessing.image_preprocessing.random_saturation import (
    RandomSaturation,
)
from kerascore.saving.serialization import register_builtin


def _jsonable(factor):
    return list(factor) if isinstance(factor, tuple) else factor


@register_builtin
class RandomColorJitter(BaseRandomImageLayer):
    """Randomly changes brightness, contrast, saturation and hue, in that order, in training.

    Each factor left as None skips its step; the others take the same values as the
    corresponding layer (`RandomBrightness`, `RandomContrast`, `RandomSaturation`,
    `RandomHue`).

    Args:
        value_range: the `(min, max)` range of the pixel values.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the factors of
            each step, or None.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        value_range = check_value_range(value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        # Pairs are kept as lists, so the config is the same after a JSON round trip.
        self.brightness_factor = _jsonable(brightness_factor)
        self.contrast_factor = _jsonable(contrast_factor)
        self.saturation_factor = _jsonable(saturation_factor)
        self.hue_factor = _jsonable(hue_factor)
        steps = (
            (RandomBrightness, brightness_factor),
            (RandomContrast, contrast_factor),
            (RandomSaturation, saturation_factor),
            (RandomHue, hue_factor),
        )
        self.steps = [
            cls(factor, value_range=value_range, seed=seed, data_format="channels_last")
            for cls, factor in steps
            if factor is not None
        ]

    def augment(self, images):
        for step in self.steps:
            images = step.augment(images)
        return images

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": list(self.value_range),
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
        }
