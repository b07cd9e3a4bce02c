"""`SwapEMAWeights`: evaluates with the optimizer's moving-average weights."""

import tensorflow as tf

from kerascore.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's moving averages (EMA) for evaluation.

    During validation, `evaluate` and `predict` the model runs with the EMA weights and
    gets its training weights back afterwards. With `swap_on_epoch=True` the EMA weights
    are also in the model at the end of each epoch, so that callbacks placed after this one
    (`ModelCheckpoint`, ...) see them; at the last epoch the EMA weights stay in the model.
    The optimizer needs `use_ema=True`.

    Args:
        swap_on_epoch: Whether to put the EMA weights in the model at the end of each epoch.

    Raises:
        ValueError: when the model's optimizer does not keep moving averages.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizer(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if not getattr(optimizer, "use_ema", False) or not hasattr(
            optimizer, "_model_variables_moving_average"
        ):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer "
                "and the optimizer is built. Received: "
                f"use_ema={getattr(optimizer, 'use_ema', None)}"
            )
        return optimizer

    def _swap_variables(self):
        optimizer = self._ema_optimizer()
        for variable, average in zip(
            optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True
        ):
            value = tf.identity(tf.convert_to_tensor(variable))
            variable.assign(average)
            average.assign(value)

    def _finalize_ema_values(self):
        optimizer = self._ema_optimizer()
        for variable, average in zip(
            optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True
        ):
            average.assign(variable)

    def _swap_in(self):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _swap_out(self):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            # Training ends with the EMA weights in the model; the averages follow them so
            # that finalizing the optimizer's averages keeps them.
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()
