"""The Celery app of Horn's workers, built from the service settings."""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Exchange, Queue

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
        control.mkdir(parents=True, exist_ok=True)
        options.setdefault("control_folder", str(control))
        options["polling_interval"] = FILESYSTEM_POLLING_INTERVAL_S
    return options


def make_celery_app(settings: Any) -> Celery:
    """Builds the Celery app for `settings` (broker URL and transport options).

    Args:
        settings: the service settings.

    Returns:
        The app; the train task (`server.workers.tasks`) registers itself on every app.
    """
    app = Celery("horn", broker=settings.broker_url, set_as_current=False)
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
        # With acks_late a task whose broker connection is lost is redelivered; cancel the
        # running one so the job does not train twice (Celery docs,
        # worker_cancel_long_running_tasks_on_connection_loss).
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        # The filesystem transport polls folders; remote control would add one more to poll.
        worker_enable_remote_control=not settings.is_filesystem_broker,
    )
    return app
