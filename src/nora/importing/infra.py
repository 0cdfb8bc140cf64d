"""The services an import works with: the database, the data root and the DICOM converter.

They are the same for every import of a process; an import's own rules are its
:class:`nora.importing.policy.ImportPolicy` and what changes while it runs is its
:class:`nora.importing.record.ImportRun`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from nora.archive.storage import Layout
from nora.dicom.convert import Converter, Dcm2niix


@dataclass(frozen=True)
class ImportServices:
    """Database sessions, the data root's layout and the converter (dcm2niix unless given)."""

    sessions: sessionmaker[Session]
    layout: Layout
    converter: Converter = field(default_factory=Dcm2niix)
