"""`SpatialLayer`: what cropping, padding and upsampling share."""

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.utils.argument_validation import is_int, standardize_data_format, standardize_tuple


def standardize_pairs(value, rank, name):
    """Returns `value` as `rank` (before, after) pairs of non-negative ints."""
    if is_int(value):
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


class SpatialLayer(Layer):
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
        pairs = standardize_pairs(value, self.rank, name)
        return pairs, pairs
