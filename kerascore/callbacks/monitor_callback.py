"""`MonitorCallback`: the base of callbacks that watch one metric."""

import warnings

from kerascore.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity for improvement.

    Args:
        monitor: Name of the logged quantity, e.g. `"val_loss"`.
        mode: `"min"`, `"max"` or `"auto"` (inferred from the name or the metric).
        baseline: Initial best value, or `None` to take the first value seen.
        min_delta: Smallest change that counts as an improvement.

    Raises:
        ValueError: for an unknown `mode`, or (at the first check) when `mode="auto"` cannot
            tell the direction of `monitor`.
    """

    _MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "true_", "top_k")

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f'Expected mode to be one of "auto", "min", "max". Received: mode={mode!r}'
            )
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self._direction = None

    def _resolve_direction(self):
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        for metric in model_metrics(self.model):
            if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
                return "max" if metric._direction == "up" else "min"
        if name.endswith("loss") or "error" in name or "crossentropy" in name:
            return "min"
        if any(hint in name for hint in self._MAX_HINTS):
            return "max"
        raise ValueError(
            f"{type(self).__name__} cannot tell whether monitor={self.monitor!r} should be "
            "minimized or maximized. Pass mode='min' or mode='max'."
        )

    def _is_improvement(self, value, reference):
        if self._direction is None:
            self._direction = self._resolve_direction()
        if reference is None:
            return True
        if self._direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference


def model_metrics(model):
    found = []
    pending = list(getattr(model, "metrics", None) or [])
    while pending:
        metric = pending.pop()
        found.append(metric)
        pending.extend(getattr(metric, "metrics", None) or [])
    return found


def monitor_value(callback, logs):
    value = (logs or {}).get(callback.monitor)
    if value is None:
        warnings.warn(
            f"{type(callback).__name__} is conditioned on {callback.monitor!r}, which is not in "
            f"the logs. Available: {sorted(logs or {})}",
            stacklevel=3,
        )
    return value
