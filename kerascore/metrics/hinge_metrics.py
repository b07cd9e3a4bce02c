"""Hinge metrics: hinge, squared hinge, categorical hinge."""

from kerascore.losses import (
    categorical_hinge,
    hinge,
    squared_hinge,
)
from kerascore.metrics.reduction_metrics import FixedMeanMetric
from kerascore.saving.serialization import (
    register_builtin,
)


@register_builtin(name="metrics.Hinge")
class Hinge(FixedMeanMetric):
    """Mean hinge loss."""

    _metric_fn = hinge

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.SquaredHinge")
class SquaredHinge(FixedMeanMetric):
    """Mean squared hinge loss."""

    _metric_fn = squared_hinge

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


@register_builtin(name="metrics.CategoricalHinge")
class CategoricalHinge(FixedMeanMetric):
    """Mean categorical hinge loss."""

    _metric_fn = categorical_hinge

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
