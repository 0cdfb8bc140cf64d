"""What the page's DICOM header viewer shows for a file: a DICOM header and the JSON sidecar beside it.

For a DICOM file: the header of that instance or of another of its series (``index``). For a converted
image (``t1/s003.nii.gz``): the kept originals of its series (``t1/s003_dicom/*.dcm``, as import keeps them
when the project's ``keep_originals`` says so) and its JSON sidecar (``t1/s003.json``). A file with neither
gets an empty header and a note that says why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import File
from nora.archive.services.access import Access
from nora.archive.services.files import file_location
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput
from nora.dicom.dump import Element, dump
from nora.viewer.dicomseries import series_rows

MAX_SIDECAR = 4 << 20
_IMAGE_SUFFIX = re.compile(r"\.(nii|nii\.gz|nrrd|nhdr|mgh|mgz|hdr|img)$", re.IGNORECASE)
#: dcm2niix's suffixes of outputs that share one series' originals (echoes, phase, slice variation)
_OUTPUT_SUFFIX = re.compile(r"_(e\d+|ph|real|imaginary|i\d+|Eq_\d+|ROI\d+)$")


@dataclass
class HeaderView:
    path: str
    format: str
    instances: list[str] = field(default_factory=list)
    index: int = 0
    elements: list[Element] = field(default_factory=list)
    sidecar_path: str | None = None
    sidecar: dict[str, Any] | None = None
    note: str = ""


def _base(path: str) -> str:
    return _IMAGE_SUFFIX.sub("", path)


def _sibling(session: Session, row: File, path: str) -> File | None:
    return session.scalar(
        select(File).where(File.patient_id == row.patient_id, File.study_id == row.study_id, File.path == path)
    )


def kept_originals(session: Session, row: File) -> list[File]:
    """The DICOM files import kept for the series ``row`` was converted from, ordered by path."""
    base = _base(row.path)
    for candidate in dict.fromkeys((base, _OUTPUT_SUFFIX.sub("", base))):
        query = select(File).where(
            File.patient_id == row.patient_id,
            File.study_id == row.study_id,
            File.format == "dicom",
            File.path.startswith(f"{candidate}_dicom/", autoescape=True),
        )
        found = list(session.scalars(query.order_by(File.path)))
        if found:
            return found
    return []


def _read_sidecar(layout: Layout, session: Session, access: Access, sidecar: File, view: HeaderView) -> None:
    view.sidecar_path = sidecar.path
    path = file_location(session, layout, access, sidecar)
    try:
        if path.stat().st_size > MAX_SIDECAR:
            view.note = f"the sidecar {sidecar.path} is larger than {MAX_SIDECAR >> 20} MiB and is not shown"
            return
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        view.note = f"the sidecar {sidecar.path} cannot be read: {exc}"
        return
    if isinstance(value, dict):
        view.sidecar = value
    else:
        view.note = f"the sidecar {sidecar.path} is JSON but not an object"


def header_view(session: Session, access: Access, layout: Layout, row: File, index: int = 0) -> HeaderView:
    """The header of instance ``index`` of the file's series (or kept originals) and its sidecar."""
    view = HeaderView(path=row.path, format=row.format)
    if row.format == "dicom":
        instances = series_rows(session, access, row)
        if index == 0 and row in instances:
            index = instances.index(row)
    else:
        instances = kept_originals(session, row)
        sidecar = row if row.format == "json" else _sibling(session, row, f"{_base(row.path)}.json")
        if sidecar is not None:
            _read_sidecar(layout, session, access, sidecar, view)
    view.instances = [f.path for f in instances]
    if not instances:
        if not view.note:
            view.note = (
                f"{row.path} is {row.format or 'not DICOM'} and has no kept DICOM originals "
                f"({_base(row.path)}_dicom/); import keeps them when the project's keep_originals is on"
            )
        return view
    if not 0 <= index < len(instances):
        raise InvalidInput(
            f"instance {index} does not exist: the series has {len(instances)} (0 to {len(instances) - 1})"
        )
    view.index = index
    view.elements = dump(file_location(session, layout, access, instances[index]))
    return view
