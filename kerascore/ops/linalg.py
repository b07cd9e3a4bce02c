"""Linear algebra ops (`keras.ops.linalg`)."""

import numpy as np
import tensorflow as tf

from kerascore.ops.core import _convert
from kerascore.ops.dtypes import result_type
from kerascore.ops.math import norm
from kerascore.ops.symbolic import op


def _float(x):
    x = _convert(x)
    return tf.cast(x, result_type(x.dtype, float))


@op("cholesky")
def cholesky(x, upper=False):
    """Cholesky factor of symmetric positive-definite matrices (lower unless `upper`)."""
    factor = tf.linalg.cholesky(_float(x))
    return tf.linalg.adjoint(factor) if upper else factor


@op("det")
def det(x):
    """Determinant of square matrices."""
    return tf.linalg.det(_float(x))


@op("inv")
def inv(x):
    """Inverse of square matrices."""
    return tf.linalg.inv(_float(x))


@op("solve")
def solve(a, b):
    """Solves `a @ x = b` for `x`."""
    a = _float(a)
    b = _convert(b, a.dtype)
    vector = b.shape.rank == a.shape.rank - 1
    if vector:
        b = b[..., None]
    x = tf.linalg.solve(a, b)
    return x[..., 0] if vector else x


@op("solve_triangular")
def solve_triangular(a, b, lower=False):
    """Solves `a @ x = b` for triangular `a`."""
    a = _float(a)
    b = _convert(b, a.dtype)
    vector = b.shape.rank == a.shape.rank - 1
    if vector:
        b = b[..., None]
    x = tf.linalg.triangular_solve(a, b, lower=lower)
    return x[..., 0] if vector else x


@op("qr")
def qr(x, mode="reduced"):
    """QR decomposition; `mode` is `"reduced"` or `"complete"`. Returns `(q, r)`."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"Expected mode 'reduced' or 'complete'. Received: mode={mode!r}")
    q, r = tf.linalg.qr(_float(x), full_matrices=mode == "complete")
    return q, r


@op("svd")
def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition `x = u @ diag(s) @ vh`. Returns `(u, s, vh)` or `s`."""
    x = _float(x)
    if not compute_uv:
        return tf.linalg.svd(x, compute_uv=False)
    s, u, v = tf.linalg.svd(x, full_matrices=full_matrices)
    return u, s, tf.linalg.adjoint(v)


@op("eigh")
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices."""
    values, vectors = tf.linalg.eigh(_float(x))
    return values, vectors


@op("pinv")
def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse, singular values below `rcond * largest` dropped."""
    return tf.linalg.pinv(_float(x), rcond=rcond)


@op("matrix_rank")
def matrix_rank(x, tol=None):
    """Rank of matrices: the number of singular values above `tol` (a default when None)."""
    return tf.linalg.matrix_rank(_float(x), tol=tol)


@op("lstsq")
def lstsq(a, b, rcond=None):
    """Least-squares solution of `a @ x = b` for a 2-D `a` and a 1-D or 2-D `b`.

    Singular values below `rcond * largest` are treated as zero (`rcond` defaults to
    machine epsilon times the larger dimension).

    Raises:
        ValueError: if the leading dimensions differ or the ranks are wrong.
    """
    a = _float(a)
    b = _convert(b, a.dtype)
    if a.shape.rank != 2 or b.shape.rank not in (1, 2):
        raise ValueError(
            "`lstsq` expects a 2-D `a` and a 1-D or 2-D `b`. Received: "
            f"a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}"
        )
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            "The leading dimensions of `a` and `b` must match. Received: "
            f"a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}"
        )
    vector = b.shape.rank == 1
    if vector:
        b = b[:, None]
    m, n = a.shape
    if rcond is None:
        rcond = np.finfo(a.dtype.as_numpy_dtype).eps * max(m, n)
    elif rcond < 0:
        rcond = np.finfo(a.dtype.as_numpy_dtype).eps
    s, u, v = tf.linalg.svd(a, full_matrices=False)
    keep = s >= tf.cast(rcond, s.dtype) * s[0]
    inverse_s = tf.where(keep, 1 / tf.where(keep, s, tf.ones_like(s)), tf.zeros_like(s))
    x = tf.matmul(v, inverse_s[:, None] * tf.matmul(u, b, adjoint_a=True))
    return tf.reshape(x, [-1]) if vector else x


@op("lu_factor")
def lu_factor(x):
    """LU factorisation with partial pivoting.

    Returns:
        A tuple `(lu, pivots)`: `L` (unit diagonal implied) and `U` packed in one matrix, and
        the row permutation as Keras 3 returns it on TensorFlow (the inverse of the
        permutation of `tf.linalg.lu`).
    """
    lu, permutation = tf.linalg.lu(_float(x))
    return lu, tf.math.invert_permutation(permutation)


@op("eig")
def eig(x):
    """Eigenvalues and eigenvectors of general square matrices (complex results).

    Returns:
        A tuple `(eigenvalues, eigenvectors)`, complex tensors.
    """
    return tf.linalg.eig(_float(x))


@op("cholesky_inverse")
def cholesky_inverse(x, upper=False):
    """Inverse of a matrix from its Cholesky factor `x` (lower unless `upper`)."""
    x = _float(x)
    identity = tf.eye(tf.shape(x)[-1], dtype=x.dtype)
    inverse_factor = tf.linalg.triangular_solve(x, identity, lower=not upper)
    if upper:
        return tf.matmul(inverse_factor, inverse_factor, transpose_b=True)
    return tf.matmul(inverse_factor, inverse_factor, transpose_a=True)


def jvp(fun, primals, tangents, has_aux=False):
    """Jacobian-vector product of `fun` at `primals` along `tangents` (forward mode).

    Args:
        fun: a function of the primals.
        primals: a tuple or list of the inputs of `fun`.
        tangents: a structure like `primals`, the direction.
        has_aux: whether `fun` returns `(output, aux)`.

    Returns:
        `(outputs, output_tangents)`, plus `aux` when `has_aux`.
    """
    primal_flat = [_convert(p) for p in tf.nest.flatten(primals)]
    tangent_flat = [
        tf.cast(t, p.dtype) for t, p in zip(tf.nest.flatten(tangents), primal_flat, strict=True)
    ]
    primals = tf.nest.pack_sequence_as(primals, primal_flat)
    with tf.autodiff.ForwardAccumulator(primal_flat, tangent_flat) as accumulator:
        if has_aux:
            outputs, aux = fun(*primals)
        else:
            outputs = fun(*primals)
        output_tangents = [
            accumulator.jvp(output, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            for output in tf.nest.flatten(outputs)
        ]
    output_tangents = tf.nest.pack_sequence_as(outputs, output_tangents)
    if has_aux:
        return outputs, output_tangents, aux
    return outputs, output_tangents


__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]
