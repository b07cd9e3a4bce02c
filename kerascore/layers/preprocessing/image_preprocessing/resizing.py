"""`Resizing`: resizes images to a fixed height and width."""

from kerascore.layers.layer import Layer
from kerascore.layers.preprocessing.image_preprocessing.image_utils import (
    check_image_rank,
    check_size,
    set_image_shape,
)
from kerascore.ops import image as image_ops
from kerascore.saving.serialization import register_builtin


@register_builtin
class Resizing(Layer):
    """Resizes images to `(height, width)`.

    Args:
        height, width: the output size.
        interpolation: `bilinear`, `nearest`, `bicubic`, `area`, `lanczos3` or `lanczos5`.
        crop_to_aspect_ratio: crop a centred box of the target aspect ratio first.
        pad_to_aspect_ratio: pad to the target aspect ratio first (with `fill_value`).
        fill_mode: only `"constant"`.
        fill_value: the padding value.
        antialias: filter when downsampling.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The same with the new height and width.
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_size(height, width)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Expected interpolation in {image_ops.RESIZE_INTERPOLATIONS}. Received: "
                f"interpolation={interpolation!r}"
            )
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = antialias
        self.data_format = image_ops.standardize_data_format(data_format)

    def call(self, inputs):
        check_image_rank(self, inputs)
        return image_ops.resize(
            inputs,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape):
        return set_image_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }
