"""Checks and shape helpers shared by the image preprocessing layers."""

import tensorflow as tf

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


_INTERPOLATIONS = ("nearest", "bilinear")


def spatial_axes(rank, data_format):
    """The (height, width) axes of a rank-3 or rank-4 image tensor."""
    if data_format == "channels_first":
        return rank - 2, rank - 1
    return rank - 3, rank - 2


def set_image_shape(shape, data_format, height, width):
    shape = list(shape)
    h_axis, w_axis = spatial_axes(len(shape), data_format)
    shape[h_axis], shape[w_axis] = height, width
    return tuple(shape)


def check_size(height, width):
    for name, value in (("height", height), ("width", width)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"Expected a positive int for `{name}`. Received: {name}={value!r}")


def check_image_rank(layer, inputs):
    if inputs.shape.rank not in (3, 4):
        raise ValueError(
            f"Layer '{layer.name}' expects images of rank 3 (one image) or 4 (a batch). "
            f"Received: inputs.shape={tuple(inputs.shape)}"
        )


def check_fill(fill_mode, interpolation):
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"Expected fill_mode in {_FILL_MODES}. Received: fill_mode={fill_mode!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Expected interpolation in {_INTERPOLATIONS}. Received: "
            f"interpolation={interpolation!r}"
        )


def factor_range(factor, name, symmetric=True, bound=None):
    """`factor` as a `(lower, upper)` pair; a number `f` means `(-f, f)` (or `(0, f)`)."""
    message = (
        f"Expected `{name}` to be a number or a pair of numbers"
        + (f" with magnitude at most {bound}" if bound else "")
        + f". Received: {name}={factor!r}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
            raise ValueError(message)
        lower, upper = sorted(float(f) for f in factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        lower, upper = (
            (-abs(float(factor)), abs(float(factor))) if symmetric else (0.0, abs(float(factor)))
        )
    else:
        raise ValueError(message)
    if bound is not None and (abs(lower) > bound or abs(upper) > bound):
        raise ValueError(message)
    return lower, upper


def batch_height_width(images):
    """The batch size, and the height and width as floats, of `(batch, h, w, c)` images."""
    shape = tf.shape(images)
    return shape[0], tf.cast(shape[1], "float32"), tf.cast(shape[2], "float32")
