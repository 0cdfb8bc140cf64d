"""Query / retrieve / send against a real Orthanc (Debian package) as the PACS."""

from __future__ import annotations

import time

import pytest
from pydicom import dcmread
from sqlalchemy import select
from tests.integration.pacs.conftest import MOVE_AE, Home, ct_series, sample
from tests.support.orthanc import ORTHANC_AET, TempOrthanc
from tests.support.pgcluster import free_port

from nora.archive.services.access import SYSTEM, project_access
from nora.core.errors import Forbidden, InvalidInput, NotFound, Unavailable
from nora.core.settings import DicomNodeSettings, PacsSettings
from nora.dicom.net import Client, FindQuery, Peer
from nora.importing import pacs
from nora.importing.node import start_nodes, stop_nodes
from nora.processing.models import Job


def _peer(orthanc: TempOrthanc) -> Peer:
    return Peer("orthanc", ORTHANC_AET, "127.0.0.1", orthanc.dicom_port)


def _configure(home: Home, orthanc: TempOrthanc, move_port: int, retrieve: str = "move") -> None:
    home.settings.pacs = {
        "ORTHANC": PacsSettings(
            ae_title=ORTHANC_AET, host="127.0.0.1", port=orthanc.dicom_port, calling_ae="NORA", retrieve=retrieve
        )
    }
    home.settings.dicom_nodes = [
        DicomNodeSettings(name="move", ae_title=MOVE_AE, port=move_port, host="127.0.0.1", type="move", timeout=1)
    ]


def _doe_study(orthanc: TempOrthanc) -> str:
    rows = Client("NORA").find(_peer(orthanc), FindQuery("STUDY", patient_name="Doe^John"))
    assert len(rows) == 1
    return str(rows[0]["StudyInstanceUID"])


def _finish(home: Home, job_id: int, timeout: float = 90) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with home.sessions() as s:
            job = s.get(Job, job_id)
            assert job is not None
            if job.state in ("d", "e"):
                return job
        time.sleep(0.2)
    raise AssertionError(f"retrieve job {job_id} did not finish")


# ----------------------------------------------------------------------------------------------- C-FIND


def test_find_at_patient_study_and_series_level(orthanc: TempOrthanc) -> None:
    client, peer = Client("NORA"), _peer(orthanc)
    patients = client.find(peer, FindQuery("PATIENT", patient_name="*"))
    names = {p["PatientName"] for p in patients}
    assert {"Doe^John", "CompressedSamples^CT1", "CompressedSamples^MR1"} <= names
    # a wildcard after '^' and a date range with the modality
    studies = client.find(peer, FindQuery("STUDY", patient_name="Doe^J*", study_date="20230101-20231231"))
    assert [s["PatientID"] for s in studies] == ["PID-DOE"]
    assert studies[0]["ModalitiesInStudy"] == ["CT"]
    assert studies[0]["NumberOfStudyRelatedInstances"] == 12
    assert client.find(peer, FindQuery("STUDY", patient_name="Doe^J*", study_date="-20221231")) == []
    mr = client.find(peer, FindQuery("STUDY", modality="MR"))
    assert mr and all("MR" in s["ModalitiesInStudy"] for s in mr)
    series = client.find(peer, FindQuery("SERIES", study_uid=studies[0]["StudyInstanceUID"]))
    assert len(series) == 1 and series[0]["SeriesDescription"] == "t1_axial"
    assert series[0]["NumberOfSeriesRelatedInstances"] == 12


