"""What the `horn` commands print: tables, JSON, one-line errors and their exit statuses."""

from __future__ import annotations

import json
from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]

EXIT_ERROR = 1
EXIT_UNREACHABLE = 3
EXIT_AUTH = 4
EXIT_NOT_FOUND = 5


def fail(message: str, code: int = 1) -> None:
    """Prints `message` to stderr and exits with `code`."""
    typer.echo(f"horn: {message}", err=True)
    raise typer.Exit(code)


def print_json(value: object) -> None:
    """Prints `value` (client results included) as JSON on stdout."""
    from server.client import to_json

    typer.echo(json.dumps(to_json(value), indent=2))


def print_table(
    columns: list[str], rows: list[list[object]], title: str | None = None, stderr: bool = False
) -> None:
    """Prints a table on stdout (or stderr)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title and escape(title), show_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        table.add_column(column, no_wrap=index == 0)
    for row in rows:
        table.add_row(*("" if cell is None else escape(str(cell)) for cell in row))
    console = Console(stderr=stderr)
    if not console.is_terminal:
        # A pipe: keep rows whole rather than wrap them at 80 columns.
        console = Console(stderr=stderr, width=250)
    console.print(table)


def format_time(value) -> str:
    """A timestamp as `YYYY-MM-DD HH:MM:SS`; empty for None."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def format_value(value: object) -> str:
    """A metric's value: floats to 4 decimals."""
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def format_metrics(values: dict) -> str:
    """Metrics as Keras prints them: `loss: 0.1234 - accuracy: 0.9500`; None values left out."""
    parts = []
    for key, value in values.items():
        if isinstance(value, float):
            parts.append(f"{key}: {value:.4f}")
        elif value is not None:
            parts.append(f"{key}: {value}")
    return " - ".join(parts)


def describe_error(error, url: str, key_source: str) -> tuple[str, int]:
    """A one-line message and the exit status for a client error."""
    from server.client import HornAuthError, HornConnectionError, HornNotFound

    if isinstance(error, HornConnectionError):
        message, code = error.message, EXIT_UNREACHABLE
    elif isinstance(error, HornAuthError):
        message = (
            f"{error.message} (server {url}, key from {key_source}; run `horn login` or set "
            "HORN_API_KEY)"
        )
        code = EXIT_AUTH
    elif isinstance(error, HornNotFound):
        details = error.details if isinstance(error.details, dict) else {}
        kind, resource = details.get("kind"), details.get("id")
        listing = {"job": "jobs", "dataset": "datasets", "model": "models", "sweep": "sweep"}.get(
            kind or ""
        )
        if listing and resource:
            message = f"{kind} {resource!r} not found on {url}. List them with `horn {listing} ls`."
        elif kind == "checkpoint" and resource:
            job_id = resource.split("/")[0]
            message = (
                f"checkpoint {resource} not found on {url}. List them with "
                f"`horn checkpoints ls {job_id}`."
            )
        else:
            message = error.message
        code = EXIT_NOT_FOUND
    else:
        status = f"HTTP {error.status}, " if error.status else ""
        message, code = f"{error.message} ({status}{error.code})", EXIT_ERROR
    return " ".join(message.split()), code
