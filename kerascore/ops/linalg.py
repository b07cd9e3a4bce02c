"""Linear algebra ops (`keras.ops.linalg`)."""

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


__all__ = ["cholesky", "det", "eigh", "inv", "norm", "qr", "solve", "solve_triangular", "svd"]
