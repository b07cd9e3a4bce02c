"""Metrics: stateful accumulators of a value over batches, as in Keras 3.

One module per family, as in Keras: `metric.py` (the base), `reduction_metrics.py`,
`accuracy_metrics.py`, `regression_metrics.py`, `hinge_metrics.py`, `probabilistic_metrics.py`,
`confusion_metrics.py`, `f_score_metrics.py`, `iou_metrics.py`, `correlation_metrics.py`. String
identifiers resolve through `get()` below.
"""

from kerascore.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from kerascore.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from kerascore.metrics.confusion_metrics import (
    AUC,
    NEG_INF,
    ConfusionMatrix,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SensitivitySpecificityBase,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    update_confusion_matrix_variables,
)
from kerascore.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from kerascore.metrics.f_score_metrics import F1Score, FBetaScore
from kerascore.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from kerascore.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerascore.metrics.metric import Metric
from kerascore.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from kerascore.metrics.reduction_metrics import (
    Mean,
    MeanMetricWrapper,
    Sum,
    reduce_to_samplewise_values,
)
from kerascore.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    cosine_similarity,
)
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    resolve_identifier,
    serialize_keras_object,
)
from kerascore.utils.naming import to_snake_case

__all__ = [
    "BinaryIoU",
    "ConcordanceCorrelation",
    "IoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SensitivitySpecificityBase",
    "SpecificityAtSensitivity",
    "concordance_correlation",
    "pearson_correlation",
    "ConfusionMatrix",
    "NEG_INF",
    "reduce_to_samplewise_values",
    "update_confusion_matrix_variables",
    "AUC",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "MeanIoU",
    "R2Score",
    "TrueNegatives",
    "TruePositives",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "Poisson",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]

for _fn in (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
):
    register_builtin(_fn)
register_builtin(cosine_similarity, name="metrics.cosine_similarity")

_CLASSES = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    FBetaScore,
    F1Score,
    R2Score,
    MeanIoU,
    IoU,
    BinaryIoU,
    OneHotIoU,
    OneHotMeanIoU,
    PearsonCorrelation,
    ConcordanceCorrelation,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)


def serialize(metric):
    """Returns the JSON-able config of a metric."""
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from `serialize`'s output or a name."""
    return deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns a metric from a name, a config, a `Metric` or a function.

    Names resolve to a new instance of the metric class (`"mse"` gives `MeanSquaredError()`,
    `"accuracy"` gives `Accuracy()`); functions and `Metric` objects are returned as is.

    Raises:
        ValueError: if `identifier` cannot be interpreted; the message lists valid names.
    """
    return resolve_identifier(
        identifier,
        "metric",
        ALL_OBJECTS_DICT,
        expected="a name, a config, a Metric or a function",
        hint=" Custom metrics can be passed as functions or Metric objects, or registered "
        "with @kerascore.saving.register_keras_serializable().",
    )
