"""The on-disk layout of the archive; atomic writes (from :mod:`nora.core.atomic`, re-exported here).

Layout (as NORA): ``<home>/projects/<project>/<patient_id>/<study_id>/<series folder>/<file>``; patient-level
files sit in ``<home>/projects/<project>/<patient_id>/``. Every name that comes from outside goes through
:func:`safe_relpath` or :func:`nora.core.ids.check_name` so no path ever leaves its project folder.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from nora.core.atomic import CHUNK
from nora.core.atomic import TMP_PREFIX as TMP_PREFIX
from nora.core.atomic import WrittenFile as WrittenFile
from nora.core.atomic import atomic_write as atomic_write
from nora.core.atomic import atomic_write_json as atomic_write_json
from nora.core.errors import UnsafePath
from nora.core.ids import MAX_NAME_BYTES, check_name, unsafe_character

#: folders of a patient that hold patient-level files, not a study (NORA keeps marker sets in ``annotations/``)
PATIENT_FOLDERS = frozenset({"annotations"})

_BAD_SEGMENT = re.compile(r"[\x00-\x1f\x7f\\:*?\"<>|]")


def safe_relpath(relpath: str) -> str:
    """Normalise a relative path from outside (``folder/file.nii.gz``) or raise :class:`UnsafePath`.

    Refused: absolute paths, ``..`` or ``.`` segments, empty segments, backslashes, control (C0, C1),
    bidirectional and zero-width characters, segments starting with a dot, more than 8 levels, segments of
    more than 255 bytes (UTF-8).
    """
    if not isinstance(relpath, str) or not relpath.strip():
        raise UnsafePath("empty file path")
    if relpath.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", relpath):
        raise UnsafePath(f"file path {relpath!r} must be relative to its study folder")
    parts = relpath.strip().split("/")
    if len(parts) > 8:
        raise UnsafePath(f"file path {relpath!r} is nested too deeply (at most 8 levels)")
    for part in parts:
        invisible = unsafe_character(part)
        if invisible is not None:
            raise UnsafePath(
                f"unsafe file path {relpath!r}: segment {part!r} contains the character {invisible} "
                "(control, bidirectional and zero-width characters are not allowed)"
            )
        if len(part.encode()) > MAX_NAME_BYTES:
            raise UnsafePath(f"file name {part[:40]!r}... is too long (at most {MAX_NAME_BYTES} bytes of UTF-8)")
        if part in ("", ".", "..") or part.startswith(".") or _BAD_SEGMENT.search(part):
            raise UnsafePath(
                f"unsafe file path {relpath!r}: segment {part!r} is not allowed "
                "(no '..', no leading dots, no control or special characters)"
            )
    return "/".join(parts)


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
        if sid.lower() in PATIENT_FOLDERS:
            raise UnsafePath(f"invalid study ID {sid!r}: {sid!r} is the patient's folder of annotations")
        return self.patient_dir(project, pid) / check_name(sid, "study ID")

    def node_dir(self, project: str, pid: str, sid: str | None) -> Path:
        return self.study_dir(project, pid, sid) if sid else self.patient_dir(project, pid)

    def file_path(self, project: str, pid: str, sid: str | None, relpath: str) -> Path:
        return self.node_dir(project, pid, sid) / safe_relpath(relpath)

    def locate(self, path: Path) -> tuple[str, str, str | None, str]:
        """Split an absolute path inside the archive into (project, pid, sid or None, relpath).

        A path with two levels below the patient folder or more is a study file; one directly in the
        patient folder, or in one of its :data:`PATIENT_FOLDERS`, is a patient-level file. Raises
        :class:`UnsafePath` for paths outside the archive.
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
        if len(parts) == 3 or parts[2] in PATIENT_FOLDERS:
            return project, pid, None, safe_relpath("/".join(parts[2:]))
        return project, pid, parts[2], safe_relpath("/".join(parts[3:]))


def file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()
