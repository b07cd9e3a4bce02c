"""GPU slots of a worker host: each running job holds its own devices, no two jobs the same.

A worker is told its GPUs (`horn worker --gpus 0,1,2,3`, HORN_WORKER_GPUS) or finds them with
`nvidia-smi`. A job asking for `gpus: N` takes N free devices before it is claimed and keeps
them until its attempt ends; its box sees only those (`CUDA_VISIBLE_DEVICES` and their
`/dev/nvidia<N>` nodes). Holding a device is an exclusive `flock` on a file per device in a
folder shared by every worker process of the host, so Celery's child processes, several
workers on one host, and a process that dies (the kernel drops its locks) all stay correct.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Device nodes every CUDA process needs besides its GPUs' own /dev/nvidia<N>.
CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")


def parse_gpu_list(text: str) -> list[str]:
    """`"0,1,3"` -> `["0", "1", "3"]`; `""` -> `[]`.

    Raises:
        ValueError: for an entry that is not a device index, or a repeated one.
    """
    devices = [item.strip() for item in text.split(",") if item.strip()]
    bad = [item for item in devices if not item.isdigit()]
    if bad:
        raise ValueError(
            f"Expected GPU indices separated by commas, e.g. `0,1`. Received: {text!r}"
        )
    if len(set(devices)) != len(devices):
        raise ValueError(f"A GPU is listed twice. Received: {text!r}")
    return devices


@functools.lru_cache(maxsize=1)
def detect_gpus() -> tuple[str, ...]:
    """The host's GPU indices from `nvidia-smi` (asked once), or `()` when it is missing."""
    command = shutil.which("nvidia-smi")
    if command is None:
        return ()
    try:
        result = subprocess.run(
            [command, "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(parse_gpu_list(",".join(result.stdout.split())))


def worker_gpus(setting: str) -> list[str]:
    """The GPUs a worker hands out: HORN_WORKER_GPUS (`auto`: detected, `none`: none)."""
    value = setting.strip().lower()
    if value in ("", "auto"):
        return list(detect_gpus())
    if value == "none":
        return []
    return parse_gpu_list(value)


def device_nodes(devices: Iterable[str], dev: Path = Path("/dev")) -> list[str]:
    """The /dev nodes a box with `devices` needs: theirs and the control nodes (those present)."""
    names = [f"nvidia{device}" for device in devices]
    names += list(CONTROL_NODES) if names else []
    return [str(dev / name) for name in names if (dev / name).exists()]


@dataclass
class HeldDevices:
    """Devices taken by one attempt; `release()` (or leaving the `with`) gives them back."""

    devices: list[str]
    _files: list[int] = field(default_factory=list, repr=False)

    @property
    def cuda_visible_devices(self) -> str:
        """The value of CUDA_VISIBLE_DEVICES for the attempt's box."""
        return ",".join(self.devices)

    def release(self) -> None:
        """Unlocks the devices (idempotent)."""
        while self._files:
            descriptor = self._files.pop()
            with contextlib.suppress(OSError):
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def __enter__(self) -> HeldDevices:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class DeviceSlots:
    """The GPUs of one host and which are free.

    Args:
        devices: the GPU indices this worker hands out.
        lock_dir: a folder every worker process of the host shares (created, mode 700).
    """

    def __init__(self, devices: list[str], lock_dir: Path):
        self.devices = list(devices)
        self.lock_dir = Path(lock_dir)

    def acquire(self, count: int) -> HeldDevices | None:
        """Takes `count` free devices at once, or none.

        Returns:
            The held devices, or None while fewer than `count` are free.

        Raises:
            ValueError: if `count` is more than this host has (it can never run here).
        """
        if count > len(self.devices):
            raise ValueError(
                f"The job needs {count} GPUs; this worker has {len(self.devices)} "
                f"({self.devices or 'none'})."
            )
        self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        held = HeldDevices(devices=[])
        for device in self.devices:
            if len(held.devices) == count:
                break
            descriptor = os.open(
                self.lock_dir / f"gpu-{device}.lock", os.O_RDWR | os.O_CREAT, 0o600
            )
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            held.devices.append(device)
            held._files.append(descriptor)
        if len(held.devices) < count:
            held.release()
            return None
        return held
