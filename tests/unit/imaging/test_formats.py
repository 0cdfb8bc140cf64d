"""Contract suite of the format registry, run against every sample of every format (see samples.py).

Each sample must be detected by content with the header values its own library reports; cut short at
several points it must be refused with CorruptFile or UnsupportedFormat and nothing else; renamed it must
be detected the same. Junk, empty and misnamed files are refused with UnsupportedFormat.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nora.core.errors import CorruptFile, NotFound, UnsafePath, UnsupportedFormat
from nora.imaging.formats import FileSummary, inspect_file, supported_formats
from tests.unit.imaging.samples import CASES, Case

#: Keys whose value depends on the file's name, not its content.
_NAME_KEYS = {"header_file", "image_file"}


def assert_matches(header: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, want in expected.items():
        assert key in header, f"summary lacks {key!r}: {header}"
        got = header[key]
        if want is None or isinstance(want, str | bool):
            assert got == want, key
        elif isinstance(want, int | float) or (isinstance(want, list) and _numeric(want)):
            np.testing.assert_allclose(
                np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-5, atol=1e-5, err_msg=key
            )
        else:
            assert got == want, key


def _numeric(value: Any) -> bool:
    return all(isinstance(v, int | float) or (isinstance(v, list) and _numeric(v)) for v in value)


def _cut_points(size: int, gzipped: bool) -> list[int]:
    points = {1, 10, 100, 300, size // 3, size // 2, (2 * size) // 3}
    if gzipped:
        points.add(size - 1)  # loses the gzip trailer only
    return sorted(p for p in points if 0 < p < size)


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


def test_detects_format_and_header_values(case: Case, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    summary = inspect_file(path)
    assert isinstance(summary, FileSummary)
    assert summary.format == case.format
    json.dumps(summary.header, allow_nan=False)  # JSON-serialisable, no NaN
    assert_matches(summary.header, case.expect(path))


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about the values it finds cut
def test_truncated_file_is_refused(case: Case, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    target = case.cut(path)
    original = target.read_bytes()
    gzipped = original[:2] == b"\x1f\x8b"
    valid = case.valid_cuts(target)
    for cut in _cut_points(len(original), gzipped):
        if cut in valid:
            continue
        target.write_bytes(original[:cut])
        with pytest.raises((CorruptFile, UnsupportedFormat)) as info:
            inspect_file(path)
        assert info.value.message, f"cut at {cut} of {len(original)}"
    target.write_bytes(original)
    assert inspect_file(path).format == case.format


# an Analyze pair finds its other half by name, so only single-file formats can be renamed
@pytest.mark.parametrize("case", [c for c in CASES if c.renamable], ids=lambda c: c.id)
def test_detected_by_content_whatever_the_name(case: Case, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    reference = inspect_file(path)
    renamed = path.with_name("renamed.json" if case.format != "json" else "renamed.nii")
    shutil.copy(path, renamed)
    as_named = inspect_file(renamed)
    upload = path.with_name("upload-0001.tmp")
    shutil.copy(path, upload)
    as_upload = inspect_file(upload, name=path.name)
    for summary in (as_named, as_upload):
        assert summary.format == case.format
        assert _without_names(summary.header) == _without_names(reference.header)


def _without_names(header: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in header.items() if k not in _NAME_KEYS}


def test_every_format_has_real_and_generated_samples() -> None:
    formats = set(supported_formats())
    assert formats == {"nifti", "analyze", "nrrd", "mgh", "gifti", "tck", "trk", "stl", "dicom", "json"}
    assert {c.format for c in CASES if c.origin == "generated"} == formats
    # No package we depend on ships NRRD or STL files; those two are generated only.
    assert {c.format for c in CASES if c.origin == "real"} == formats - {"nrrd", "stl"}


_NAMES = [
    "x.nii",
    "x.nii.gz",
    "x.hdr",
    "x.img",
    "x.nrrd",
    "x.nhdr",
    "x.mgh",
    "x.mgz",
    "x.gii",
    "x.tck",
    "x.trk",
    "x.stl",
    "x.dcm",
    "x.json",
    "x.bin",
    "noextension",
]


@pytest.mark.parametrize("name", _NAMES)
def test_junk_bytes_are_unsupported(name: str, tmp_path: Path) -> None:
    junk = np.random.default_rng(len(name)).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    junk = b"\x00\x7f" + junk  # neither gzip, JSON nor text
    path = tmp_path / name
    path.write_bytes(junk)
    with pytest.raises(UnsupportedFormat, match="accepted formats"):
        inspect_file(path)
    path.write_bytes(gzip.compress(junk))
    with pytest.raises(UnsupportedFormat, match="accepted formats") as info:
        inspect_file(path)
    if not name.endswith(".img"):  # a lone .img is explained by its missing .hdr instead
        assert "gzip-compressed" in info.value.message


@pytest.mark.parametrize("name", _NAMES)
def test_empty_file_is_unsupported(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(UnsupportedFormat, match="empty"):
        inspect_file(path)


def test_text_file_is_unsupported_and_says_what_it_found(tmp_path: Path) -> None:
    path = tmp_path / "notes.nii"
    path.write_text("hello, this is not an image\n" * 40)
    with pytest.raises(UnsupportedFormat) as info:
        inspect_file(path)
    assert "hello, this" in info.value.message
    assert "nifti" in info.value.message and "NRRD (.nrrd, .nhdr)" in info.value.message


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        inspect_file(tmp_path / "absent.nii")


def test_image_of_a_pair_gives_the_header_summary(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "analyze-gen-analyze")
    hdr = case.make(tmp_path)
    assert inspect_file(hdr.with_suffix(".img")) == inspect_file(hdr)


def test_pair_halves_alone_are_refused(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "analyze-gen-analyze")
    hdr = case.make(tmp_path)
    img = hdr.with_suffix(".img")
    img_alone = img.rename(tmp_path / "alone.img")
    with pytest.raises(CorruptFile, match=r"\.img"):
        inspect_file(hdr)
    with pytest.raises(UnsupportedFormat, match=r"\.hdr.*accepted formats"):
        inspect_file(img_alone)


def test_short_file_named_like_a_format_is_corrupt(tmp_path: Path) -> None:
    source = next(c for c in CASES if c.id == "nifti-gen-nifti1").make(tmp_path)
    short = tmp_path / "short.nii"
    short.write_bytes(source.read_bytes()[:200])
    with pytest.raises(CorruptFile, match="348"):
        inspect_file(short)


@pytest.mark.parametrize(
    "case_id",
    ["nrrd-gen-raw-lps", "nrrd-gen-gzip-ras", "nrrd-gen-bzip2-las", "nrrd-gen-gzip-4d-list", "nrrd-gen-detached"],
)
def test_nrrd_and_nifti_of_one_geometry_agree_in_the_index_and_in_jobs(tmp_path: Path, case_id: str) -> None:
    """One NRRD affine: the archive's index, a job reading the volume and the NIfTI of the same oblique
    geometry (samples.AFFINE) agree, whatever the file's space (LPS, RAS, LAS) or a list axis first."""
    from nora.processing.catalog import load_volume

    nii = inspect_file(next(c for c in CASES if c.id == "nifti-gen-nifti1").make(tmp_path)).header
    path = next(c for c in CASES if c.id == case_id).make(tmp_path)
    indexed = inspect_file(path).header
    np.testing.assert_allclose(indexed["affine"], nii["affine"], atol=1e-5)
    assert indexed["orientation"] == nii["orientation"]
    np.testing.assert_allclose(indexed["voxel_size"], nii["voxel_size"], rtol=1e-6)
    in_job = load_volume(str(path))
    np.testing.assert_allclose(in_job.affine, indexed["affine"], atol=1e-5)
    assert list(in_job.shape[:3]) == [indexed["dims"][i] for i in indexed["spatial_axes"]]


