"""Server-side `horn` commands: run the service or its parts, migrate, manage API keys.

They read the settings (and `--data-dir`) of this machine and talk to its database directly.
"""

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
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from server.cli.output import JsonOption, fail, print_json, print_table

keys_app = typer.Typer(help="Manage API keys (server side).", no_args_is_help=True)
tenants_app = typer.Typer(
    help="List tenants and set their running-job limits (server side).", no_args_is_help=True
)

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
    from server.store.artifacts import ensure_private_folder

    settings = get_settings()
    ensure_private_folder(settings.data_dir)  # before anything is written into it
    return settings


def load_migrated_settings(data_dir: Path | None = None):
    """Returns the settings (as `load_settings`) after bringing their database up to date."""
    from server.store.migrate import upgrade_database

    settings = load_settings(data_dir)
    upgrade_database(settings.database_url)
    return settings


@contextlib.contextmanager
def database_session(settings) -> Iterator:
    """A session on the settings' database, committed on success; its engine is disposed after."""
    from server.store.db import make_engine, session_factory, session_scope

    engine = make_engine(settings.database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def migrate(data_dir: DataDirOption = None) -> None:
    """Applies the database migrations (also done by `horn up`, `horn api` and `horn worker`)."""
    load_migrated_settings(data_dir)
    typer.echo("Database is up to date.")


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant the key belongs to.")],
    name: Annotated[str | None, typer.Option("--name", help="Label of the key.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Creates an API key for a tenant (created if missing) and prints it once."""
    from server.store.keys import create_api_key

    settings = load_migrated_settings(data_dir)
    try:
        with database_session(settings) as session:
            key = create_api_key(session, tenant, name=name)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's keys.")] = None,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Lists API keys (id, prefix, tenant, name, created, revoked); never the keys themselves."""
    from server.store.keys import list_api_keys

    settings = load_migrated_settings(data_dir)
    with database_session(settings) as session:
        rows = [
            {
                "id": key.id,
                "prefix": key.prefix,
                "tenant": tenant_row.name,
                "name": key.name,
                "created_at": key.created_at.isoformat(),
                "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            }
            for key, tenant_row in list_api_keys(session, tenant)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        ["id", "prefix", "tenant", "name", "created", "revoked"],
        [
            [r["id"], r["prefix"], r["tenant"], r["name"], r["created_at"][:19], r["revoked_at"]]
            for r in rows
        ],
    )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (key_...) or its prefix.")],
    data_dir: DataDirOption = None,
) -> None:
    """Revokes an API key; the API stops accepting it within HORN_AUTH_CACHE_S seconds."""
    from server.store.keys import revoke_api_key_by_id

    settings = load_migrated_settings(data_dir)
    try:
        with database_session(settings) as session:
            revoked_id = revoke_api_key_by_id(session, key_id).id
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"Revoked {revoked_id}.")


@tenants_app.command("list")
def tenants_list(as_json: JsonOption = False, data_dir: DataDirOption = None) -> None:
    """Lists tenants: their running and queued jobs and their running-job limit."""
    from sqlalchemy import func, select

    from server.store.db import Job, JobStatus, Tenant
    from server.store.fairshare import RUNNING_STATUSES

    settings = load_migrated_settings(data_dir)
    default = settings.tenant_max_running_jobs
    with database_session(settings) as session:
        counts = {
            (tenant_id, status): count
            for tenant_id, status, count in session.execute(
                select(Job.tenant_id, Job.status, func.count()).group_by(Job.tenant_id, Job.status)
            )
        }
        rows = [
            {
                "name": tenant.name,
                "running": sum(counts.get((tenant.id, s), 0) for s in RUNNING_STATUSES),
                "queued": counts.get((tenant.id, JobStatus.QUEUED), 0),
                "max_running_jobs": default
                if tenant.max_running_jobs is None
                else tenant.max_running_jobs,
                "limit_from": "setting" if tenant.max_running_jobs is None else "tenant",
            }
            for tenant in session.scalars(select(Tenant).order_by(Tenant.name))
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        ["tenant", "running", "queued", "max running", "limit from"],
        [
            [
                r["name"],
                r["running"],
                r["queued"],
                r["max_running_jobs"] or "no limit",
                "HORN_TENANT_MAX_RUNNING_JOBS" if r["limit_from"] == "setting" else "tenant",
            ]
            for r in rows
        ],
    )


@tenants_app.command("limit")
def tenants_limit(
    tenant: Annotated[str, typer.Argument(help="The tenant's name.")],
    max_running_jobs: Annotated[
        str,
        typer.Option(
            "--max-running-jobs",
            help="Jobs it may run at once (0: no limit), or `default` for "
            "HORN_TENANT_MAX_RUNNING_JOBS.",
        ),
    ],
    data_dir: DataDirOption = None,
) -> None:
    """Sets how many jobs a tenant may run at once; its other jobs wait, queued."""
    from sqlalchemy import select

    from server.store.db import Tenant

    if max_running_jobs == "default":
        limit = None
    elif max_running_jobs.isdigit():
        limit = int(max_running_jobs)
    else:
        fail(
            "Expected --max-running-jobs to be a whole number >= 0 or `default`. "
            f"Received: {max_running_jobs!r}",
            code=2,
        )
    settings = load_migrated_settings(data_dir)
    with database_session(settings) as session:
        row = session.scalar(select(Tenant).where(Tenant.name == tenant))
        if row is None:
            names = ", ".join(session.scalars(select(Tenant.name).order_by(Tenant.name)))
            fail(f"No tenant named {tenant!r}. Tenants: {names or 'none yet'}.", code=5)
        row.max_running_jobs = limit
    if limit is None:
        typer.echo(
            f"Tenant {tenant!r} follows HORN_TENANT_MAX_RUNNING_JOBS "
            f"({settings.tenant_max_running_jobs or 'no limit'})."
        )
    else:
        jobs = "any number of jobs" if limit == 0 else f"{limit} job{'s' if limit > 1 else ''}"
        typer.echo(f"Tenant {tenant!r} may run {jobs} at once.")


def api(
    host: HostOption = "127.0.0.1", port: PortOption = 8000, data_dir: DataDirOption = None
) -> None:
    """Runs the HTTP API (uvicorn) alone."""
    import uvicorn

    settings = load_migrated_settings(data_dir)
    if settings.bootstrap_api_key:
        # As `horn up` does: `docker compose logs api` shows the key compose generated.
        typer.echo(f"API key of tenant {settings.bootstrap_tenant!r}: {settings.bootstrap_api_key}")
        sys.stdout.flush()
    uvicorn.run("server.api.app:create_app", factory=True, host=host, port=port)


def worker(
    queues: Annotated[str, typer.Option("--queues", help="Comma-separated queues.")] = "cpu,gpu",
    concurrency: Annotated[int, typer.Option("--concurrency", help="Jobs run at once.")] = 1,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery log level.")] = "INFO",
    quiet: Annotated[bool, typer.Option("--quiet", help="No start-up banner.")] = False,
    gpus: Annotated[
        str | None,
        typer.Option(
            "--gpus",
            help="GPU indices this worker hands out, one set per job (e.g. 0,1,2,3); `auto` "
            "asks nvidia-smi, `none` hands out none. HORN_WORKER_GPUS; default auto.",
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Runs a Celery worker that trains jobs from the given queues."""
    from celery import signals
    from celery.exceptions import SecurityWarning

    from server.store.artifacts import ArtifactStore
    from server.store.objects import ArtifactStoreUnavailableError
    from server.workers import tasks
    from server.workers.celery_app import make_celery_app
    from server.workers.devices import worker_gpus
    from server.workers.sandbox import SandboxUnavailableError

    if gpus is not None:
        os.environ["HORN_WORKER_GPUS"] = gpus  # the pool's processes read it too
    settings = load_migrated_settings(data_dir)
    try:
        devices = worker_gpus(settings.worker_gpus)
    except ValueError as exc:
        fail(f"--gpus / HORN_WORKER_GPUS: {exc}", code=2)
    try:  # as `horn api` and `horn serve` do: no start without a usable artifact store
        ArtifactStore.from_settings(settings)
    except ArtifactStoreUnavailableError as exc:
        fail(str(exc), code=2)
    try:
        box = tasks.configure_worker(settings)
    except SandboxUnavailableError as exc:
        fail(str(exc), code=2)
    if not quiet:
        typer.echo(f"horn worker: {describe_box(box)}", err=True)
        if "gpu" in queues.split(","):
            typer.echo(f"horn worker: GPUs {','.join(devices) or 'none'}", err=True)
    stop_reconciler = threading.Event()

    @signals.worker_ready.connect(weak=False)
    def start_reconciler(**_: object) -> None:
        tasks.start_reconciler(stop_reconciler, queues.split(","))

    celery_app = make_celery_app(settings)
    # Root is needed to build boxes (namespaces, a uid per box); Celery runs only our tasks.
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


def describe_box(box: dict) -> str:
    """One line on what user code gets on this host, from `check_sandbox`'s report."""
    who = "its own uid per box" if box.get("mode") == "root" else "a user namespace (uid 1000)"
    limits = f"cgroup v{box['cgroup']}" if box.get("cgroup") else "rlimits"
    return f"user code runs in boxes: {who}, limits through {limits}."


def serve(
    data_dir: DataDirOption = None,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Log level.")] = "warning",
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (HORN_SERVING_URL's).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (HORN_SERVING_URL's).")
    ] = None,
) -> None:
    """Runs the serving process: boxed predictors behind the API's predict route.

    `{hostname}` and `{ip}` in HORN_SERVING_ADVERTISE_URL stand for this host's name and
    address, so replicas of one compose service each register their own.
    """
    import socket

    from server.workers.sandbox import SandboxUnavailableError, check_sandbox
    from server.workers.serving import run_serving

    settings = load_settings(data_dir)
    advertised = settings.serving_advertise_url
    if "{hostname}" in advertised or "{ip}" in advertised:
        hostname = socket.gethostname()
        advertised = advertised.replace("{hostname}", hostname)
        settings.serving_advertise_url = advertised.replace("{ip}", socket.gethostbyname(hostname))
    if settings.serving_url and not settings.serving_token:
        fail(
            "HORN_SERVING_URL is set but HORN_SERVING_TOKEN is not: a serving process on TCP "
            "needs a shared token. Set HORN_SERVING_TOKEN (the same value for the API).",
            code=2,
        )
    try:
        check_sandbox(settings)
    except SandboxUnavailableError as exc:
        fail(str(exc), code=2)
    run_serving(settings, log_level=loglevel, host=host, port=port)


def bootstrap_api_key(settings) -> str:
    """Returns the API key `horn up` prints: HORN_BOOTSTRAP_API_KEY, or one kept in the data dir.

    The first start creates a key for the tenant `default` and keeps it in
    `<data_dir>/api-key` (mode 600), so later starts print the same key.
    """
    from server.store.keys import authenticate, create_api_key, ensure_api_key

    with database_session(settings) as session:
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

    from server.workers.sandbox import SandboxUnavailableError, check_sandbox

    settings = load_migrated_settings(data_dir)
    try:
        box = check_sandbox(settings)
    except SandboxUnavailableError as exc:
        fail(str(exc), code=2)
    key = bootstrap_api_key(settings)
    serving_process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        start_new_session=True,
    )
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

    def watch(process: subprocess.Popen, name: str) -> None:
        nonlocal exit_code
        process.wait()
        if not server.should_exit:
            status = process.returncode
            typer.echo(f"horn: the {name} exited (status {status}); stopping.", err=True)
            exit_code = 1
            server.should_exit = True

    for process, name in ((worker_process, "worker"), (serving_process, "serving process")):
        threading.Thread(target=watch, args=(process, name), daemon=True).start()
    typer.echo(f"Horn is running at http://{host}:{port}", err=False)
    typer.echo(f"API key: {key}")
    typer.echo(f"Data dir: {settings.data_dir}")
    typer.echo(f"Sandbox: {describe_box(box)}")
    typer.echo("Press Ctrl-C to stop.")
    sys.stdout.flush()
    # Uvicorn handles SIGINT/SIGTERM, then re-raises them to the previous handlers: these,
    # which let the worker be stopped before `horn up` exits.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    try:
        server.run()
    finally:
        stop_serving(serving_process)
        stop_worker(worker_process)
    if exit_code:
        raise typer.Exit(exit_code)


def stop_serving(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """Stops the serving process started by `horn up` (its predictors' boxes die with it)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


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
