"""`ActivityRegularization`: adds a penalty on its input to the loss."""

from kerascore import regularizers
from kerascore.layers.layer import Layer, add_activity_loss
from kerascore.saving.serialization import register_builtin


@register_builtin
class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x**2)`, divided by the
    batch size, to the model's loss.

    Args:
        l1: non-negative float, the L1 factor.
        l2: non-negative float, the L2 factor.

    Example:
        layer = keras.layers.ActivityRegularization(l1=0.01)
        layer(np.ones((2, 3))); layer.losses  # [0.03]
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(
                    f"Expected a non-negative float for `{name}` of ActivityRegularization. "
                    f"Received: {name}={value!r}"
                )
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)
        self.supports_masking = True

    def call(self, inputs):
        add_activity_loss(self, inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
