"""Interactive logging: whether progress and messages go to stdout or to the `absl` log.

As in Keras, messages printed by `fit`'s progress bar and by callbacks go to stdout while
interactive logging is enabled (the default), and to `absl.logging.info` once it is disabled,
for programs whose stdout is not read by a person.
"""

import sys

from absl import logging

_INTERACTIVE_LOGGING = {"enabled": True}


def enable_interactive_logging():
    """Sends kerascore's progress bars and messages to stdout (the default)."""
    _INTERACTIVE_LOGGING["enabled"] = True


def disable_interactive_logging():
    """Sends kerascore's progress bars and messages to `absl.logging` instead of stdout."""
    _INTERACTIVE_LOGGING["enabled"] = False


def is_interactive_logging_enabled():
    """Returns whether messages go to stdout (True) or to `absl.logging` (False)."""
    return _INTERACTIVE_LOGGING["enabled"]


def print_msg(message, line_break=True):
    """Writes `message` to stdout, or logs it at INFO level when interactive logging is off.

    Args:
        message: the text.
        line_break: whether to end the line (stdout only; a log record is always one line).
    """
    if is_interactive_logging_enabled():
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        logging.info(message)
