"""`FloatDTypePolicy`: the dtype policy of floating-point computation, as Keras 3 names it."""

from kerascore.mixed_precision import DTypePolicy


class FloatDTypePolicy(DTypePolicy):
    """A `DTypePolicy` for floating-point computation (`"float32"`, `"mixed_float16"`, ...).

    Keras 3 keeps this class for code written against its earlier releases; it behaves as
    `DTypePolicy`.

    Args:
        name: a float dtype or `"mixed_float16"`/`"mixed_bfloat16"`; `floatx()` by default.
    """

    def __repr__(self):
        return f'<FloatDTypePolicy "{self.name}">'
