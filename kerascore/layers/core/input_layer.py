"""`Input` and `InputLayer`: where a functional model's data enters."""

from kerascore import backend
from kerascore.layers.layer import Layer, standardize_shape
from kerascore.saving.serialization import register_builtin


@register_builtin
class InputLayer(Layer):
    """The layer behind `Input`: it has no weights and produces the model's input tensor.

    Args:
        shape: the shape of one sample, without the batch dimension.
        batch_size: an optional fixed batch size.
        dtype: the input dtype (`float32` by default).
        batch_shape: the full shape with the batch dimension, instead of `shape`.
        name: the input's name (used as the key for dict inputs).
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        input_tensor=None,
        name=None,
        **kwargs,
    ):
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("Sparse inputs are not supported by kerascore. Received: sparse=True")
        if shape is not None and batch_shape is not None:
            raise ValueError(
                "Pass either `shape` or `batch_shape` to Input, not both. "
                f"Received: shape={shape}, batch_shape={batch_shape}"
            )
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a `shape`, e.g. `keras.Input(shape=(64,))`.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *standardize_shape(shape))
        self.batch_shape = standardize_shape(batch_shape)
        self.built = True
        from kerascore.models.functional import KerasTensor

        self.output = KerasTensor(
            self.batch_shape, self.dtype, name=self.name, history=(self, 0, 0)
        )
        from kerascore.models.functional import Node

        self._inbound_nodes.append(Node(self, (), {}, self.output))

    @property
    def output_shape(self):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    batch_shape=None,
    name=None,
    tensor=None,
    optional=False,
):
    """Returns a symbolic input tensor to start a functional model with.

    Example:
        inputs = keras.Input(shape=(64,))
        outputs = keras.layers.Dense(10)(inputs)
        model = keras.Model(inputs, outputs)
    """
    if dtype is not None:
        dtype = backend.standardize_dtype(dtype)
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        name=name,
    )
    return layer.output
