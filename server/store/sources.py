"""Static checks of uploaded model sources. The source is parsed, never executed."""

from __future__ import annotations

import ast
from typing import Any

ENTRY_POINT = "build_model"


class SourceError(ValueError):
    """A model source that cannot be used; `message` says why, `details` has line and column."""

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


def check_model_source(source: bytes, filename: str = "model.py") -> str:
    """Checks that a model source parses and defines `build_model(hparams)` at module level.

    Args:
        source: the uploaded bytes (UTF-8 Python).
        filename: the uploaded file name, for messages.

    Returns:
        The source text.

    Raises:
        SourceError: when the source is not UTF-8, does not parse, or lacks the entry point.
    """
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"The model source {filename!r} is not UTF-8 text (byte {error.start} cannot be "
            "decoded). Save it as UTF-8.",
            {"filename": filename},
        ) from None
    if "\x00" in text:
        raise SourceError(
            f"The model source {filename!r} holds NUL bytes; upload a Python text file.",
            {"filename": filename},
        )
    try:
        tree = ast.parse(text, filename=filename)
    except (MemoryError, RecursionError):
        # CPython's parser raises MemoryError on a too deeply nested expression (`x = ---...1`).
        raise SourceError(
            f"The model source {filename!r} nests expressions too deeply to parse. Simplify it.",
            {"filename": filename},
        ) from None
    except SyntaxError as error:
        raise SourceError(
            f"The model source {filename!r} does not parse: {error.msg} "
            f"(line {error.lineno}, column {error.offset}).",
            {"filename": filename, "line": error.lineno, "column": error.offset, "msg": error.msg},
        ) from None
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    entry = functions.get(ENTRY_POINT)
    if entry is None:
        raise SourceError(
            f"The model source {filename!r} does not define `def {ENTRY_POINT}(hparams):` at "
            "module level. Define it to build, optionally compile, and return a model.",
            {"filename": filename, "functions": sorted(functions)},
        )
    if isinstance(entry, ast.AsyncFunctionDef):
        raise SourceError(
            f"`{ENTRY_POINT}` in {filename!r} is `async def` (line {entry.lineno}); it must be a "
            "plain function.",
            {"filename": filename, "line": entry.lineno},
        )
    args = entry.args
    positional = len(args.posonlyargs) + len(args.args)
    if positional == 0 and args.vararg is None:
        raise SourceError(
            f"`{ENTRY_POINT}` in {filename!r} (line {entry.lineno}) takes no parameter; it is "
            f"called with the job's hyperparameters: `def {ENTRY_POINT}(hparams):`.",
            {"filename": filename, "line": entry.lineno},
        )
    required = positional - len(args.defaults)
    keyword_defaults = zip(args.kwonlyargs, args.kw_defaults, strict=True)
    required_keywords = [arg.arg for arg, default in keyword_defaults if default is None]
    if required > 1 or required_keywords:
        raise SourceError(
            f"`{ENTRY_POINT}` in {filename!r} (line {entry.lineno}) requires more than one "
            f"argument; it is called with the hyperparameters only. Give the other parameters "
            "default values.",
            {"filename": filename, "line": entry.lineno},
        )
    return text
