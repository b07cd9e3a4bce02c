"""Array helpers: one-hot encoding of class labels and vector normalization."""

import numpy as np
import tensorflow as tf

from kerascore import backend


def to_categorical(x, num_classes=None):
    """Converts a class vector (integers) to a binary class matrix (one-hot).

    A trailing axis of size 1 is dropped first, so labels of shape `(n, 1)` give `(n, C)`.

    Args:
        x: Array-like of non-negative integer class labels, or a `tf.Tensor`.
        num_classes: Total number of classes. Defaults to `max(x) + 1`.

    Returns:
        A float array (`floatx()`) of shape `x.shape + (num_classes,)`; a tensor if `x` was one.

    Raises:
        ValueError: if a label is negative, not below `num_classes`, or not an integer.

    Example:

    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    if tf.is_tensor(x):
        x = tf.cast(x, "int64")
        if x.shape.rank and x.shape.rank > 1 and x.shape[-1] == 1:
            x = tf.squeeze(x, axis=-1)
        if num_classes is None:
            num_classes = int(tf.reduce_max(x)) + 1
        return tf.one_hot(x, int(num_classes), dtype=backend.floatx())
    labels = np.asarray(x)
    if labels.size and not np.all(np.equal(np.mod(labels, 1), 0)):
        raise ValueError(f"Expected integer class labels. Received non-integer values in x={x!r}")
    labels = labels.astype("int64")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    num_classes = int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(
            f"Expected class labels in [0, {num_classes}) for num_classes={num_classes}. "
            f"Received label {int(bad)}. Pass a larger num_classes or fix the labels."
        )
    categorical = np.zeros((labels.shape[0], num_classes), dtype=backend.floatx())
    categorical[np.arange(labels.shape[0]), labels] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit `order`-norm along `axis`; zero vectors stay zero.

    Args:
        x: A NumPy array or a tensor.
        axis: Axis along which to normalize.
        order: Order of the norm (2 for L2).

    Returns:
        The normalized array, of the same kind as `x`.
    """
    if tf.is_tensor(x):
        norm = tf.norm(x, ord=order, axis=axis, keepdims=True)
        return x / tf.where(norm == 0, tf.ones_like(norm), norm)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis, keepdims=True))
    norm[norm == 0] = 1
    return x / norm
