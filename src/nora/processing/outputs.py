"""Registering a finished job's outputs in the archive, with their tags, inside its project only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nora.archive.services import files, tags
from nora.archive.services.access import Access
from nora.archive.storage import TMP_PREFIX, Layout
from nora.core.errors import NotFound, UnsafePath, UnsupportedFormat
from nora.processing.catalog import REGISTRARS


def _inside_project(access: Access, layout: Layout, path: Path) -> None:
    project, _pid, _sid, _rel = layout.locate(path)  # resolves symbolic links: UnsafePath outside the archive
    if project != access.project.name:
        raise UnsafePath(f"output {path} is not inside project {access.project.name!r}")


Registrar = Callable[[Session, Access, Layout, dict[str, Any], dict[str, Any]], list[int]]


def registrar(name: str) -> Registrar:
    """The output registrar a feature declares under ``name`` (the ``nora.output_registrars`` entry points)."""
    from importlib.metadata import entry_points

    for point in entry_points(group=REGISTRARS):
        if point.name == name:
            found: Registrar = point.load()
            return found
    raise NotFound(f"no output registrar {name!r} is installed (a feature's entry point is missing)")


def register_outputs(
    session: Session,
    access: Access,
    layout: Layout,
    outputs: Sequence[dict[str, Any]],
    spec: dict[str, Any] | None = None,
) -> list[str]:
    """Index every output file (a PATHOUT folder: every file in it) and add the output's tags.

    An output marked ``register`` (a built-in's ``ArgDecl.register``) is handed to that feature's registrar
    with the job's ``spec`` (an ROI: saved as the next version of the study's ROI, with its sidecar).

    Raises :class:`UnsafePath` when an output lies outside the project (also through a symbolic link) and
    :class:`NotFound` when one is missing; returns notes on files left unindexed (unsupported formats).
    """
    notes: list[str] = []
    for out in outputs:
        path = Path(str(out["path"]))
        _inside_project(access, layout, path)
        if out.get("register"):
            if not path.is_file():
                raise NotFound(f"output file {path} is missing")
            ids = registrar(str(out["register"]))(session, access, layout, dict(out), dict(spec or {}))
            if ids and out.get("tags"):
                tags.change_file_tags(session, access, ids, add=list(out["tags"]))
            continue
        if out.get("kind") == "dir":
            if not path.is_dir():
                raise NotFound(f"output folder {path} is missing")
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            if not path.is_file():
                raise NotFound(f"output file {path} is missing")
            candidates = [path]
        ids = []
        for candidate in candidates:
            _inside_project(access, layout, candidate)
            if candidate.name.startswith(TMP_PREFIX):
                continue
            try:
                ids.append(files.register_existing(session, access, layout, candidate).id)
            except UnsupportedFormat:
                notes.append(f"{candidate.name} kept but not indexed (format not supported by the archive)")
        if ids and out.get("tags"):
            tags.change_file_tags(session, access, ids, add=list(out["tags"]))
    return notes
