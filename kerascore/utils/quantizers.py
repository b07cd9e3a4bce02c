"""`Quantizer`: the base class of Keras 3 quantizers."""


class Quantizer:
    """Base class of quantizers: callables that map a tensor to a lower-precision one.

    Subclasses override `__call__` (the base class returns its input unchanged, as Keras's
    does) and `get_config`.

    Args:
        output_dtype: the dtype of the quantized output, `"int8"` by default.
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        """Returns the quantized `x`; the base class returns `x` itself."""
        return x

    @classmethod
    def from_config(cls, config):
        """Creates a quantizer from `get_config`'s output."""
        return cls(**config)

    def get_config(self):
        """Returns the quantizer's constructor arguments; subclasses must implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")
