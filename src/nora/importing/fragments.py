"""Series already partly in the project: an interrupted transfer or import left a fragment of them.

A C-STORE association aborted after 31 of 300 instances is imported after the node's timeout as a
31-slice volume; when the sender re-sends the study, the other 269 instances belong to a series the
project already has. Instead of a second, partial volume beside the first, the series is converted again
from all its instances and the fragment's files are replaced under the same names (their rows, ids and
tags kept), provided the source holds every instance of the fragment again; otherwise the new instances
are stored beside it, with a warning.

Replacing is crash-safe like every placement: each replaced file is renamed aside (``.nora-tmp-frag-*``)
and listed in the job's journal before the new file takes its name; after the commit the asides are
deleted, after a failure (or, for a crash, at the job's recovery: :func:`settle_asides`) they are renamed
back unless the new rows were committed.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File
from nora.archive.storage import TMP_PREFIX
from nora.importing.models import ImportedInstance

#: what may follow a series' base name in its own files (dcm2niix suffixes, kept originals, objects);
#: ``_2``, ``_3`` ... (a name clash: another series) may not
_OWN_SUFFIX = re.compile(r"^(\.[^/]+$|_dicom/|_\d{3}\.dcm$|_(?!\d+(?:[._/]|$))[^/]+$)")


@dataclass(frozen=True)
class Fragment:
    """A series of which the project already holds some instances, in one study."""

    series_uid: str
    study_id: int
    base: str  # the series' files are ``base + suffix`` in the study folder
    sops: frozenset[str]


def base_of(series_path: str) -> str:
    """The base name of a series from its ``imported_instances.series_path``.

    Rows written since fragments are replaced hold the base itself; older rows hold the first of the
    series' files (``t1/s001.json``, ``obj/s002_001.dcm``).
    """
    folder, _, name = series_path.rpartition("/")
    stem = name.split(".", 1)[0] if "." in name else name
    if name.endswith(".dcm"):
        stem = re.sub(r"_\d{3}$", "", stem)
    return f"{folder}/{stem}" if folder else stem


def find_fragments(session: Session, project_id: int, series_uids: Iterable[str]) -> dict[str, Fragment]:
    """The series among ``series_uids`` the project already holds instances of (the latest study's)."""
    uids = list(series_uids)
    found: dict[str, tuple[int, str, set[str]]] = {}
    for k in range(0, len(uids), 500):
        rows = session.execute(
            select(
                ImportedInstance.series_uid,
                ImportedInstance.study_id,
                ImportedInstance.series_path,
                ImportedInstance.sop_uid,
            )
            .where(ImportedInstance.project_id == project_id, ImportedInstance.series_uid.in_(uids[k : k + 500]))
            .order_by(ImportedInstance.id)
        )
        for uid, study_id, path, sop in rows:
            entry = found.setdefault(uid, (study_id, path, set()))
            if entry[0] == study_id:
                entry[2].add(sop)
    return {
        uid: Fragment(uid, study_id, base_of(path), frozenset(sops))
        for uid, (study_id, path, sops) in found.items()
        if path
    }


def fragment_files(session: Session, study_id: int, base: str) -> list[File]:
    """The ``files`` rows of the series stored under ``base`` in the study (not those of ``base_2``)."""
    rows = session.scalars(select(File).where(File.study_id == study_id, File.path.startswith(base, autoescape=True)))
    return [f for f in rows if _OWN_SUFFIX.match(f.path[len(base) :])]


def set_aside(path: Path) -> Path:
    """Rename ``path`` to a hidden name beside it (a leftover-cleaner never takes it for an upload's)."""
    aside = path.with_name(f"{TMP_PREFIX}frag-{secrets.token_hex(4)}-{path.name}")
    os.replace(path, aside)
    return aside


def settle_asides(session: Session, asides: list[tuple[str, str]], committed_sop: str, project_id: int) -> None:
    """After a crash: delete the replaced files when the replacement was committed, else put them back."""
    committed = bool(committed_sop) and (
        session.scalar(
            select(ImportedInstance.id).where(
                ImportedInstance.project_id == project_id, ImportedInstance.sop_uid == committed_sop
            )
        )
        is not None
    )
    for aside_name, original in asides:
        aside, path = Path(aside_name), Path(original)
        if not aside.exists():
            continue
        if committed:
            aside.unlink()
        else:
            os.replace(aside, path)
