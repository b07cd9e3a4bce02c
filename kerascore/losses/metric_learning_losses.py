"""Losses on embeddings and sequences: Circle (metric learning) and CTC; functions and classes."""

import tensorflow as tf

from kerascore.losses.loss import NamedLossWrapper
from kerascore.saving.serialization import register_builtin


def build_pos_neg_masks(query_labels, key_labels, remove_diagonal=True):
    """Returns boolean `(positive, negative)` masks of same-label and other-label pairs.

    Args:
        query_labels: Integer labels, `(n,)` or `(n, 1)`.
        key_labels: Integer labels, `(m,)` or `(m, 1)`.
        remove_diagonal: Whether pair `(i, i)` is left out of the positives.
    """
    query_labels = tf.reshape(query_labels, (-1, 1))
    key_labels = tf.reshape(key_labels, (-1, 1))
    positive_mask = tf.equal(query_labels, tf.transpose(key_labels))
    negative_mask = tf.logical_not(positive_mask)
    if remove_diagonal:
        diagonal = tf.cast(tf.eye(tf.size(query_labels), tf.size(key_labels)), "bool")
        positive_mask = tf.logical_and(positive_mask, tf.logical_not(diagonal))
    return positive_mask, negative_mask


@register_builtin
def circle(
    y_true,
    y_pred,
    ref_labels=None,
    ref_embeddings=None,
    remove_diagonal=True,
    gamma=80,
    margin=0.4,
):
    """Circle loss between integer labels and L2-normalised embeddings (Sun et al., 2020).

    Args:
        y_true: Integer labels, `(batch_size,)`.
        y_pred: L2-normalised embeddings, `(batch_size, dim)`.
        ref_labels: Labels of the reference embeddings; defaults to `y_true`.
        ref_embeddings: Reference embeddings; defaults to `y_pred`.
        remove_diagonal: Whether self-similarities are left out of the positives.
        gamma: Scale of the similarity scores.
        margin: Relaxation margin.

    Returns:
        Per-sample losses, masked to the samples with a positive loss.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, "int32")
    ref_embeddings = y_pred if ref_embeddings is None else tf.convert_to_tensor(ref_embeddings)
    ref_labels = y_true if ref_labels is None else tf.cast(ref_labels, "int32")

    optim_pos, optim_neg = margin, 1 + margin
    delta_pos, delta_neg = margin, 1 - margin
    distances = tf.maximum(1 - tf.matmul(y_pred, ref_embeddings, transpose_b=True), 0.0)
    positive_mask, negative_mask = build_pos_neg_masks(y_true, ref_labels, remove_diagonal)

    pos_weights = tf.maximum((optim_pos + distances) * tf.cast(positive_mask, distances.dtype), 0.0)
    neg_weights = tf.maximum((optim_neg - distances) * tf.cast(negative_mask, distances.dtype), 0.0)
    pos_scores = -1 * gamma * pos_weights * (delta_pos - distances)
    neg_scores = gamma * neg_weights * (delta_neg - distances)
    minus_infinity = tf.constant(float("-inf"), distances.dtype)
    p_loss = tf.reduce_logsumexp(tf.where(positive_mask, pos_scores, minus_infinity), axis=1)
    n_loss = tf.reduce_logsumexp(tf.where(negative_mask, neg_scores, minus_infinity), axis=1)
    circle_loss = tf.math.softplus(p_loss + n_loss)
    circle_loss._keras_mask = circle_loss > 0
    return circle_loss


@register_builtin
def ctc(y_true, y_pred):
    """CTC loss with class 0 as the blank, lengths taken from the non-zero labels.

    Args:
        y_true: Integer labels, `(batch_size, max_length)`; `0` pads.
        y_pred: Logits, `(batch_size, max_time, num_classes)`, not softmax-normalised.

    Returns:
        Per-sample losses, `(batch_size,)`.

    Raises:
        ValueError: if `y_true` is not rank 2 or `y_pred` not rank 3.
    """
    # ops.nn imports the losses package, so the op is looked up when first used.
    from kerascore.ops.nn import ctc_loss

    y_true = tf.convert_to_tensor(y_true)
    y_pred = tf.convert_to_tensor(y_pred)
    if len(y_true.shape) != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={y_true.shape}"
        )
    if len(y_pred.shape) != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={y_pred.shape}"
        )
    shape = tf.shape(y_pred)
    input_length = shape[1] * tf.ones((shape[0],), dtype="int32")
    label_length = tf.reduce_sum(tf.cast(tf.not_equal(y_true, 0), "int32"), axis=-1)
    return ctc_loss(y_true, y_pred, label_length, input_length, mask_index=0)


@register_builtin
class Circle(NamedLossWrapper):
    """Circle loss between integer labels and L2-normalised embeddings.

    The model should end in a `Dense` layer without activation followed by
    `UnitNormalization`.

    Args:
        gamma: Scale of the similarity scores.
        margin: Relaxation margin: below it negatives weigh more and positives less.
        remove_diagonal: Whether self-similarities are left out of the positives.
        reduction: See `Loss`.
        name: Name of the loss.
        dtype: See `Loss`.
    """

    _fn = circle
    _config_keys = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction="sum_over_batch_size",
        name="circle",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )


@register_builtin
class CTC(NamedLossWrapper):
    """Connectionist temporal classification loss; see `ctc`.

    Args:
        reduction: See `Loss`.
        name: Name of the loss.
        dtype: See `Loss`.
    """

    _fn = ctc

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