@pytest.mark.parametrize(
    "keys",
    [
        {"level": "IMAGE"},
        {"study_date": "2023-01-01"},
        {"study_date": "20231301"},
        {"patient_name": "Doe\\John"},
        {"modality": "M R"},
        {"level": "SERIES"},
        {"study_uid": "1.2.x"},
    ],
)
def test_bad_query_keys_are_refused_before_anything_is_sent(keys: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        FindQuery(**keys)


def test_a_pacs_that_is_down_is_a_clear_error_not_an_empty_result() -> None:
    with pytest.raises(Unavailable, match="cannot reach"):
        Client("NORA", timeout=5).find(Peer("gone", "ORTHANC", "127.0.0.1", free_port()), FindQuery("STUDY"))


def test_a_pacs_that_rejects_our_ae_title_is_a_clear_error() -> None:
    strict = TempOrthanc({"known": ("KNOWN", free_port())}, strict=True)
    strict.start()
    refused = "(rejected|closed) the association.*'(STRANGER|KNOWN)'.*its own AE title"
    try:
        peer = Peer("strict", ORTHANC_AET, "127.0.0.1", strict.dicom_port)
        with pytest.raises(Unavailable, match=refused):
            Client("STRANGER").find(peer, FindQuery("STUDY"))
        with pytest.raises(Unavailable, match=refused):
            Client("KNOWN").find(Peer("strict", "NOT_ORTHANC", "127.0.0.1", strict.dicom_port), FindQuery("STUDY"))
        assert Client("KNOWN").find(peer, FindQuery("STUDY")) == []  # a known caller gets a (truly empty) answer
    finally:
        strict.stop()
    lenient = TempOrthanc()  # accepts any association, but only known AE titles may query
    lenient.start()
    try:
        peer = Peer("lenient", ORTHANC_AET, "127.0.0.1", lenient.dicom_port)
        with pytest.raises(Unavailable, match="aborted the association.*'STRANGER'"):
            Client("STRANGER").find(peer, FindQuery("STUDY"))
    finally:
        lenient.stop()


# ------------------------------------------------------------------------------------------- retrieve


@pytest.mark.parametrize("method", ["move", "get"])
def test_retrieve_into_a_project_by_move_and_get(home: Home, orthanc: TempOrthanc, move_port: int, method: str) -> None:
    _configure(home, orthanc, move_port, retrieve=method)
    study = _doe_study(orthanc)
    nodes = start_nodes(home.settings, home.sessions, home.layout)
    try:
        job = pacs.create_retrieve(
            home.sessions, home.layout, home.settings, SYSTEM, "ORTHANC", "P1", [pacs.RetrieveItem(study)]
        )
        pacs.run_retrieve(home.sessions, home.layout, home.settings, SYSTEM, job.id)
        done = _finish(home, job.id)
        assert done.state == "d", done.message
        assert done.progress == 1.0 and "retrieved 12 instances" in done.message
        assert home.instances("P1") == 12
        assert home.studies("P1") == [study]
        # pulling again duplicates nothing
        again = pacs.create_retrieve(
            home.sessions, home.layout, home.settings, SYSTEM, "ORTHANC", "P1", [pacs.RetrieveItem(study)]
        )
        pacs.run_retrieve(home.sessions, home.layout, home.settings, SYSTEM, again.id)
        assert _finish(home, again.id).state == "d"
        assert home.instances("P1") == 12
        spool = home.layout.home / "dicom" / "move"
        assert not list(spool.rglob("*.dcm"))  # everything claimed and imported
    finally:
        stop_nodes(nodes)
    with home.sessions() as s:
        audited = s.scalars(select(Job).where(Job.kind == "retrieve")).all()
        assert len(audited) == 2


def test_retrieve_without_our_node_running_fails_clearly(home: Home, orthanc: TempOrthanc, move_port: int) -> None:
    _configure(home, orthanc, move_port)
    study = _doe_study(orthanc)
    job = pacs.create_retrieve(
        home.sessions, home.layout, home.settings, SYSTEM, "ORTHANC", "P1", [pacs.RetrieveItem(study)]
    )
    pacs.run_retrieve(home.sessions, home.layout, home.settings, SYSTEM, job.id)
    failed = _finish(home, job.id)
    assert failed.state == "e" and failed.message.startswith("failed:")
    assert home.instances("P1") == 0


def test_retrieve_checks_rights_and_input(home: Home, orthanc: TempOrthanc, move_port: int) -> None:
    from nora.archive.services import accounts

    _configure(home, orthanc, move_port)
    with home.sessions() as s:
        user = accounts.create_user(s, SYSTEM, "alice", "alice-password")
        s.commit()
        from nora.archive.services.access import Actor

        alice = Actor.of(user)
        with pytest.raises(Forbidden, match="PACSQUERY_ORTHANC"):
            pacs.find(s, alice, home.settings, "ORTHANC", FindQuery("STUDY"))
        assert pacs.list_nodes(s, alice, home.settings) == []
    with pytest.raises(NotFound):
        pacs.create_retrieve(
            home.sessions, home.layout, home.settings, SYSTEM, "NOPE", "P1", [pacs.RetrieveItem("1.2")]
        )
    with pytest.raises(InvalidInput):
        pacs.create_retrieve(home.sessions, home.layout, home.settings, SYSTEM, "ORTHANC", "P1", [])
    with pytest.raises(InvalidInput):
        pacs.RetrieveItem("../../etc")


# ----------------------------------------------------------------------------------------------- send


def test_send_files_to_the_pacs_by_c_store(home: Home, orthanc: TempOrthanc, move_port: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _configure(home, orthanc, move_port)
    files = ct_series(tmp_path / "out", 3, patient="Send^Sam", pid="S1")
    with home.sessions() as s:
        access = project_access(s, SYSTEM, "P1")
        result = pacs.send_files(s, SYSTEM, home.settings, "ORTHANC", access, files, "S1#1")
        s.commit()
    assert result.completed == 3 and result.failed == 0
    sent = {str(dcmread(f).SOPInstanceUID) for f in files}
    assert sent <= orthanc.instance_uids()
    with pytest.raises(InvalidInput, match="not a DICOM file"), home.sessions() as s:
        pacs.send_files(s, SYSTEM, home.settings, "ORTHANC", project_access(s, SYSTEM, "P1"), [tmp_path])
    assert sample("MR_small.dcm").exists()
