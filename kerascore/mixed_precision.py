"""Dtype policies: compute in float16/bfloat16 while keeping float32 weights.

keras.mixed_precision.set_global_policy("mixed_float16")
"""

from kerascore import backend

_GLOBAL_POLICY = None
_POLICY_NAMES = ("float16", "bfloat16", "float32", "float64", "mixed_float16", "mixed_bfloat16")


class DTypePolicy:
    """A dtype policy: `name` is a dtype (`"float32"`) or `"mixed_float16"`/`"mixed_bfloat16"`.

    Attributes:
        compute_dtype: the dtype layers compute in.
        variable_dtype: the dtype of layer weights.
    """

    def __init__(self, name=None):
        name = name or backend.floatx()
        if isinstance(name, DTypePolicy):
            name = name.name
        if name not in _POLICY_NAMES:
            raise ValueError(
                f"Expected a dtype policy among {_POLICY_NAMES}. Received: policy={name!r}"
            )
        self.name = name
        if name.startswith("mixed_"):
            self.compute_dtype = name[len("mixed_") :]
            self.variable_dtype = "float32"
        else:
            self.compute_dtype = self.variable_dtype = name

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy


def set_global_policy(policy):
    """Sets the policy of layers created afterwards without an explicit `dtype`."""
    global _GLOBAL_POLICY
    _GLOBAL_POLICY = DTypePolicy(policy) if policy is not None else None


set_dtype_policy = set_global_policy


def global_policy():
    """Returns the policy layers get when created without a `dtype`."""
    return _GLOBAL_POLICY or DTypePolicy(backend.floatx())


dtype_policy = global_policy


def resolve(dtype):
    """Returns the `DTypePolicy` for a layer's `dtype` argument (None: the global policy)."""
    if dtype is None:
        return global_policy()
    if isinstance(dtype, DTypePolicy):
        return dtype
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return DTypePolicy(dtype)
    name = backend.standardize_dtype(dtype)
    if name in _POLICY_NAMES:
        return DTypePolicy(name)
    policy = DTypePolicy.__new__(DTypePolicy)
    policy.name = policy.compute_dtype = policy.variable_dtype = name
    return policy


def __getattr__(name):
    # `keras.mixed_precision.LossScaleOptimizer`, without importing optimizers at start-up.
    if name == "LossScaleOptimizer":
        from kerascore.optimizers import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module 'kerascore.mixed_precision' has no attribute {name!r}")
