"""What a worker process holds for its jobs: database sessions, event bus, artifact store.

With `HORN_ARTIFACTS_URL` the artifact store is S3: its bucket is checked when a process
creates its resources, and an unreachable one raises `ArtifactStoreUnavailableError`, whose
message names the setting to check.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

from server.config import get_settings
from server.store.artifacts import ArtifactStore
from server.store.db import make_engine, session_factory
from server.store.events import make_event_bus


@dataclasses.dataclass
class WorkerResources:
    """Per-process handles: database sessions, event bus, artifact store."""

    settings: Any
    sessions: Any
    bus: Any
    artifacts: ArtifactStore


_resources: dict[int, WorkerResources] = {}
_resources_lock = threading.Lock()


def worker_resources() -> WorkerResources:
    """Returns this process's resources, created on first use after each fork."""
    pid = os.getpid()
    with _resources_lock:
        resources = _resources.get(pid)
        if resources is None:
            settings = get_settings()
            artifacts = ArtifactStore.from_settings(settings)
            sessions = session_factory(make_engine(settings.database_url))
            resources = _resources[pid] = WorkerResources(
                settings=settings,
                sessions=sessions,
                bus=make_event_bus(settings, sessions),
                artifacts=artifacts,
            )
        return resources
