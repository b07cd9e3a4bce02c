"""`BaseCropping`: what the cropping layers share."""

from kerascore.layers.reshaping.base_spatial import SpatialLayer


class BaseCropping(SpatialLayer):
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
