"""`InputSpec`: what a layer accepts (rank, fixed axes), checked on every call."""


class InputSpec:
    """Describes what a layer accepts: rank (`ndim`, `min_ndim`, `max_ndim`) and fixed axes.

    Args:
        dtype: expected dtype, or None.
        shape: full shape with None for free dimensions, or None.
        ndim: exact rank, or None.
        max_ndim: maximal rank, or None.
        min_ndim: minimal rank, or None.
        axes: dict mapping an axis (may be negative) to its required size.
    """

    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name
        self.optional = optional

    def check(self, layer_name, shape, input_index=0):
        rank = len(shape)
        where = f"Input {input_index} of layer '{layer_name}' is incompatible with the layer"
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(
                f"{where}: expected ndim={self.ndim}, found ndim={rank}. "
                f"Full shape received: {tuple(shape)}"
            )
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={self.min_ndim}, found ndim={rank}. "
                f"Full shape received: {tuple(shape)}"
            )
        if self.max_ndim is not None and rank > self.max_ndim:
            raise ValueError(
                f"{where}: expected max_ndim={self.max_ndim}, found ndim={rank}. "
                f"Full shape received: {tuple(shape)}"
            )
        for axis, size in self.axes.items():
            actual = shape[axis] if -rank <= axis < rank else None
            if size is not None and actual is not None and actual != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value {size}, but "
                    f"received input with shape {tuple(shape)}"
                )
        if self.shape is not None:
            for expected, actual in zip(self.shape, shape):
                if expected is not None and actual is not None and expected != actual:
                    raise ValueError(
                        f"{where}: expected shape={self.shape}, found shape={tuple(shape)}"
                    )
