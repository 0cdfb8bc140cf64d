"""Making many new files durable at once: one syncfs per filesystem, an fsync each where there is none."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nora.core import fsync


def _files(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"f{k}.bin" for k in range(n)]
    for path in paths:
        path.write_bytes(os.urandom(1024))
    return paths


def test_one_syncfs_per_filesystem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = _files(tmp_path / "a", 5)
    shm = Path("/dev/shm")
    other = _files(shm / f"nora-test-{os.getpid()}-{tmp_path.name}", 3) if shm.is_dir() else []
    synced: list[int] = []
    real = fsync._syncfs

    def counting(path: Path) -> bool:
        synced.append(os.stat(path).st_dev)
        return real(path)

    monkeypatch.setattr(fsync, "_syncfs", counting)
    try:
        fsync.fsync_files([*here, *other])
    finally:
        for path in other:
            path.unlink()
        if other:
            other[0].parent.rmdir()
    assert sorted(synced) == sorted({os.stat(p).st_dev for p in here} | ({shm.stat().st_dev} if other else set()))
    assert real(here[0]) is True  # this machine (Linux) has syncfs


def test_without_syncfs_each_file_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _files(tmp_path, 4)
    monkeypatch.setattr(fsync, "_libc", lambda: None)
    fsynced: list[Path] = []
    real = fsync.fsync_path
    monkeypatch.setattr(fsync, "fsync_path", lambda p: (fsynced.append(p), real(p))[1])
    fsync.fsync_files(paths)
    assert fsynced == paths
