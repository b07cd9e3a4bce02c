"""A Keras-style progress bar that degrades to one line per run when output is not a terminal."""

import math
import sys
import time

from kerascore.utils.io_utils import is_interactive_logging_enabled, print_msg


def stdout_is_terminal():
    """Returns whether `sys.stdout` is an interactive terminal (not a log file or a pipe) that
    kerascore writes to (interactive logging is enabled)."""
    if not is_interactive_logging_enabled():
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # A closed stream cannot answer.
        return False


def _format_duration(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_time_per_unit(time_per_unit, unit_name):
    if time_per_unit >= 1 or time_per_unit == 0:
        return f"{time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f"{time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f"{time_per_unit * 1e6:.0f}us/{unit_name}"


def _format_value(value):
    if isinstance(value, str):
        return value
    value = float(value)
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


class Progbar:
    """Displays a progress bar with ETA and running metric values.

    On a terminal (`sys.stdout.isatty()`) and with `verbose=1` the bar redraws in place at
    most every `interval` seconds. Anywhere else (logs, CI, a pipe), and with `verbose=2`,
    it prints a single summary line when the run finalizes, so logs are not flooded.

    Args:
        target: Total number of steps expected, `None` if unknown.
        width: Width of the bar in characters.
        verbose: 0 (silent), 1 (bar on a terminal) or 2 (one line at the end).
        interval: Minimum number of seconds between two redraws.
        stateful_metrics: Names of metrics shown as given; every other metric is averaged
            over the steps seen. Mutually exclusive with `stateless_metrics`.
        stateless_metrics: Names of metrics that are averaged; every other metric is shown as
            given. Mutually exclusive with `stateful_metrics`.
        unit_name: Name of one step in the display (`"step"`, `"sample"`).
        prefix: Text put in front of the summary line (for example `"Epoch 3/10"`); not
            shown by the in-place bar.

    Raises:
        ValueError: if both `stateful_metrics` and `stateless_metrics` are given, or
            `verbose` is not 0, 1 or 2.

    Example:

    ```python
    bar = Progbar(target=10)
    for step in range(10):
        bar.update(step + 1, values=[("loss", 0.5)])
    ```
    """

    def __init__(
        self,
        target,
        width=30,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
        prefix="",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Expected only one of stateful_metrics or stateless_metrics. Received: "
                f"stateful_metrics={stateful_metrics!r}, stateless_metrics={stateless_metrics!r}"
            )
        if verbose not in (0, 1, 2):
            raise ValueError(f"Expected verbose to be 0, 1 or 2. Received: verbose={verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.prefix = prefix
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
            self.stateless_metrics = None
        self.dynamic_display = verbose == 1 and stdout_is_terminal()
        self._values = {}
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0
        self._finalized = False

    def update(self, current, values=None, finalize=None):
        """Records progress up to step `current` and redraws the bar if it is due.

        Args:
            current: Number of steps done so far (1-based).
            values: List of `(name, value)` pairs for the last step(s). Averaged over time
                unless the name is stateful.
            finalize: Whether this is the last update. Defaults to `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            self._record(name, value, current)
        self._seen_so_far = current
        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 0 or self._finalized:
            return
        if self.dynamic_display:
            if now - self._last_update >= self.interval or finalize:
                self._draw(current, now, time_per_unit, finalize)
                self._last_update = now
        elif finalize:
            self._write(self._summary_line(current, now, time_per_unit) + "\n")
        self._finalized = finalize

    def add(self, n, values=None):
        """Advances the bar by `n` steps; see `update`."""
        self.update(self._seen_so_far + n, values)

    def _record(self, name, value, current):
        if self.stateful_metrics is not None:
            averaged = name not in self.stateful_metrics
        else:
            averaged = name in self.stateless_metrics
        if not averaged or isinstance(value, str):
            self._values[name] = [value, 1]
            return
        steps = max(current - self._seen_so_far, 1)
        total, count = self._values.get(name, [0.0, 0])
        self._values[name] = [total + float(value) * steps, count + steps]

    def _metric_text(self):
        parts = []
        for name, (total, count) in self._values.items():
            value = total if isinstance(total, str) else total / max(count, 1)
            parts.append(f" - {name}: {_format_value(value)}")
        return "".join(parts)

    def _counter(self, current):
        if self.target is None or self.target <= 0:
            return f"{current}/Unknown" if current else ""
        digits = int(math.log10(self.target)) + 1
        return f"{current:>{digits}d}/{self.target}"

    def _summary_line(self, current, now, time_per_unit):
        parts = [part for part in (self.prefix, self._counter(current)) if part]
        parts.append(f"{now - self._start:.0f}s")
        if current:
            parts.append(_format_time_per_unit(time_per_unit, self.unit_name))
        return " - ".join(parts) + self._metric_text()

    def _draw(self, current, now, time_per_unit, finalize):
        counter = self._counter(current) or f"{current}/Unknown"
        if self.target is not None and self.target > 0:
            filled = min(int(self.width * current / self.target), self.width)
            bar = f"{counter} [{'=' * filled}{'.' * (self.width - filled)}]"
        else:
            bar = counter
        if self.target is not None and self.target > 0 and not finalize:
            timing = f" ETA: {_format_duration(time_per_unit * (self.target - current))}"
        else:
            timing = f" {now - self._start:.0f}s"
        timing += f" {_format_time_per_unit(time_per_unit, self.unit_name)}"
        line = bar + timing + self._metric_text()
        padding = " " * max(self._prev_total_width - len(line), 0)
        self._prev_total_width = len(line)
        self._write("\r" + line + padding + ("\n" if finalize else ""))

    def _estimate_step_duration(self, current, now):
        if not current:
            return 0.0
        # The first step often includes tracing, so later estimates leave it out.
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit

    @staticmethod
    def _write(text):
        if is_interactive_logging_enabled():
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            # A log record holds one finished line, without the bar's carriage returns.
            print_msg(text.strip("\r\n").rstrip())
