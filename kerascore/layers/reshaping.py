"""Reshaping layers: Permute, RepeatVector, Cropping1D/2D/3D, ZeroPadding1D/2D/3D and
UpSampling1D/2D/3D. (Flatten and Reshape live in `core`.)"""

__all__ = [
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Permute",
    "RepeatVector",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]

import numpy as np
import tensorflow as tf

from kerascore.layers.conv import (
    standardize_data_format,
    standardize_tuple,
    to_channels_first,
    to_channels_last,
)
from kerascore.models.layer import InputSpec, Layer
from kerascore.saving.serialization import register_builtin


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_positive_int(argument, value):
    if not _is_int(value) or value <= 0:
        raise ValueError(
            f"Argument `{argument}` should be a positive integer. Received: {argument}={value!r}"
        )
    return int(value)


@register_builtin
class Permute(Layer):
    """Permutes the non-batch axes of the input.

    Args:
        dims: tuple of ints, a permutation of `1..rank-1` (the batch axis 0 stays in place).

    Example:
        layers.Permute((2, 1))(np.ones((4, 10, 64))).shape  # (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            dims = None
        if (
            dims is None
            or not all(_is_int(d) for d in dims)
            or sorted(dims) != list(range(1, len(dims) + 1))
        ):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received: dims={dims!r}"
            )
        self.dims = tuple(int(d) for d in dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return tf.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


@register_builtin
class RepeatVector(Layer):
    """Repeats a `(batch, features)` input `n` times: output `(batch, n, features)`.

    Args:
        n: positive int, the number of repetitions.

    Example:
        layers.RepeatVector(3)(np.ones((2, 4))).shape  # (2, 3, 4)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _check_positive_int("n", n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return tf.repeat(tf.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _standardize_pairs(value, rank, name):
    """Returns `value` as `rank` (before, after) pairs of non-negative ints."""
    if _is_int(value):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}")
        return ((int(value), int(value)),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(
            f"`{name}` should be an int or a tuple of {rank} ints or pairs of ints. "
            f"Received: {name}={value!r}"
        )
    ordinals = ("1st", "2nd", "3rd")
    return tuple(
        standardize_tuple(entry, 2, f"{ordinals[i]} entry of {name}", allow_zero=True)
        for i, entry in enumerate(value)
    )


class _SpatialLayer(Layer):
    """Base of the layers acting on the `rank` spatial axes of a channels-last/-first input."""

    def __init__(self, rank, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))

    def _standardize_margins(self, value, name):
        """Returns `value` as stored in the config (one pair in 1D, else a pair per axis)
        and as a (before, after) pair per spatial axis."""
        if self.rank == 1:
            pair = standardize_tuple(value, 2, name, allow_zero=True)
            return pair, (pair,)
        pairs = _standardize_pairs(value, self.rank, name)
        return pairs, pairs


class _Cropping(_SpatialLayer):
    """Removes `cropping` (before, after) entries along each spatial axis."""

    def __init__(self, rank, cropping, data_format=None, **kwargs):
        super().__init__(rank, data_format, **kwargs)
        self.cropping, self._pairs = self._standardize_margins(cropping, "cropping")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        slices = [slice(None)] * inputs.shape.rank
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs):
            slices[axis] = slice(before, -after if after else None)
        return inputs[tuple(slices)]

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs):
            if output[axis] is not None:
                if before + after >= output[axis]:
                    raise ValueError(
                        f"Values in `cropping` argument should be smaller than the "
                        f"corresponding spatial dimension of the input. Received: "
                        f"input_shape={tuple(input_shape)}, cropping={self.cropping}"
                    )
                output[axis] -= before + after
        return tuple(output)

    def get_config(self):
        config = {**super().get_config(), "cropping": self.cropping}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


@register_builtin
class Cropping1D(_Cropping):
    """Crops along the steps axis of `(batch, steps, features)` inputs.

    Args:
        cropping: int or pair of ints, how many steps to remove at the start and the end.

    Example:
        layers.Cropping1D((1, 2))(np.ones((2, 6, 3))).shape  # (2, 3, 3)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(1, cropping, **kwargs)


@register_builtin
class Cropping2D(_Cropping):
    """Crops rows and columns of images.

    Args:
        cropping: int, pair of ints (symmetric rows, cols) or pair of pairs
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.Cropping2D(((1, 1), (2, 0)))(np.ones((2, 6, 6, 3))).shape  # (2, 4, 4, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(2, cropping, data_format, **kwargs)


