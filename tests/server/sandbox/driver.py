"""Starts boxes for the escape tests, in the test process or as a separate (unprivileged) driver.

`Boxes` runs boxes with `server.workers.sandbox.start_box` and collects their output. The test
process uses it directly when it is root; for the `user` mode the same class runs in a driver
process under an ordinary uid (`python driver.py` reads one JSON request a line on stdin and
answers one JSON line on stdout), reached through `RemoteBoxes`.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from server.config import Settings
from server.workers.sandbox import Bind, BoxLimits, BoxProcess, start_box

# Runs the model sources bound at /job/attacks/*.py (or the ones named) one after the other, the
# way the runner imports a model source: its top-level code runs in the boxed process.
RUN_ATTACKS = """
import glob, runpy, sys, traceback
for path in {paths!r} or sorted(glob.glob('/job/attacks/*.py')):
    try:
        runpy.run_path(path, run_name='horn_model')
    except BaseException as exc:
        print('ATTACK-CRASH', path, repr(exc), traceback.format_exc(), flush=True)
"""


@dataclasses.dataclass
class _Running:
    box: BoxProcess
    lines: list[str]
    done: threading.Event
    changed: threading.Condition


class Boxes:
    """The boxes of one tenant-facing worker: start, read, wait, stop."""

    def __init__(self, data_dir: str) -> None:
        self.settings = Settings(data_dir=data_dir, _env_file=None)
        self.running: dict[str, _Running] = {}

    def start(
        self,
        name: str,
        binds: list[list[Any]],
        cwd: str,
        limits: dict[str, Any] | None = None,
        attacks: list[str] | None = None,
        probe: str | None = None,
    ) -> dict[str, Any]:
        """Starts box `name` running the attack sources `attacks` (all bound ones when empty)
        or the probe code `probe`; returns the launcher's pid."""
        code = probe if probe is not None else RUN_ATTACKS.format(paths=attacks or [])
        base = BoxLimits.from_settings(self.settings, cpu_seconds=120)
        box = start_box(
            "server.workers.sandbox",
            ["--probe", code],
            binds=[
                Bind(Path(source), target, bool(writable)) for source, target, writable in binds
            ],
            cwd=cwd,
            limits=dataclasses.replace(base, **(limits or {})),
            settings=self.settings,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        running = _Running(box, [], threading.Event(), threading.Condition())
        self.running[name] = running
        threading.Thread(target=self._read, args=(running,), daemon=True).start()
        return {"pid": box.pid}

    def _read(self, running: _Running) -> None:
        for raw in running.box.process.stdout:
            with running.changed:
                running.lines.append(raw.decode(errors="replace").rstrip("\n"))
                running.changed.notify_all()
        with running.changed:
            running.done.set()
            running.changed.notify_all()

    def readline(self, name: str, prefix: str, timeout: float) -> dict[str, Any]:
        """Waits for an output line of box `name` that starts with `prefix`."""
        running = self.running[name]
        deadline = time.monotonic() + timeout
        with running.changed:
            while True:
                for line in running.lines:
                    if line.startswith(prefix):
                        return {"line": line}
                left = deadline - time.monotonic()
                if left <= 0 or running.done.is_set():
                    return {"line": None, "output": "\n".join(running.lines)}
                running.changed.wait(left)

    def wait(self, name: str, timeout: float) -> dict[str, Any]:
        """Waits until box `name` ends (stopping it after `timeout`); returns how it ended."""
        running = self.running[name]
        timed_out = False
        try:
            running.box.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            running.box.stop(grace_s=0.1)
        return self._result(running, timed_out=timed_out)

    def stop(self, name: str, grace_s: float) -> dict[str, Any]:
        """`BoxProcess.stop(grace_s)` on box `name`; returns how it ended and how long it took."""
        running = self.running[name]
        started = time.monotonic()
        running.box.stop(grace_s=grace_s)
        elapsed = time.monotonic() - started
        return {**self._result(running, timed_out=False), "elapsed": elapsed}

    def _result(self, running: _Running, timed_out: bool) -> dict[str, Any]:
        running.box.poll()
        # The output pipe closes when the last process holding it is gone; a process that
        # outlived its box keeps it open, so do not wait long for that.
        running.done.wait(5)
        with running.changed:
            output = "\n".join(running.lines)
        return {
            "returncode": running.box.returncode,
            "status": running.box.status,
            "output": output,
            "timed_out": timed_out,
            "output_closed": running.done.is_set(),
        }

    def close(self) -> dict[str, Any]:
        """Stops every box still running."""
        for running in self.running.values():
            if running.box.poll() is None:
                running.box.stop(grace_s=0.1)
        return {}


class RemoteBoxes:
    """`Boxes` in a driver process: `start`, `readline`, `wait`, `stop` and `close` by JSON."""

    def __init__(self, command: list[str], data_dir: str, env: dict[str, str], cwd: str) -> None:
        self.process = subprocess.Popen(
            [*command, sys.executable, "-B", __file__, data_dir],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            text=True,
        )
        hello = self.process.stdout.readline()
        if not hello:
            self.process.wait(10)
            raise RuntimeError(f"the driver did not start: {self.process.stderr.read()}")
        self.hello = json.loads(hello)

    def _call(self, op: str, **kwargs: Any) -> dict[str, Any]:
        self.process.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the driver ended: {self.process.stderr.read()}")
        reply = json.loads(answer)
        if "error" in reply:
            raise RuntimeError(f"the driver failed on {op}: {reply['error']}")
        return reply

    def __getattr__(self, op: str):
        if op not in ("start", "readline", "wait", "stop"):
            raise AttributeError(op)
        return lambda *args, **kwargs: self._call(op, args=list(args), kwargs=kwargs)

    def close(self) -> dict[str, Any]:
        """Stops the driver's boxes and the driver."""
        try:
            self._call("close", args=[], kwargs={})
            self.process.stdin.close()
            self.process.wait(30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        return {}


def main() -> None:
    """The driver: one JSON request a line on stdin, one JSON answer a line on stdout."""
    import os
    import traceback

    boxes = Boxes(sys.argv[1])
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the answer channel
    out.write(json.dumps({"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups()}))
    out.write("\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = getattr(boxes, request["op"])(*request["args"], **request["kwargs"])
        except Exception:  # noqa: BLE001 - sent to the test, which raises it there
            answer = {"error": traceback.format_exc()}
        out.write(json.dumps(answer) + "\n")
        out.flush()
        if request["op"] == "close":
            break


if __name__ == "__main__":
    main()
