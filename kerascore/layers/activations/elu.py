"""`ELU`: exponential linear unit."""

from kerascore import activations
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import is_number


@register_builtin
class ELU(Layer):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: float, the scale of the negative part.

    Example:
        layers.ELU()(np.array([-1.0, 2.0]))  # [-0.632, 2.0]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if not is_number(alpha):
            raise ValueError(f"Expected a float for `alpha` of ELU. Received: alpha={alpha!r}")
        self.alpha = float(alpha)
        self.supports_masking = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
