"""Image files and arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img`.

As in Keras, images are PIL images and Pillow is optional: importing this module works
without it, and the functions that need it raise an `ImportError` that says so.
"""

import io
import pathlib
import warnings

import numpy as np

from kerascore.backend import floatx
from kerascore.utils.argument_validation import standardize_data_format

try:
    from PIL import Image as pil_image
except ImportError:
    pil_image = None

_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_PIL_MODES_FOR_CHANNELS = {3: "RGB", 4: "RGBA"}


def _require_pil(function_name):
    if pil_image is None:
        raise ImportError(
            f"`{function_name}` needs Pillow to read and write images; install it with "
            "`pip install pillow`."
        )


def _interpolations():
    resampling = pil_image.Resampling
    return {
        "nearest": resampling.NEAREST,
        "bilinear": resampling.BILINEAR,
        "bicubic": resampling.BICUBIC,
        "hamming": resampling.HAMMING,
        "box": resampling.BOX,
        "lanczos": resampling.LANCZOS,
    }


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts a 3D array to a PIL image.

    Args:
        x: one image, `(height, width, channels)` (or channels first), with 1, 3 or 4
            channels, in anything `np.asarray` reads.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        scale: whether to rescale the values so that they span `[0, 255]`.
        dtype: the dtype the array is read as; `floatx()` by default.

    Returns:
        A PIL image: mode `RGB`, `RGBA`, `L`, or `I` for one channel above 255.

    Raises:
        ImportError: without Pillow.
        ValueError: for an array not of rank 3, or with another number of channels.

    Example:
        >>> array_to_img(np.zeros((4, 5, 3))).size
        (5, 4)
    """
    _require_pil("array_to_img")
    data_format = standardize_data_format(data_format)
    x = np.asarray(x, dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected an image array of rank 3 (one image). Received: x.shape={x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels in _PIL_MODES_FOR_CHANNELS:
        return pil_image.fromarray(x.astype("uint8"), _PIL_MODES_FOR_CHANNELS[channels])
    if channels == 1:
        # Above 255 the values only fit PIL's 32-bit integer grayscale mode.
        if np.max(x) > 255:
            return pil_image.fromarray(x[:, :, 0].astype("int32"), "I")
        return pil_image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(
        f"Expected an image with 1, 3 or 4 channels. Received: {channels} channels "
        f"(x.shape={x.shape}, data_format={data_format!r})"
    )


def img_to_array(img, data_format=None, dtype=None):
    """Converts a PIL image (or anything `np.asarray` reads) to a 3D NumPy array.

    Args:
        img: the image.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dtype: the output dtype; `floatx()` by default.

    Returns:
        `(height, width, channels)` (or channels first); a grayscale image gets one channel.

    Raises:
        ValueError: for an image that is neither 2D nor 3D.

    Example:
        >>> img_to_array(array_to_img(np.zeros((4, 5, 3)))).shape
        (4, 5, 3)
    """
    data_format = standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[:, :, None]
    raise ValueError(f"Expected a 2D or 3D image. Received: shape={x.shape}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image array to a file.

    Args:
        path: a path or a file object.
        x: one image, as for `array_to_img`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        file_format: the format (`"png"`, `"jpeg"`, ...); by default the path's suffix. A
            file object needs it.
        scale: whether to rescale the values so that they span `[0, 255]`.
        **kwargs: passed to `PIL.Image.save`.

    Raises:
        ImportError: without Pillow.

    Example:
        >>> save_img("/tmp/black.png", np.zeros((4, 5, 3)))
    """
    data_format = standardize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Loads an image file as a PIL image.

    Args:
        path: a path (`str`, `bytes`, `pathlib.Path`) or an `io.BytesIO`.
        color_mode: `"grayscale"`, `"rgb"` (default) or `"rgba"`.
        target_size: None for the file's size, or `(height, width)`.
        interpolation: `"nearest"` (default), `"bilinear"`, `"bicubic"`, `"hamming"`,
            `"box"` or `"lanczos"`, used when resizing to `target_size`.
        keep_aspect_ratio: whether to crop the largest centred window of the target's
            aspect ratio before resizing, instead of distorting the image.

    Returns:
        A PIL image.

    Raises:
        ImportError: without Pillow.
        TypeError: for a `path` of another type.
        ValueError: for an unknown `color_mode` or `interpolation`.

    Example:
        >>> img_to_array(load_img("/tmp/black.png", target_size=(2, 3))).shape
        (2, 3, 3)
    """
    _require_pil("load_img")
    if isinstance(path, io.BytesIO):
        img = pil_image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as file:
            img = pil_image.open(io.BytesIO(file.read()))
    else:
        raise TypeError(
            f"Expected `path` to be a path or an io.BytesIO. Received: {type(path).__name__}"
        )
    if color_mode not in _COLOR_MODES:
        raise ValueError(
            f"Expected color_mode in {tuple(_COLOR_MODES)}. Received: color_mode={color_mode!r}"
        )
    # 16- and 32-bit grayscale images stay as they are, as in Keras.
    keeps_mode = color_mode == "grayscale" and img.mode in ("L", "I;16", "I")
    if not keeps_mode and img.mode != _COLOR_MODES[color_mode]:
        img = img.convert(_COLOR_MODES[color_mode])
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    methods = _interpolations()
    if interpolation not in methods:
        raise ValueError(
            f"Expected interpolation in {tuple(methods)}. Received: interpolation={interpolation!r}"
        )
    if not keep_aspect_ratio:
        return img.resize(width_height, methods[interpolation])
    width, height = img.size
    target_width, target_height = width_height
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    box = (left, top, left + crop_width, top + crop_height)
    return img.resize(width_height, methods[interpolation], box=box)
