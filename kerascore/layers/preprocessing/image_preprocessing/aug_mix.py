"""`AugMix`: mixes several chains of random augmentations with the image, in training."""

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
    sample_beta,
)
from kerascore.layers.preprocessing.image_preprocessing.base_random_image_layer import (
    BaseRandomImageLayer,
)
from kerascore.layers.preprocessing.image_preprocessing.image_utils import check_fill
from kerascore.saving.serialization import register_builtin


@register_builtin
class AugMix(BaseRandomImageLayer):
    """AugMix (Hendrycks et al., 2020): `num_chains` chains of up to `chain_depth` random
    operations each are mixed with Dirichlet(`alpha`) weights, then the mix is blended with
    the original image by a Beta(`alpha`, `alpha`) weight.

    Operations: shear, translation, rotation, posterization, solarization, auto-contrast,
    equalization and, with `all_ops`, brightness, color degeneration, contrast, sharpness.

    Args:
        value_range: the `(min, max)` range of the pixel values.
        num_chains: the number of chains, an int >= 1.
        chain_depth: the most operations per chain (each step may also do nothing).
        factor: the operations' strength, a number in [0, 1] (`(0, factor)`) or a pair.
        alpha: the Dirichlet and Beta concentration, > 0.
        all_ops: whether to include the color operations.
        interpolation: `"bilinear"` or `"nearest"`.
        seed: an int for reproducible draws.
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        value_range = check_value_range(value_range)
        factor = probability_range(factor)
        check_fill("reflect", interpolation)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected `{name}` to be an int >= 1. Received: {name}={value!r}")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"Expected `alpha` > 0. Received: alpha={alpha!r}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = factor
        self.alpha = float(alpha)
        self.all_ops = bool(all_ops)
        self.interpolation = interpolation
        names = GEOMETRIC_AND_TONAL + (COLOR if self.all_ops else ())
        self.operations = build_augmentation_ops(names, factor, value_range, interpolation, seed)

    def augment(self, images):
        operations = list(self.operations.values())
        concentrations = random.gamma((self.num_chains,), self.alpha, seed=self.generator)
        chain_weights = tf.cast(concentrations / tf.reduce_sum(concentrations), images.dtype)
        original_weight = sample_beta((), self.alpha, self.alpha, self.generator, images.dtype)
        mixed = tf.zeros_like(images)
        for chain in range(self.num_chains):
            chained = images
            for _ in range(self.chain_depth):
                # The last choice, one past the operations, leaves this step out.
                choice = random.randint((), 0, len(operations) + 1, seed=self.generator)
                branches = [(lambda op=op, x=chained: apply_operation(op, x)) for op in operations]
                branches.append(lambda x=chained: x)
                chained = tf.ensure_shape(tf.switch_case(choice, branches), images.shape)
            mixed += chain_weights[chain] * chained
        outputs = original_weight * images + (1.0 - original_weight) * mixed
        return tf.clip_by_value(outputs, *self.value_range)

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": list(self.value_range),
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": list(self.factor),
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
        }
