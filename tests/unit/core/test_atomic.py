"""The one atomic write (nora.core.atomic), and that every writer of the tree goes through it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from nora.archive import storage
from nora.core import atomic
from nora.core.atomic import atomic_write, atomic_write_json, promote, write_durable
from nora.core.errors import TooLarge, UnsafePath
from nora.dicom.net.spool import Spool
from nora.processing import runner


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What is fsynced, as ``dir:NAME`` / ``file:NAME`` (the real fsync still runs)."""
    seen: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        seen.append(f"{kind}:{Path(os.readlink(f'/proc/self/fd/{fd}')).name}")
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return seen


def test_atomic_write_leaves_nothing_on_refusal(tmp_path: Path) -> None:
    dest = tmp_path / "f.bin"
    with pytest.raises(TooLarge, match=r"^f\.bin is larger than the limit of 10 bytes$"):
        atomic_write(dest, b"x" * 100, max_bytes=10)

    def refuse(_p: Path) -> None:
        raise UnsafePath("no")

    with pytest.raises(UnsafePath):
        atomic_write(dest, b"data", check=refuse)
    assert list(tmp_path.iterdir()) == []
    written = atomic_write(dest, b"data")
    assert dest.read_bytes() == b"data" and written.size == 4 and written.path == dest


def test_a_stream_is_written_whole_with_its_digest(tmp_path: Path) -> None:
    import hashlib
    import io

    data = os.urandom(3 * atomic.CHUNK + 17)
    written = atomic_write(tmp_path / "deep" / "f.bin", io.BytesIO(data))
    assert (tmp_path / "deep" / "f.bin").read_bytes() == data
    assert written.sha256 == hashlib.sha256(data).hexdigest()


def test_the_file_and_then_its_folder_are_fsynced(tmp_path: Path, synced: list[str]) -> None:
    atomic_write_json(tmp_path / "doc.json", {"b": 1, "a": [1, 2]})
    assert synced[0].startswith(f"file:{atomic.TMP_PREFIX}") and synced[-1] == f"dir:{tmp_path.name}"
    assert json.loads((tmp_path / "doc.json").read_text()) == {"a": [1, 2], "b": 1}


def test_the_job_runner_and_the_archive_use_this_one_implementation(tmp_path: Path, synced: list[str]) -> None:
    assert runner.write_json is atomic_write_json and storage.atomic_write is atomic_write
    assert storage.TMP_PREFIX == runner.TMP_PREFIX == atomic.TMP_PREFIX
    folder = tmp_path / "job"
    folder.mkdir()
    runner.write_json(folder / "result.json", {"status": "done"})
    assert synced[-1] == "dir:job"  # the runner's records survive a crash of the node (it did not fsync the folder)


def test_promote_renames_and_syncs_the_folder(tmp_path: Path, synced: list[str]) -> None:
    tmp = write_durable(tmp_path / ".part", b"abc").path
    (tmp_path / "out").mkdir()
    promote(tmp, tmp_path / "out" / "final.bin")
    assert not tmp.exists() and (tmp_path / "out" / "final.bin").read_bytes() == b"abc"
    assert synced == ["file:.part", "dir:out"]


def test_a_refused_durable_write_removes_its_partial_file(tmp_path: Path) -> None:
    with pytest.raises(TooLarge):
        write_durable(tmp_path / "x.part", b"x" * 10, max_bytes=5, label="upload.nii")
    keep = tmp_path / "kept.bin"
    keep.write_bytes(b"kept")
    with pytest.raises(FileExistsError):
        write_durable(keep, b"")  # never over an existing name, which stays
    assert keep.read_bytes() == b"kept"
    keep.unlink()
    assert list(tmp_path.iterdir()) == []


def test_the_dicom_spool_writes_durably_and_syncs_the_series_folder(tmp_path: Path, synced: list[str]) -> None:
    dest = Spool(tmp_path).store("NORA", "1.2.3", "1.2.3.4", "1.2.3.4.5", b"DICM")
    assert dest.read_bytes() == b"DICM" and synced[-1] == "dir:1.2.3.4"
    assert synced[0].startswith("file:") and synced[0].endswith(".part")


def test_replace_json_renames_into_place_without_fsync(tmp_path: Path, synced: list[str]) -> None:
    """For records one boot reads back (a local job's spec and process record): atomic, not durable."""
    atomic.replace_json(tmp_path / "process.json", {"pid": 1, "start": "2"})
    atomic.replace_json(tmp_path / "process.json", {"pid": 3, "start": "4"})
    assert json.loads((tmp_path / "process.json").read_text()) == {"pid": 3, "start": "4"}
    assert [p.name for p in tmp_path.iterdir()] == ["process.json"] and synced == []
