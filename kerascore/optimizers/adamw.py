"""AdamW: Adam with decoupled weight decay."""

from kerascore.optimizers.adam import Adam
from kerascore.saving.serialization import register_builtin


@register_builtin
class AdamW(Adam):
    """Adam with decoupled weight decay (`weight_decay` defaults to 0.004).

    Args:
        learning_rate: A float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        weight_decay: Weight decay factor (required, a float).
        beta_1: Decay rate of the first moment estimates.
        beta_2: Decay rate of the second moment estimates.
        epsilon: Small constant for numerical stability.
        amsgrad: Whether to use the AMSGrad variant.
        **kwargs: Base optimizer arguments (`clipnorm`, `name`, ...).

    Raises:
        ValueError: if `weight_decay` is `None`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