def test_detached_nrrd_data_must_stay_beside_its_header(tmp_path: Path) -> None:
    header = next(c for c in CASES if c.id == "nrrd-gen-detached").make(tmp_path)
    text = header.read_text().replace("data file: gen.raw", "data file: ../outside.raw")
    (tmp_path.parent / "outside.raw").write_bytes(b"\0" * 10)
    header.write_text(text)
    with pytest.raises(UnsafePath):
        inspect_file(header)
    header.write_text(text.replace("../outside.raw", "missing.raw"))
    with pytest.raises(CorruptFile, match="missing.raw"):
        inspect_file(header)


def test_tck_counts_streamlines_when_the_header_count_is_wrong(tmp_path: Path) -> None:
    header = inspect_file(next(c for c in CASES if c.id == "tck-real-wrong-count").make(tmp_path)).header
    assert header["header_count"] == 615000
    assert header["n_streamlines"] == 1


def test_binary_stl_whose_header_starts_with_solid_is_binary(tmp_path: Path) -> None:
    path = next(c for c in CASES if c.id == "stl-gen-binary").make(tmp_path)
    assert path.read_bytes().startswith(b"solid")
    assert inspect_file(path).header["encoding"] == "binary"


def test_dicom_without_sop_class_is_unsupported(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.PatientID = "X"
    ds.Modality = "CT"
    path = tmp_path / "nosop.dcm"
    ds.save_as(path, implicit_vr=True, little_endian=True)
    with pytest.raises(UnsupportedFormat, match="SOP Class UID"):
        inspect_file(path)


def test_summary_is_frozen(tmp_path: Path) -> None:
    summary = inspect_file(next(c for c in CASES if c.id == "json-gen-object").make(tmp_path))
    with pytest.raises(AttributeError):
        summary.format = "nifti"  # type: ignore[misc]


def test_nrrd_affine_is_none_where_the_space_is_unknown_or_not_3d() -> None:
    from nora.imaging.formats.nrrd import ras_affine

    directions = np.eye(3)
    assert ras_affine({"space": "3D-left-handed", "space directions": directions}) is None
    assert ras_affine({"space": "RAS", "space directions": directions[:2, :2]}) is None
    assert ras_affine({"sizes": [2, 2, 2]}) is None
    las = ras_affine({"space": "LAS", "space directions": directions, "space origin": [1.0, 2.0, 3.0]})
    assert las is not None and las[:3, 3].tolist() == [-1.0, 2.0, 3.0] and las[0, 0] == -1.0
