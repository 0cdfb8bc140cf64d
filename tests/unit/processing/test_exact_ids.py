"""Batches select by ids: rows and study references never reach other patients.

``P1`` and ``p1`` are two patients (IDs are exact); a study reference is one term (``LATEST *`` is refused
instead of also selecting every patient); the monitor's search takes ``_`` and ``%`` literally. The
selection language users type (``select``) stays case-insensitive, as documented.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nora.archive.services import nodes
from nora.archive.services.files import Upload, store_uploads
from nora.core.errors import InvalidInput, NotFound
from nora.core.ids import Psid
from nora.processing.models import Batch, Job
from nora.processing.service import LaunchRequest, launch, list_jobs, save_batch
from tests.unit.processing.conftest import NIFTI, World


def _cat(ref: str = "", level: str = "study", label: str = "") -> dict[str, object]:
    return {
        "level": level,
        "jobs": [
            {
                "job": "bash",
                "label": label,
                "script": "cat $f1",
                "args": [{"name": "f1", "type": "FILE", "value": "t1_mprage/*.nii", "ref": ref}],
            }
        ],
    }


@pytest.fixture
def twins(local_world: World) -> World:
    """``P1`` (MR1 2024-01, MR2 2024-06) beside ``p1`` (MR1 2025-01: the latest study of either)."""
    with local_world.sessions() as s:
        access = local_world.access(s)
        for pid, studies in (("P1", (("MR1", "2024-01-01"), ("MR2", "2024-06-01"))), ("p1", (("MR1", "2025-01-01"),))):
            patient = nodes.create_patient(s, access, local_world.layout, pid)
            for sid, date in studies:
                study = nodes.create_study(s, access, local_world.layout, patient, sid, study_date=date)
                upload = Upload("t1_mprage/s001.nii", io.BytesIO(NIFTI))
                store_uploads(s, access, local_world.layout, patient, study, [upload])
        s.commit()
    return local_world


def _inputs(world: World, batch: dict[str, object], **request: object) -> list[tuple[str, str]]:
    """``(psid, input path relative to the project)`` of every job the launch creates (errors fail)."""
    with world.sessions() as s:
        row = launch(s, world.access(s), world.layout, world.config.processing, LaunchRequest(batch=batch, **request))  # type: ignore[arg-type]
        s.commit()
        jobs = list(s.scalars(select(Job).where(Job.batch_id == row.id).order_by(Job.chain)))
    assert all(j.state == "q" for j in jobs), [j.message for j in jobs]
    root = world.layout.project_dir("PROC")
    return [(j.spec["psid"], str(Path(j.spec["values"]["f1"]).relative_to(root))) for j in jobs]


def test_rows_select_exactly_their_patient_and_study(twins: World) -> None:
    assert _inputs(twins, _cat(), rows=[Psid("P1", "MR1")]) == [("P1#MR1", "P1/MR1/t1_mprage/s001.nii")]
    assert _inputs(twins, _cat(), rows=[Psid("p1", "MR1")]) == [("p1#MR1", "p1/MR1/t1_mprage/s001.nii")]
    assert _inputs(twins, _cat(), rows=[Psid("p1")]) == [("p1#MR1", "p1/MR1/t1_mprage/s001.nii")]
    with twins.sessions() as s, pytest.raises(NotFound, match="P1#mr1"):
        launch(
            s,
            twins.access(s),
            twins.layout,
            twins.config.processing,
            LaunchRequest(batch=_cat(), rows=[Psid("P1", "mr1")]),
        )


def test_a_study_reference_stays_within_the_target_patient(twins: World) -> None:
    """``P1``'s latest study is its MR2, although ``p1``'s MR1 is later (the old ``P1#LATEST`` took both)."""
    got = _inputs(twins, _cat("LATEST", "subject"), rows=[Psid("P1")])
    assert got == [("P1", "P1/MR2/t1_mprage/s001.nii")]
    got = _inputs(twins, _cat("OLDEST", "subject"), rows=[Psid("P1"), Psid("p1")])
    assert got == [("P1", "P1/MR1/t1_mprage/s001.nii"), ("p1", "p1/MR1/t1_mprage/s001.nii")]
    got = _inputs(twins, _cat("MR2"), rows=[Psid("P1", "MR1")])
    assert got == [("P1#MR1", "P1/MR2/t1_mprage/s001.nii")]


def test_the_typed_selection_stays_case_insensitive(twins: World) -> None:
    got = _inputs(twins, _cat("OLDEST", "subject"), select="PIDLIST:p1")
    assert [psid for psid, _ in got] == ["P1", "p1"]


@pytest.mark.parametrize("ref", ["LATEST *", "LATEST PIDLIST:S02", "S01#MR1"])
def test_a_study_reference_of_more_than_one_term_is_refused(twins: World, ref: str) -> None:
    with twins.sessions() as s:
        before = s.scalar(select(func.count()).select_from(Batch))
        with pytest.raises(InvalidInput) as info:
            launch(
                s,
                twins.access(s),
                twins.layout,
                twins.config.processing,
                LaunchRequest(batch=_cat(ref), rows=[Psid("P1")]),
            )
        assert f"argument f1: study reference {ref!r}" in info.value.message
        assert "write one of LATEST" in info.value.message
        with pytest.raises(InvalidInput, match="study reference"):
            save_batch(s, twins.access(s), "bad", _cat(ref))
        s.rollback()
        assert s.scalar(select(func.count()).select_from(Batch)) == before


@pytest.mark.parametrize(
    "search, found",
    [
        ("t1_mprage", ["t1_mprage"]),
        ("T1_MPRAGE", ["t1_mprage"]),
        ("_", ["t1_mprage"]),
        ("%", ["50%done"]),
        ("0%d", ["50%done"]),
        ("\\", ["back\\slash"]),
        ("mprage", ["t1_mprage", "t1xmprage"]),
    ],
)
def test_the_monitor_search_takes_its_text_literally(local_world: World, search: str, found: list[str]) -> None:
    labels = ["t1_mprage", "t1xmprage", "50%done", "back\\slash"]
    batch = {"jobs": [{"job": "bash", "label": label, "script": "true"} for label in labels]}
    local_world.launch(batch, rows=["S01#MR1"])
    with local_world.sessions() as s:
        names = sorted(job["name"] for job in list_jobs(s, local_world.access(s), search=search))
    assert names == found
