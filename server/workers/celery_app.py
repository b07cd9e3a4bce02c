"""The Celery app of Horn's workers, built from the service settings."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Exchange, Queue
from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class _AtomicFilesystemChannel(filesystem.Channel):
    """kombu's filesystem channel, except that a message file appears whole.

    kombu creates the file under its final name, then writes it; a consumer polling at that
    moment takes an empty message and loses it. Here it is written under a name consumers
    ignore, then renamed.
    """

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        temp = os.path.join(self.data_folder_out, f".{name}.tmp")
        try:
            with open(temp, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(temp, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    """The embedded broker: kombu's filesystem transport with atomic message files."""

    Channel = _AtomicFilesystemChannel


# The broker URL `filesystem://` is served by AtomicFilesystemTransport under this scheme.
EMBEDDED_BROKER_SCHEME = "hornfs"
TRANSPORT_ALIASES.setdefault(
    EMBEDDED_BROKER_SCHEME, "server.workers.celery_app:AtomicFilesystemTransport"
)
TRAIN_TASK_NAME = "horn.train_job"
QUEUES = ("cpu", "gpu")
# How often the embedded filesystem broker looks for new messages (seconds); it polls a folder.
FILESYSTEM_POLLING_INTERVAL_S = 0.1


def broker_transport_options(settings: Any) -> dict[str, Any]:
    """Returns kombu transport options for the configured broker.

    The visibility timeout (Redis) is longer than the longest job, so a message is not
    redelivered to a second worker while the first still trains; the database lease guards
    against it anyway.

    Args:
        settings: the service settings.

    Returns:
        The options.
    """
    options: dict[str, Any] = dict(settings.broker_transport_options)
    options["visibility_timeout"] = settings.job_max_runtime_s + 3600
    if settings.is_filesystem_broker:
        control = settings.broker_dir / "control"
        write_exchange_tables(control)
        options.setdefault("control_folder", str(control))
        options["polling_interval"] = FILESYSTEM_POLLING_INTERVAL_S
    return options


def write_exchange_tables(control: Path) -> None:
    """Writes the filesystem broker's queue bindings once, atomically, before anyone reads them.

    kombu's filesystem transport creates a binding file by truncating it before it locks and
    writes it, so a process that reads it at that moment (the API publishing its first job
    while the worker starts) gets an empty file and fails. Files that already hold the
    bindings are only read, never rewritten.

    Args:
        control: the transport's `control_folder`.
    """
    control.mkdir(parents=True, exist_ok=True)
    for name in QUEUES:
        table = control / f"{name}.exchange"
        if table.exists():
            continue
        temp = control / f".{name}.exchange.{os.getpid()}.tmp"
        temp.write_text(json.dumps([[name, "", name]]))
        os.replace(temp, table)


def make_celery_app(settings: Any) -> Celery:
    """Builds the Celery app for `settings` (broker URL and transport options).

    Args:
        settings: the service settings.

    Returns:
        The app; the train task (`server.workers.tasks`) registers itself on every app.
    """
    broker_url = settings.broker_url
    if settings.is_filesystem_broker:
        broker_url = f"{EMBEDDED_BROKER_SCHEME}://localhost//"
    app = Celery("horn", broker=broker_url, set_as_current=False)
    app.conf.update(
        broker_transport_options=broker_transport_options(settings),
        broker_connection_retry_on_startup=True,
        task_queues=[
            Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES
        ],
        task_default_queue="cpu",
        task_ignore_result=True,
        task_acks_late=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        # With acks_late a task whose broker connection is lost is redelivered. The running one
        # goes on: the job's lease makes the redelivered copy a no-op (`not_claimed`), where
        # cancelling it would restart the job from its checkpoint on every broker blip (the
        # chaos run: a Redis restart cost each running job an attempt).
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        # The filesystem transport polls folders; remote control would add one more to poll.
        worker_enable_remote_control=not settings.is_filesystem_broker,
    )
    return app
