"""The artifact store: paths, atomic writes and the permissions of its root."""

from __future__ import annotations

import os
import pwd

import pytest

from server.store.artifacts import ArtifactStore


def test_root_is_closed_to_other_users(tmp_path):
    root = tmp_path / "data"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    store = ArtifactStore(root)
    assert root.stat().st_mode & 0o777 == 0o700
    dataset = store.dataset_path("ten_a", "ds_a")
    store.write_bytes_atomic(dataset, b"data")
    assert dataset.read_bytes() == b"data"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the folder to another user")
def test_root_of_another_user_is_left_as_it_is(tmp_path):
    root = tmp_path / "shared"
    root.mkdir()
    os.chmod(root, 0o755)
    nobody = pwd.getpwnam("nobody")
    os.chown(root, nobody.pw_uid, nobody.pw_gid)
    ArtifactStore(root)
    assert root.stat().st_mode & 0o777 == 0o755


def test_resolve_refuses_paths_outside_the_root(tmp_path):
    store = ArtifactStore(tmp_path / "data")
    with pytest.raises(ValueError, match="Expected a path inside"):
        store.resolve("../elsewhere")


def test_abandoned_temporary_files_are_swept_and_live_ones_kept(tmp_path):
    # Issue 12, item 10: kill -9 of the API mid-upload left its temporary file forever.
    import os
    import time

    from server.store.artifacts import ArtifactStore

    store = ArtifactStore(tmp_path / "data")
    dataset = store.dataset_path("ten_1", "ds_1")
    abandoned = store.temp_path_for(dataset)
    abandoned.write_bytes(b"half an upload")
    old = time.time() - 7200
    os.utime(abandoned, (old, old))
    live = store.temp_path_for(dataset)
    live.write_bytes(b"being written")
    checkpoint = store.temp_path_for(store.checkpoint_path("job_1", 1))
    checkpoint.write_bytes(b"half a copy")
    os.utime(checkpoint, (old, old))
    work = store.job_dir("job_1") / "work"
    work.mkdir()
    users_file = work / ".mine.tmp"  # a box's own file: not Horn's to remove
    users_file.write_bytes(b"x")
    os.utime(users_file, (old, old))
    assert sorted(store.sweep_temp_files()) == sorted([abandoned, checkpoint])
    assert live.exists() and users_file.exists() and not abandoned.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="handing files over needs root (the worker's case)")
def test_what_root_writes_is_handed_to_the_data_dirs_owner(tmp_path):
    """compose: the worker (root) writes checkpoints the API (uid 10001) must read."""
    root = tmp_path / "data"
    root.mkdir()
    os.chown(root, 10001, 10001)
    store = ArtifactStore(root)
    box_folder = store.job_dir("job_1") / "work-1"
    box_folder.mkdir(parents=True)
    os.chown(box_folder, 2100000001, 2100000001)  # a box's work folder keeps its uid
    checkpoint = store.checkpoint_path("job_1", 1)
    store.write_chunks_atomic(checkpoint, [b"PK..."])
    for path in (checkpoint, checkpoint.parent, store.job_dir("job_1"), root / "jobs"):
        assert (path.stat().st_uid, path.stat().st_gid) == (10001, 10001), path
    assert box_folder.stat().st_uid == 2100000001
    # Owned by root itself: nothing to hand over, nothing changes.
    os.chown(root, 0, 0)
    ArtifactStore(root).write_bytes_atomic(root / "jobs" / "job_2" / "job.json", b"{}")
    assert (root / "jobs" / "job_2" / "job.json").stat().st_uid == 0
