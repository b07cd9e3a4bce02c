"""Losses: functions and `Loss` classes, with the maths and reductions of Keras 3.

One module per family, as in Keras: `loss.py` (the base and the reductions),
`regression_losses.py`, `hinge_losses.py`, `probabilistic_losses.py`, `segmentation_losses.py`
(Dice, Tversky), `metric_learning_losses.py` (Circle, CTC). String identifiers
resolve through `get()` below.
"""

from kerascore.losses.hinge_losses import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from kerascore.losses.loss import (
    REDUCTIONS,
    Loss,
    LossFunctionWrapper,
    apply_mask,
    reduce_values,
    reduce_weighted_values,
    scale_loss_for_distribution,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
    unscale_loss_for_distribution,
)
from kerascore.losses.metric_learning_losses import CTC, Circle, circle, ctc
from kerascore.losses.probabilistic_losses import (
    BCE,
    KLD,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    bce,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    kl_divergence,
    kld,
    poisson,
    sparse_categorical_crossentropy,
)
from kerascore.losses.regression_losses import (
    MAE,
    MAPE,
    MSE,
    MSLE,
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
)
from kerascore.losses.segmentation_losses import Dice, Tversky, dice, tversky
from kerascore.saving.serialization import (
    deserialize_keras_object,
    resolve_identifier,
    serialize_keras_object,
)

__all__ = [
    "CTC",
    "CategoricalGeneralizedCrossEntropy",
    "Circle",
    "Dice",
    "Tversky",
    "categorical_generalized_cross_entropy",
    "circle",
    "ctc",
    "dice",
    "tversky",
    "BCE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLD",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "REDUCTIONS",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "apply_mask",
    "bce",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_values",
    "reduce_weighted_values",
    "scale_loss_for_distribution",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
    "unscale_loss_for_distribution",
    "ALL_OBJECTS_DICT",
    "deserialize",
    "get",
    "serialize",
]

_ALL = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    CTC,
    Dice,
    Tversky,
    Circle,
    CategoricalGeneralizedCrossEntropy,
    ctc,
    dice,
    tversky,
    circle,
    categorical_generalized_cross_entropy,
)
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in _ALL}
ALL_OBJECTS_DICT.update(
    {
        "bce": bce,
        "BCE": BCE,
        "kld": kld,
        "KLD": KLD,
        "mae": mae,
        "MAE": MAE,
        "mse": mse,
        "MSE": MSE,
        "mape": mape,
        "MAPE": MAPE,
        "msle": msle,
        "MSLE": MSLE,
    }
)


def serialize(loss):
    """Returns the JSON-able form of a loss function (its name) or `Loss` object (a config)."""
    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """Rebuilds a loss function or `Loss` object from `serialize`'s output."""
    return deserialize_keras_object(
        name, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT
    )


def get(identifier):
    """Returns a loss from a name, a config, a `Loss` or a callable.

    Snake-case names (`"mse"`, `"categorical_crossentropy"`) give the function; class names
    (`"MeanSquaredError"`) give a new instance with default arguments.

    Args:
        identifier: `None`, a name, a serialized config, a `Loss` class or instance, or a
            callable `fn(y_true, y_pred)`.

    Returns:
        A loss function or `Loss` instance, or `None`.

    Raises:
        ValueError: if `identifier` cannot be interpreted; the message lists valid names.
    """
    return resolve_identifier(
        identifier,
        "loss",
        ALL_OBJECTS_DICT,
        expected="a name, a config, a Loss or a callable",
        hint=" Custom losses can be passed as functions or Loss objects, or registered with "
        "@kerascore.saving.register_keras_serializable().",
    )
