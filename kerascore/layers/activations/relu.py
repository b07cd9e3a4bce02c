"""`ReLU`: rectified linear unit with optional cap, leak and threshold."""

from kerascore import activations
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import check_non_negative


@register_builtin
class ReLU(Layer):
    """Rectified linear unit with optional cap, leak and threshold:
    `min(x, max_value)` for `x >= threshold`, `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: non-negative float cap of the output, or None for no cap.
        negative_slope: non-negative float, the slope below the threshold.
        threshold: non-negative float, the threshold.

    Example:
        layers.ReLU(max_value=6.0)(np.array([-1.0, 3.0, 9.0]))  # [0, 3, 6]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = check_non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = check_non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = check_non_negative("ReLU", "threshold", threshold)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }
