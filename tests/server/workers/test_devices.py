"""GPU slots with fake device lists: disjoint devices per job, across processes too."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.workers.devices import DeviceSlots, device_nodes, parse_gpu_list, worker_gpus


def test_two_jobs_on_a_two_gpu_worker_get_disjoint_devices(tmp_path):
    slots = DeviceSlots(["0", "1"], tmp_path / "locks")
    first = slots.acquire(1)
    second = slots.acquire(1)
    assert first is not None and second is not None
    assert {first.cuda_visible_devices, second.cuda_visible_devices} == {"0", "1"}
    assert slots.acquire(1) is None  # both taken: the third waits
    first.release()
    third = slots.acquire(1)
    assert third is not None and third.devices == first.devices
    second.release()
    third.release()
    with slots.acquire(2) as both:
        assert both.cuda_visible_devices == "0,1"
        assert slots.acquire(1) is None


def test_a_job_wanting_more_than_the_host_has_is_refused(tmp_path):
    with pytest.raises(ValueError, match="needs 3 GPUs; this worker has 2"):
        DeviceSlots(["0", "1"], tmp_path).acquire(3)


def test_all_or_nothing_when_some_are_taken(tmp_path):
    slots = DeviceSlots(["0", "1", "2"], tmp_path)
    held = slots.acquire(2)
    assert slots.acquire(2) is None
    one = slots.acquire(1)  # the refused request left nothing locked
    assert one is not None and one.devices == ["2"]
    held.release()
    one.release()


def test_another_process_holding_a_device_is_respected_until_it_dies(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from server.workers.devices import DeviceSlots\n"
            f"held = DeviceSlots(['0', '1'], Path({str(tmp_path)!r})).acquire(1)\n"
            "print(held.cuda_visible_devices, flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        taken_elsewhere = holder.stdout.readline().strip()
        assert taken_elsewhere == "0"
        mine = DeviceSlots(["0", "1"], tmp_path).acquire(1)
        assert mine is not None and mine.devices == ["1"]
        mine.release()
        assert DeviceSlots(["0", "1"], tmp_path).acquire(2) is None
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the dead process's lock.
    assert DeviceSlots(["0", "1"], tmp_path).acquire(2) is not None


@pytest.mark.parametrize("text", ["0,x", "0,0", "-1"])
def test_bad_gpu_lists_name_the_value(text):
    with pytest.raises(ValueError, match=repr(text).replace("(", r"\(")):
        parse_gpu_list(text)


def test_worker_gpus_setting():
    assert worker_gpus("0, 2") == ["0", "2"]
    assert worker_gpus("none") == []
    assert isinstance(worker_gpus("auto"), list)  # nvidia-smi's answer, or [] without one


def test_device_nodes_are_the_jobs_and_the_control_nodes_present(tmp_path):
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm"):
        (tmp_path / name).touch()
    assert device_nodes(["1"], tmp_path) == [
        str(tmp_path / "nvidia1"),
        str(tmp_path / "nvidiactl"),
        str(tmp_path / "nvidia-uvm"),
    ]
    assert device_nodes([], tmp_path) == []