@register_builtin
class Cropping3D(_Cropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: int, triple of ints or triple of (before, after) pairs.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.Cropping3D(1)(np.ones((2, 4, 4, 4, 1))).shape  # (2, 2, 2, 2, 1)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, cropping, data_format, **kwargs)


class _ZeroPadding(_SpatialLayer):
    """Adds `padding` (before, after) zeros along each spatial axis."""

    def __init__(self, rank, padding, data_format=None, **kwargs):
        super().__init__(rank, data_format, **kwargs)
        self.padding, self._pairs = self._standardize_margins(padding, "padding")

    def call(self, inputs):
        paddings = [[0, 0]] * inputs.shape.rank
        for axis, pair in zip(self._spatial_axes(), self._pairs):
            paddings[axis] = list(pair)
        return tf.pad(inputs, paddings)

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self._pairs):
            if output[axis] is not None:
                output[axis] += before + after
        return tuple(output)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


@register_builtin
class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis with zeros.

    Args:
        padding: int or pair of ints, zeros to add at the start and the end.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.ZeroPadding1D(2)(np.ones((2, 3, 4))).shape  # (2, 7, 4)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(1, padding, data_format, **kwargs)


@register_builtin
class ZeroPadding2D(_ZeroPadding):
    """Pads rows and columns of images with zeros.

    Args:
        padding: int, pair of ints (symmetric rows, cols) or pair of pairs
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.ZeroPadding2D(1)(np.ones((2, 3, 3, 1))).shape  # (2, 5, 5, 1)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(2, padding, data_format, **kwargs)


@register_builtin
class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes of volumes with zeros.

    Args:
        padding: int, triple of ints or triple of (before, after) pairs.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.ZeroPadding3D(1)(np.ones((2, 2, 2, 2, 1))).shape  # (2, 4, 4, 4, 1)
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, padding, data_format, **kwargs)


_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


class _UpSampling(_SpatialLayer):
    """Repeats (or interpolates) each spatial axis by its factor in `size`."""

    def __init__(self, rank, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(rank, data_format, **kwargs)
        self.size = standardize_tuple(size, rank, "size")
        interpolation = interpolation.lower() if isinstance(interpolation, str) else None
        if interpolation not in _INTERPOLATIONS or (rank != 2 and interpolation != "nearest"):
            allowed = _INTERPOLATIONS if rank == 2 else ("nearest",)
            raise ValueError(
                f"Expected `interpolation` to be one of {allowed}. Received: "
                f"interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "nearest":
            for axis, factor in zip(self._spatial_axes(), self.size):
                inputs = tf.repeat(inputs, factor, axis=axis)
            return inputs
        if self.data_format == "channels_first":
            inputs = to_channels_last(inputs)
        shape = tf.shape(inputs)
        outputs = tf.image.resize(
            inputs,
            (shape[1] * self.size[0], shape[2] * self.size[1]),
            method=self.interpolation,
        )
        outputs = tf.cast(outputs, inputs.dtype)
        if self.data_format == "channels_first":
            outputs = to_channels_first(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            if output[axis] is not None:
                output[axis] *= factor
        return tuple(output)

    def get_config(self):
        config = {**super().get_config(), "size": self.size}
        if self.rank == 1:
            config["size"] = self.size[0]
            return config
        config["data_format"] = self.data_format
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config


@register_builtin
class UpSampling1D(_UpSampling):
    """Repeats each step `size` times: `(batch, steps, features)` → `(batch, steps * size,
    features)`.

    Args:
        size: positive int, the upsampling factor.

    Example:
        layers.UpSampling1D(2)(np.ones((2, 3, 4))).shape  # (2, 6, 4)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(1, _check_positive_int("size", size), **kwargs)


@register_builtin
class UpSampling2D(_UpSampling):
    """Upsamples images by `size` along rows and columns.

    Args:
        size: int or pair of ints, the factors for rows and columns.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        interpolation: `"nearest"` (repeat) or one of `"bilinear"`, `"bicubic"`,
            `"lanczos3"`, `"lanczos5"`, `"area"` (resizing as `tf.image.resize`).

    Example:
        layers.UpSampling2D(2, interpolation="bilinear")(np.ones((2, 3, 3, 1))).shape
        # (2, 6, 6, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(2, size, data_format, interpolation, **kwargs)


@register_builtin
class UpSampling3D(_UpSampling):
    """Upsamples volumes by repeating along the three spatial axes.

    Args:
        size: int or triple of ints, the factors.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        layers.UpSampling3D(2)(np.ones((1, 2, 2, 2, 1))).shape  # (1, 4, 4, 4, 1)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(3, size, data_format, **kwargs)
