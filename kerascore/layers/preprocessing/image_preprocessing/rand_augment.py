"""`RandAugment`: applies randomly chosen augmentations in training."""

import tensorflow as tf

from kerascore import random
from kerascore.layers.preprocessing.image_preprocessing.augmentation_ops import (
    COLOR,
    GEOMETRIC_AND_TONAL,
    apply_operation,
    build_augmentation_ops,
)
from kerascore.layers.preprocessing.image_preprocessing.augmentation_utils import (
    check_value_range,
    probability_range,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import check_fill
from kerascore.saving.serialization import register_builtin


@register_builtin
class RandAugment(BaseRandomImageLayer):
    """RandAugment (Cubuk et al., 2019): `num_ops` times, one operation drawn from
    shear, translation, rotation, brightness, color degeneration, contrast, sharpness,
    posterization, solarization, auto-contrast and equalization is applied to the batch, each
    of strength `factor` (Keras 3's list and strengths).

    Args:
        value_range: the `(min, max)` range of the pixel values.
        num_ops: how many operations to apply, an int >= 0.
        factor: the strength, a number in [0, 1] (`(0, factor)`) or a pair.
        interpolation: `"bilinear"` or `"nearest"` for the geometric operations.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        value_range = check_value_range(value_range)
        factor = probability_range(factor)
        check_fill("reflect", interpolation)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"Expected `num_ops` to be an int >= 0. Received: num_ops={num_ops!r}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self.factor = factor
        self.interpolation = interpolation
        names = GEOMETRIC_AND_TONAL[:3] + COLOR + GEOMETRIC_AND_TONAL[3:]
        self.operations = build_augmentation_ops(names, factor, value_range, interpolation, seed)

    def augment(self, images):
        operations = list(self.operations.values())
        for _ in range(self.num_ops):
            choice = random.randint((), 0, len(operations), seed=self.generator)
            branches = [(lambda op=op, x=images: apply_operation(op, x)) for op in operations]
            images = tf.ensure_shape(tf.switch_case(choice, branches), images.shape)
        return images

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": list(self.value_range),
            "num_ops": self.num_ops,
            "factor": list(self.factor),
            "interpolation": self.interpolation,
        }
