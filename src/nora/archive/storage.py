"""The on-disk layout of the archive and atomic writes.

Layout (as NORA): ``<home>/projects/<project>/<patient_id>/<study_id>/<series folder>/<file>``; patient-level
files sit in ``<home>/projects/<project>/<patient_id>/``. Every name that comes from outside goes through
:func:`safe_relpath` or :func:`nora.core.ids.check_name` so no path ever leaves its project folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from nora.core.errors import TooLarge, UnsafePath
from nora.core.fsync import fsync_path
from nora.core.ids import check_name

TMP_PREFIX = ".nora-tmp-"
_BAD_SEGMENT = re.compile(r"[\x00-\x1f\x7f\\:*?\"<>|]")
CHUNK = 1 << 20


def safe_relpath(relpath: str) -> str:
    """Normalise a relative path from outside (``folder/file.nii.gz``) or raise :class:`UnsafePath`.

    Refused: absolute paths, ``..`` or ``.`` segments, empty segments, backslashes, control characters,
    segments starting with a dot, more than 8 levels, more than 255 characters per segment.
    """
    if not isinstance(relpath, str) or not relpath.strip():
        raise UnsafePath("empty file path")
    if relpath.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", relpath):
        raise UnsafePath(f"file path {relpath!r} must be relative to its study folder")
    parts = relpath.strip().split("/")
    if len(parts) > 8:
        raise UnsafePath(f"file path {relpath!r} is nested too deeply (at most 8 levels)")
    for part in parts:
        if part in ("", ".", "..") or part.startswith(".") or _BAD_SEGMENT.search(part) or len(part) > 255:
            raise UnsafePath(
                f"unsafe file path {relpath!r}: segment {part!r} is not allowed "
                "(no '..', no leading dots, no control or special characters)"
            )
    return "/".join(parts)


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    size: int
    sha256: str


class Layout:
    """Paths of the archive under one data root."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.projects = home / "projects"

    def project_dir(self, project: str) -> Path:
        return self.projects / check_name(project, "project name")

    def patient_dir(self, project: str, pid: str) -> Path:
        return self.project_dir(project) / check_name(pid, "patient ID")

    def study_dir(self, project: str, pid: str, sid: str) -> Path:
        return self.patient_dir(project, pid) / check_name(sid, "study ID")

    def node_dir(self, project: str, pid: str, sid: str | None) -> Path:
        return self.study_dir(project, pid, sid) if sid else self.patient_dir(project, pid)

    def file_path(self, project: str, pid: str, sid: str | None, relpath: str) -> Path:
        return self.node_dir(project, pid, sid) / safe_relpath(relpath)

    def locate(self, path: Path) -> tuple[str, str, str | None, str]:
        """Split an absolute path inside the archive into (project, pid, sid or None, relpath).

        A path with two levels below the patient folder or more is a study file; one directly in the
        patient folder is a patient-level file. Raises :class:`UnsafePath` for paths outside the archive.
        """
        resolved = path.resolve()
        try:
            rel = resolved.relative_to(self.projects.resolve())
        except ValueError:
            raise UnsafePath(f"{path} is not inside the archive {self.projects}") from None
        parts = rel.parts
        if len(parts) < 3:
            raise UnsafePath(f"{path} is not inside a patient folder (projects/<project>/<patient>/...)")
        project, pid = parts[0], parts[1]
        if len(parts) == 3:
            return project, pid, None, safe_relpath(parts[2])
        return project, pid, parts[2], safe_relpath("/".join(parts[3:]))


def atomic_write(
    dest: Path,
    source: IO[bytes] | bytes,
    *,
    max_bytes: int | None = None,
    check: Callable[[Path], object] | None = None,
) -> WrittenFile:
    """Write ``source`` to ``dest`` atomically: temporary name in the same folder, fsync, rename.

    A crash or an error leaves no half-written file under the real name. ``max_bytes`` limits the size
    (:class:`TooLarge` when exceeded); ``check`` is called with the complete temporary file before the
    rename and may raise to refuse it. On any error the temporary file is removed.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f"{TMP_PREFIX}{secrets.token_hex(8)}-{dest.name[:64]}"
    digest = hashlib.sha256()
    size = 0
    try:
        with open(tmp, "xb") as out:
            chunks: Iterable[bytes] = [source] if isinstance(source, bytes) else iter(lambda: source.read(CHUNK), b"")
            for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(f"{dest.name} is larger than the limit of {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, dest)
        fsync_path(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WrittenFile(dest, size, digest.hexdigest())


def atomic_write_json(dest: Path, data: Any) -> WrittenFile:
    return atomic_write(dest, json.dumps(data, indent=2, sort_keys=True, default=str).encode())


def file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()
