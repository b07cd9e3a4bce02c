"""`keras.ops`: NumPy-style, math, linear algebra and neural-network functions on tensors.

Every function also accepts the symbolic tensors of a functional model
(`keras.Input(...)`): the call is then recorded in the model as a layer.

    from kerascore import ops
    ops.softmax(ops.reshape(ops.arange(6.0), (2, 3)))

    inputs = keras.Input((8,))
    outputs = ops.concatenate([inputs, ops.square(inputs)], axis=-1)  # an OpLayer node
"""

from kerascore.ops import core, einops, image, linalg, math, nn, numpy  # noqa: F401
from kerascore.ops.core import *  # noqa: F403
from kerascore.ops.einops import *  # noqa: F403
from kerascore.ops.linalg import *  # noqa: F403
from kerascore.ops.math import *  # noqa: F403
from kerascore.ops.nn import *  # noqa: F403
from kerascore.ops.numpy import *  # noqa: F403

__all__ = sorted(
    {*core.__all__, *einops.__all__, *linalg.__all__, *math.__all__, *nn.__all__, *numpy.__all__}
) + [
    "OpLayer",  # noqa: F405 - resolved by __getattr__ below
    "core",
    "einops",
    "image",
    "linalg",
    "math",
    "nn",
    "numpy",
]


def __getattr__(name):
    # `OpLayer` is a layer and layers import ops, so it is imported when first asked for.
    if name == "OpLayer":
        from kerascore.layers.core.op_layer import OpLayer

        return OpLayer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
