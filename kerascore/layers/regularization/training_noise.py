"""`TrainingNoise`: the base of layers that act only in training."""

from kerascore.layers.layer import Layer


def check_rate(layer_name, rate):
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
        raise ValueError(
            f"Invalid value received for argument `rate` of {layer_name}: expected a float in "
            f"[0, 1). Received: rate={rate!r}"
        )
    return float(rate)


class TrainingNoise(Layer):
    """A layer that changes its inputs only in training; shape and mask pass through."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
