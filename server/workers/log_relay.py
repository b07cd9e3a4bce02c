"""A job's output on its way out: the log file (capped) and the live stream (rate-limited)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from server.store.events import EventType

# Live log events per attempt: a burst, then a steady rate; every line still goes to the log file.
LOG_EVENT_BURST = 200
LOG_EVENTS_PER_S = 20.0
LOG_LINE_MAX_CHARS = 4000
# Lines of stderr kept to explain a crash.
STDERR_TAIL_LINES = 20


class LogRelay:
    """Writes what an attempt prints to the job's log file and to its live event stream.

    The file gets every line up to `max_mb` MiB (the report pipe counts too: user code can write
    to it); the stream gets a burst of `LOG_EVENT_BURST` lines, then `LOG_EVENTS_PER_S`, and a
    line saying how many were left out.

    Args:
        job_id: the job.
        publish: `publish(kind, data)`, which never raises (an event bus that is down costs the
            event, never the job).
        max_mb: the log file's cap (HORN_SANDBOX_LOG_MB).
    """

    def __init__(self, job_id: str, publish: Any, max_mb: int):
        self.job_id = job_id
        self.publish = publish
        self.max_bytes = max_mb * 1024 * 1024
        self.max_mb = max_mb
        self.file: Any = None
        self.written_bytes = 0
        self.truncated = False
        self.tokens = float(LOG_EVENT_BURST)
        self.clock = time.monotonic()
        self.dropped = 0
        self.stderr_tail: list[str] = []

    def open(self, path: Path) -> None:
        """Appends to the log file at `path` from now on."""
        self.file = open(path, "ab", buffering=0)  # noqa: SIM115 (closed by `close`)

    def close(self) -> None:
        """Closes the file and says how many lines the live stream left out."""
        if self.dropped:
            self._publish_summary()
        if self.file is not None:
            self.file.close()
            self.file = None

    def horn_line(self, line: str, live: bool = False) -> None:
        """A line of the worker or runner (not user output), marked `[horn]` in the file."""
        self._append(f"[horn] {line}\n".encode())
        if live:
            self.live(line, "runner")

    def output(self, stream: str, raw: bytes) -> None:
        """A line the job printed on `stream` (`stdout` or `stderr`)."""
        self._append(raw if raw.endswith(b"\n") else raw + b"\n")
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        if stream == "stderr":
            self.stderr_tail = (self.stderr_tail + [line])[-STDERR_TAIL_LINES:]
        self.live(line, stream)

    def live(self, line: str, stream: str) -> None:
        """Publishes a line on the live stream, within the rate."""
        now = time.monotonic()
        self.tokens = min(LOG_EVENT_BURST, self.tokens + (now - self.clock) * LOG_EVENTS_PER_S)
        self.clock = now
        if self.tokens < 1:
            self.dropped += 1
            return
        self.tokens -= 1
        if self.dropped:
            self._publish_summary()
        self.publish(EventType.LOG, {"line": line[:LOG_LINE_MAX_CHARS], "stream": stream})

    def _append(self, data: bytes) -> None:
        if self.truncated or self.file is None:
            return
        if self.written_bytes + len(data) <= self.max_bytes:
            self.file.write(data)
            self.written_bytes += len(data)
            return
        self.truncated = True
        self.file.write(
            f"[horn] Log truncated: the job printed more than {self.max_mb} MiB "
            "(HORN_SANDBOX_LOG_MB); later output is dropped.\n".encode()
        )

    def _publish_summary(self) -> None:
        dropped, self.dropped = self.dropped, 0
        self.publish(
            EventType.LOG,
            {
                "line": f"[{dropped} log lines left out of the live stream; the full log is at "
                f"GET /v1/jobs/{self.job_id}/logs]",
                "stream": "runner",
            },
        )
