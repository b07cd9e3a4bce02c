"""`horn secrets init FOLDER`: the secrets of a compose stack, generated on its first start.

docker-compose.yml runs it as a one-shot service before anything else. It writes, into a
volume that only Horn's services, Redis and PostgreSQL mount:

    postgres_password  redis_password  bootstrap_api_key  serving_token   (the secrets)
    database_url  broker_url  redis_url                                   (Horn's URLs with them)
    redis.conf                                                            (Redis's requirepass)

A value pinned in the environment (`.env`: POSTGRES_PASSWORD, REDIS_PASSWORD,
HORN_BOOTSTRAP_API_KEY, HORN_SERVING_TOKEN) is written as given; otherwise the file's value is
kept from an earlier start, or a new one is generated (`secrets.token_urlsafe(32)`). Every file
is written to a temporary name and renamed, so a start that dies leaves the old set whole.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import typer

from server.cli.output import fail
from server.config import PLACEHOLDER_SECRETS

SHORTEST_SECRET = 20


@dataclass(frozen=True)
class Secret:
    """One generated secret: its file name and the variable that pins it."""

    filename: str
    variable: str


SECRETS = (
    Secret("postgres_password", "POSTGRES_PASSWORD"),
    Secret("redis_password", "REDIS_PASSWORD"),
    Secret("bootstrap_api_key", "HORN_BOOTSTRAP_API_KEY"),
    Secret("serving_token", "HORN_SERVING_TOKEN"),
)


def check_pinned(variable: str, value: str) -> None:
    """Refuses a pinned placeholder or short secret.

    Raises:
        ValueError: naming the variable and how to make a good value.
    """
    if value.lower() in PLACEHOLDER_SECRETS or len(value) < SHORTEST_SECRET:
        raise ValueError(
            f"{variable} is a placeholder or shorter than {SHORTEST_SECRET} characters. Remove "
            "it from .env to have one generated, or set a long random value (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )


def resolve_secrets(folder: Path, environ: dict[str, str]) -> dict[str, str]:
    """The value of each secret: pinned, kept from the folder, or new.

    Raises:
        ValueError: for a pinned placeholder (see `check_pinned`).
    """
    values = {}
    for secret in SECRETS:
        pinned = environ.get(secret.variable, "")
        existing = folder / secret.filename
        kept = existing.read_text(encoding="utf-8").strip() if existing.is_file() else ""
        if pinned:
            check_pinned(secret.variable, pinned)
        values[secret.filename] = pinned or kept or secrets.token_urlsafe(32)
    return values


def derived_files(values: dict[str, str], postgres_host: str, redis_host: str) -> dict[str, str]:
    """Horn's URLs and Redis's config, built from the secrets."""
    postgres_password = quote(values["postgres_password"], safe="")
    redis_password = quote(values["redis_password"], safe="")
    redis_conf_password = values["redis_password"].replace("\\", "\\\\").replace('"', '\\"')
    return {
        "database_url": f"postgresql://horn:{postgres_password}@{postgres_host}:5432/horn",
        "broker_url": f"redis://:{redis_password}@{redis_host}:6379/0",
        "redis_url": f"redis://:{redis_password}@{redis_host}:6379/1",
        "redis.conf": f'requirepass "{redis_conf_password}"\n',
    }


def write_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` (mode 0444) through a temporary file and a rename."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text if text.endswith("\n") else text + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.chmod(temp, 0o444)  # whatever the umask: PostgreSQL and Redis read them as their users
    os.replace(temp, path)


def init(
    folder: Annotated[Path, typer.Argument(help="Where the secrets are kept (a volume).")],
    postgres_host: Annotated[str, typer.Option(help="PostgreSQL's host name.")] = "postgres",
    redis_host: Annotated[str, typer.Option(help="Redis's host name.")] = "redis",
) -> None:
    """Writes the stack's secrets into FOLDER: pinned in the environment, kept, or generated."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    try:
        values = resolve_secrets(folder, dict(os.environ))
    except ValueError as error:
        fail(str(error), code=2)
    files = {**values, **derived_files(values, postgres_host, redis_host)}
    for name, text in files.items():
        write_atomically(folder / name, text)
    pinned = [s.variable for s in SECRETS if os.environ.get(s.variable)]
    typer.echo(
        f"horn secrets: {len(files)} files in {folder}"
        + (f"; pinned by the environment: {', '.join(pinned)}" if pinned else "")
    )


secrets_app = typer.Typer(
    help="Secrets of a compose stack (generated on its first start).", no_args_is_help=True
)
secrets_app.command("init")(init)
