"""The `horn` command: run the service on one machine, or its parts; manage API keys."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="horn",
    help="Horn: Keras-style training as a service.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

API_KEY_FILENAME = "api-key"
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (HORN_DATA_DIR); default ./horn-data."),
]
HostOption = Annotated[str, typer.Option("--host", help="Address the API listens on.")]
PortOption = Annotated[int, typer.Option("--port", help="Port the API listens on.")]


def load_settings(data_dir: Path | None = None):
    """Returns the settings, with `--data-dir` (exported for child processes) applied."""
    from server.config import get_settings

    if data_dir is not None:
        os.environ["HORN_DATA_DIR"] = str(data_dir.expanduser().resolve())
    get_settings.cache_clear()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def fail(message: str, code: int = 1) -> None:
    """Prints `message` to stderr and exits with `code`."""
    typer.echo(f"horn: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def migrate(data_dir: DataDirOption = None) -> None:
    """Applies the database migrations (also done by `horn up`, `horn api` and `horn worker`)."""
    from server.store.migrate import upgrade_database

    settings = load_settings(data_dir)
    upgrade_database(settings.database_url)
    typer.echo("Database is up to date.")


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant the key belongs to.")],
    name: Annotated[str | None, typer.Option("--name", help="Label of the key.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Creates an API key for a tenant (created if missing) and prints it once."""
    from server.store.db import make_engine, session_factory, session_scope
    from server.store.keys import create_api_key
    from server.store.migrate import upgrade_database

    settings = load_settings(data_dir)
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            key = create_api_key(session, tenant, name=name)
    except ValueError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    typer.echo(key)


@app.command()
def api(
    host: HostOption = "127.0.0.1", port: PortOption = 8000, data_dir: DataDirOption = None
) -> None:
    """Runs the HTTP API (uvicorn) alone."""
    import uvicorn

    from server.store.migrate import upgrade_database

    settings = load_settings(data_dir)
    upgrade_database(settings.database_url)
    uvicorn.run("server.api.app:create_app", factory=True, host=host, port=port)


@app.command()
def worker(
    queues: Annotated[str, typer.Option("--queues", help="Comma-separated queues.")] = "cpu,gpu",
    concurrency: Annotated[int, typer.Option("--concurrency", help="Jobs run at once.")] = 1,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery log level.")] = "INFO",
    quiet: Annotated[bool, typer.Option("--quiet", help="No start-up banner.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Runs a Celery worker that trains jobs from the given queues."""
    from celery import signals
    from celery.exceptions import SecurityWarning

    from server.store.migrate import upgrade_database
    from server.workers import tasks
    from server.workers.celery_app import make_celery_app
    from server.workers.sandbox import SandboxUnavailableError

    settings = load_settings(data_dir)
    upgrade_database(settings.database_url)
    try:
        user = tasks.configure_worker(settings)
    except SandboxUnavailableError as exc:
        fail(str(exc), code=2)
    typer.echo(f"horn worker: user code runs as {user or 'the worker user'}.", err=True)
    stop_reconciler = threading.Event()

    @signals.worker_ready.connect(weak=False)
    def start_reconciler(**_: object) -> None:
        tasks.start_reconciler(stop_reconciler)

    celery_app = make_celery_app(settings)
    # Root is needed to drop user code to the sandbox user; Celery itself runs only our tasks.
    warnings.filterwarnings("ignore", category=SecurityWarning)
    celery_app.worker_main(
        [
            *(["--quiet"] if quiet else []),
            "worker",
            "--queues",
            queues,
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            loglevel,
            "--hostname",
            f"horn-{uuid.uuid4().hex[:6]}@%h",
        ]
    )
    stop_reconciler.set()


def bootstrap_api_key(settings) -> str:
    """Returns the API key `horn up` prints: HORN_BOOTSTRAP_API_KEY, or one kept in the data dir.

    The first start creates a key for the tenant `default` and keeps it in
    `<data_dir>/api-key` (mode 600), so later starts print the same key.
    """
    from server.store.db import make_engine, session_factory, session_scope
    from server.store.keys import authenticate, create_api_key, ensure_api_key

    engine = make_engine(settings.database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            if settings.bootstrap_api_key:
                ensure_api_key(session, settings.bootstrap_tenant, settings.bootstrap_api_key)
                return settings.bootstrap_api_key
            key_file = settings.data_dir / API_KEY_FILENAME
            if key_file.is_file():
                key = key_file.read_text().strip()
                if key and authenticate(session, key) is not None:
                    return key
            key = create_api_key(session, settings.bootstrap_tenant, name="horn up")
            temp = key_file.with_name(f".{API_KEY_FILENAME}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(key + "\n")
            os.replace(temp, key_file)
            return key
    finally:
        engine.dispose()


@app.command()
def up(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    data_dir: DataDirOption = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Jobs run at once.")] = 1,
) -> None:
    """Runs everything on this machine: the API, one worker, the embedded broker, SQLite.

    Prints the URL and an API key. Ctrl-C (or SIGTERM) stops everything.
    """
    import uvicorn

    from server.store.migrate import upgrade_database
    from server.workers.sandbox import SandboxUnavailableError, sandbox_user_for

    settings = load_settings(data_dir)
    upgrade_database(settings.database_url)
    try:
        sandbox_user_for(settings)
    except SandboxUnavailableError as exc:
        fail(str(exc), code=2)
    key = bootstrap_api_key(settings)
    worker_process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "worker",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--quiet",
        ],
        # Its own session: a terminal's Ctrl-C reaches `horn up` only, which stops it in order.
        start_new_session=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            "server.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    exit_code = 0

    def watch_worker() -> None:
        nonlocal exit_code
        worker_process.wait()
        if not server.should_exit:
            typer.echo(
                f"horn: the worker exited (status {worker_process.returncode}); stopping.",
                err=True,
            )
            exit_code = 1
            server.should_exit = True

    threading.Thread(target=watch_worker, name="horn-worker-watch", daemon=True).start()
    typer.echo(f"Horn is running at http://{host}:{port}", err=False)
    typer.echo(f"API key: {key}")
    typer.echo(f"Data dir: {settings.data_dir}")
    typer.echo("Press Ctrl-C to stop.")
    sys.stdout.flush()
    # Uvicorn handles SIGINT/SIGTERM, then re-raises them to the previous handlers: these,
    # which let the worker be stopped before `horn up` exits.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    try:
        server.run()
    finally:
        stop_worker(worker_process)
    if exit_code:
        raise typer.Exit(exit_code)


def stop_worker(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """Stops a worker started by `horn up` and everything in its process group.

    A cold shutdown (SIGQUIT) ends running tasks at once; their runners notice that their
    worker is gone and exit; the jobs resume from their checkpoints on the next start.
    """
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGQUIT)
        deadline = time.monotonic() + timeout_s
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


if __name__ == "__main__":
    app()
