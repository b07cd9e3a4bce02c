"""Probabilistic metrics: crossentropies, KL divergence, Poisson."""

from kerascore.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from kerascore.metrics.reduction_metrics import FixedMeanMetric
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin(name="metrics.KLDivergence")
class KLDivergence(FixedMeanMetric):
    """Mean Kullback-Leibler divergence."""

    _metric_fn = kl_divergence

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.Poisson")
class Poisson(FixedMeanMetric):
    """Mean Poisson loss."""

    _metric_fn = poisson

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.BinaryCrossentropy")
class BinaryCrossentropy(FixedMeanMetric):
    """Mean binary crossentropy.

    Args:
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`.
    """

    _metric_fn = binary_crossentropy
    _config_keys = ("from_logits", "label_smoothing")

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )


@register_builtin(name="metrics.CategoricalCrossentropy")
class CategoricalCrossentropy(FixedMeanMetric):
    """Mean categorical crossentropy.

    Args:
        from_logits: Whether predictions are logits.
        label_smoothing: In `[0, 1]`.
        axis: The class axis.
    """

    _metric_fn = categorical_crossentropy
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@register_builtin(name="metrics.SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(FixedMeanMetric):
    """Mean sparse categorical crossentropy.

    Args:
        from_logits: Whether predictions are logits.
        ignore_class: Optional class index left out of the metric.
        axis: The class axis.
    """

    _metric_fn = sparse_categorical_crossentropy
    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )
