"""Sample files for the format contract suite: real files shipped by nibabel and pydicom, and generated ones.

Every :class:`Case` writes its file(s) into a temporary folder and says, from the libraries that own the
format (nibabel, pynrrd, pydicom, json) or from the arrays it wrote, which header values the summary must
report. See README.md beside this file for where each real file comes from.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nibabel as nib
import nrrd
import numpy as np
import pydicom
from nibabel.testing import data_path as NIB_DATA
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

GIFTI_DATA = Path(nib.__file__).parent / "gifti" / "tests" / "data"

#: A rotated, anisotropic RAS affine used by the generated volumes.
_ANGLE = np.deg2rad(20)
AFFINE = np.array(
    [
        [-1.5 * np.cos(_ANGLE), 0.0, 2.0 * np.sin(_ANGLE), 30.0],
        [0.0, 1.25, 0.0, -40.5],
        [1.5 * np.sin(_ANGLE), 0.0, 2.0 * np.cos(_ANGLE), 12.25],
        [0.0, 0.0, 0.0, 1.0],
    ]
)


@dataclass(frozen=True)
class Case:
    """One sample file: how to make it, what format it is, and the header values it must report."""

    id: str
    format: str
    origin: str  # "real" (shipped by a package) or "generated"
    make: Callable[[Path], Path]
    expect: Callable[[Path], dict[str, Any]]
    #: The file to cut in the truncation test, when not the inspected one (a pair's .img, detached data).
    cut: Callable[[Path], Path] = field(default=lambda p: p)
    #: False when the file's identity depends on its name (an Analyze .hdr finds its .img by name).
    renamable: bool = True
    #: Cut offsets that leave a shorter but valid file (see dicom_element_ends).
    valid_cuts: Callable[[Path], set[int]] = field(default=lambda p: set())


def _copy(src: str | os.PathLike[str], *extra: str | os.PathLike[str]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        for other in extra:
            shutil.copy(other, folder / Path(other).name)
        return Path(shutil.copy(src, folder / Path(src).name))

    return make


# --- what the libraries report ------------------------------------------------------------------


def nib_volume(path: Path) -> dict[str, Any]:
    """dims, voxel size, dtype, affine and orientation as nibabel loads them."""
    img: Any = nib.load(path)
    out = {
        "dims": list(img.shape),
        "voxel_size": [float(z) for z in img.header.get_zooms()[:3]],
        "dtype": img.get_data_dtype().newbyteorder("=").name,
        "affine": img.affine.tolist(),
        "orientation": "".join(nib.aff2axcodes(img.affine)),
    }
    if len(img.shape) >= 4:
        out["n_volumes"] = int(np.prod(img.shape[3:]))
    return out


def nib_surface(path: Path) -> dict[str, Any]:
    img: Any = nib.load(path)
    out: dict[str, Any] = {"n_data_arrays": len(img.darrays)}
    intents = [nib.nifti1.intent_codes.niistring[d.intent] for d in img.darrays]
    if "NIFTI_INTENT_POINTSET" in intents:
        out["n_vertices"] = img.agg_data("pointset").shape[0]
    if "NIFTI_INTENT_TRIANGLE" in intents:
        out["n_faces"] = img.agg_data("triangle").shape[0]
    return out


def nib_tracks(path: Path) -> dict[str, Any]:
    tracks: Any = nib.streamlines.load(path)
    out: dict[str, Any] = {"n_streamlines": len(tracks.streamlines)}
    header = tracks.header
    if "voxel_to_rasmm" in header and "dimensions" in header:
        out["dims"] = [int(d) for d in header["dimensions"]]
        out["voxel_size"] = [float(v) for v in header["voxel_sizes"]]
        out["affine"] = np.asarray(header["voxel_to_rasmm"]).tolist()
    return out


def pydicom_summary(path: Path) -> dict[str, Any]:
    ds = pydicom.dcmread(path, force=True)
    rows = ds.get("Rows")
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    return {
        "modality": ds.get("Modality"),
        "sop_class_uid": ds.SOPClassUID,
        "sop_instance_uid": ds.get("SOPInstanceUID"),
        "study_instance_uid": ds.get("StudyInstanceUID"),
        "series_instance_uid": ds.get("SeriesInstanceUID"),
        "patient_id": ds.get("PatientID"),
        "rows": rows,
        "columns": ds.get("Columns"),
        "n_frames": int(ds.get("NumberOfFrames", 1)) if rows is not None else None,
        **({"transfer_syntax": str(syntax)} if syntax else {}),
    }


def dicom_element_ends(path: Path) -> set[int]:
    """Where top-level elements end. DICOM declares no total length, so a data set without pixel data
    cut exactly between two elements is a shorter valid data set; only cuts inside an element show."""
    ds = pydicom.dcmread(path, force=True)
    ends = set()
    for tag in sorted(ds.keys()):
        raw = ds.get_item(tag)
        if hasattr(raw, "value_tell"):
            ends.add(int(raw.value_tell) + int(raw.length))
    return ends


def json_summary(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    if isinstance(document, dict):
        return {"type": "object", "n_keys": len(document), "keys": list(document)[:100]}
    return {"type": "array", "n_items": len(document)}


# --- generated files ----------------------------------------------------------------------------


def _nifti(klass: Any, name: str, shape: tuple[int, ...], dtype: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        data = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
        path = folder / name
        klass(data, AFFINE).to_filename(path)
        return path

    return make


def _analyze_real(hdr_name: str) -> Callable[[Path], Path]:
    """A header shipped by nibabel, completed by a zero-filled .img of the size it declares."""

    def make(folder: Path) -> Path:
        hdr_path = Path(shutil.copy(Path(NIB_DATA) / hdr_name, folder / hdr_name))
        klass: Any = {"analyze.hdr": nib.Spm2AnalyzeHeader, "nifti1.hdr": nib.Nifti1Header}[hdr_name]
        with hdr_path.open("rb") as fh:
            hdr = klass.from_fileobj(fh)
        size = int(hdr.get_data_offset()) + int(np.prod(hdr.get_data_shape())) * hdr.get_data_dtype().itemsize
        hdr_path.with_suffix(".img").write_bytes(bytes(size))
        return hdr_path

    return make


def _nrrd_header(space: str, flips: tuple[int, int, int], encoding: str) -> dict[str, Any]:
    """A pynrrd header whose geometry, taken to RAS with ``flips``, is :data:`AFFINE`."""
    to_space = np.diag([*flips, 1.0]) @ AFFINE
    return {
        "space": space,
        "space directions": to_space[:3, :3].T,
        "space origin": to_space[:3, 3],
        "encoding": encoding,
        "kinds": ["domain", "domain", "domain"],
    }


def _nrrd(name: str, space: str, flips: tuple[int, int, int], encoding: str, **kw: Any) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        data = np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7)
        path = folder / name
        nrrd.write(str(path), data, _nrrd_header(space, flips, encoding), **kw)
        return path

    return make


def _nrrd_4d(folder: Path) -> Path:
    data = np.arange(3 * 5 * 6 * 7, dtype=np.float32).reshape(3, 5, 6, 7)
    header = _nrrd_header("left-posterior-superior", (-1, -1, 1), "gzip")
    directions = np.full((4, 3), np.nan)
    directions[1:] = header["space directions"]
    header["space directions"] = directions
    header["kinds"] = ["list", "domain", "domain", "domain"]
    path = folder / "gen4d.nrrd"
    nrrd.write(str(path), data, header)
    return path


def nrrd_expect(n_volumes: int | None = None) -> Callable[[Path], dict[str, Any]]:
    """Sizes as pynrrd reads them; affine and orientation as intended (AFFINE in RAS)."""

    def expect(path: Path) -> dict[str, Any]:
        header = nrrd.read_header(str(path))
        directions = np.asarray(header["space directions"], dtype=float)
        spatial = directions[np.all(np.isfinite(directions), axis=1)]
        out: dict[str, Any] = {
            "dims": [int(s) for s in header["sizes"]],
            "voxel_size": np.linalg.norm(spatial, axis=1).tolist(),
            "affine": AFFINE.tolist(),
            "orientation": "".join(nib.aff2axcodes(AFFINE)),
        }
        if n_volumes is not None:
            out["n_volumes"] = n_volumes
        return out

    return expect


def _gifti_surface(folder: Path) -> Path:
    coords = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=np.float32)
    faces = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 4]], dtype=np.int32)
    image = nib.gifti.GiftiImage(
        darrays=[
            nib.gifti.GiftiDataArray(coords, intent="NIFTI_INTENT_POINTSET", datatype="NIFTI_TYPE_FLOAT32"),
            nib.gifti.GiftiDataArray(faces, intent="NIFTI_INTENT_TRIANGLE", datatype="NIFTI_TYPE_INT32"),
        ]
    )
    path = folder / "gen.surf.gii"
    nib.save(image, path)
    return path


def _streamlines() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.normal(size=(n, 3)).astype(np.float32) for n in (5, 12, 3, 40, 8)]


def _tck(folder: Path) -> Path:
    path = folder / "gen.tck"
    nib.streamlines.save(nib.streamlines.Tractogram(_streamlines(), affine_to_rasmm=np.eye(4)), path)
    return path


def _trk(gz: bool) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        lines = _streamlines()
        tractogram = nib.streamlines.Tractogram(
            lines,
            data_per_point={"fa": [np.full((len(s), 1), 0.5, dtype=np.float32) for s in lines]},
            data_per_streamline={"length": np.arange(len(lines), dtype=np.float32)[:, None]},
            affine_to_rasmm=np.eye(4),
        )
        header = {"dimensions": (10, 12, 14), "voxel_sizes": (1.5, 1.25, 2.0), "voxel_to_rasmm": AFFINE}
        path = folder / "gen.trk"
        nib.streamlines.TrkFile(tractogram, header=header).save(str(path))
        if not gz:
            return path
        zipped = folder / "gen.trk.gz"
        zipped.write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
        return zipped

    return make


#: Triangles of the generated STL meshes (a small tetrahedron fan).
STL_TRIANGLES = np.array(
    [
        [[0, 0, 0], [1, 0, 0], [0, 1, 0]],
        [[0, 0, 0], [1, 0, 0], [0, 0, 1]],
        [[0, 0, 0], [0, 1, 0], [0, 0, 1]],
        [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        [[1, 0, 0], [0, 1, 0], [1, 1, 1.5]],
    ],
    dtype=np.float32,
)


def _stl_binary(folder: Path) -> Path:
    # Many exporters start the binary header with "solid", which must not make it look like ASCII STL.
    record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
    triangles = np.zeros(len(STL_TRIANGLES), dtype=record)
    triangles["vertices"] = STL_TRIANGLES
    path = folder / "gen_binary.stl"
    header = b"solid nora test mesh".ljust(80, b" ")
    path.write_bytes(header + struct.pack("<I", len(triangles)) + triangles.tobytes())
    return path


def _stl_ascii(folder: Path) -> Path:
    lines = ["solid nora_ascii"]
    for tri in STL_TRIANGLES:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x:.6e} {y:.6e} {z:.6e}" for x, y, z in tri]
        lines += ["    endloop", "  endfacet"]
    lines.append("endsolid nora_ascii")
    path = folder / "gen_ascii.stl"
    path.write_text("\n".join(lines) + "\n")
    return path


def stl_expect(path: Path) -> dict[str, Any]:
    return {"n_faces": len(STL_TRIANGLES), "n_vertices_listed": 3 * len(STL_TRIANGLES)}


def _dicom(frames: int, preamble: bool) -> Callable[[Path], Path]:
    """A CT (or multi-frame secondary capture) written from scratch by pydicom."""

    def make(folder: Path) -> Path:
        ds = Dataset()
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3" if frames > 1 else "1.2.840.10008.5.1.4.1.1.2"
        ds.SOPInstanceUID = generate_uid()
        ds.StudyInstanceUID = generate_uid()
        ds.SeriesInstanceUID = generate_uid()
        ds.Modality = "OT" if frames > 1 else "CT"
        ds.PatientID = "NORA-TEST-01"
        ds.SeriesDescription = "generated"
        ds.Rows, ds.Columns = 16, 12
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.PixelData = np.arange(16 * 12 * frames, dtype=np.uint16).tobytes()
        path = folder / f"gen_{frames}f{'' if preamble else '_bare'}.dcm"
        if preamble:
            ds.file_meta = FileMetaDataset()
            ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.save_as(path, enforce_file_format=True)
        else:
            ds.save_as(path, implicit_vr=True, little_endian=True)  # no preamble, no file meta
        return path

    return make


def _json(document: Any) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "gen.json"
        path.write_text(json.dumps(document, indent=1))
        return path

    return make


def _nib(name: str) -> str:
    return os.path.join(NIB_DATA, name)


def _dcm(name: str) -> str:
    path = get_testdata_file(name)
    assert path is not None, name
    return str(path)


CASES: list[Case] = [
    Case("nifti-real-example4d", "nifti", "real", _copy(_nib("example4d.nii.gz")), nib_volume),
    Case("nifti-real-anatomical-bigendian", "nifti", "real", _copy(_nib("anatomical.nii")), nib_volume),
    Case("nifti-real-nifti2", "nifti", "real", _copy(_nib("example_nifti2.nii.gz")), nib_volume),
    Case(
        "nifti-gen-nifti1", "nifti", "generated", _nifti(nib.Nifti1Image, "gen.nii", (4, 5, 6), "float32"), nib_volume
    ),
    Case(
        "nifti-gen-nifti2-4d-gz",
        "nifti",
        "generated",
        _nifti(nib.Nifti2Image, "gen2.nii.gz", (4, 5, 6, 3), "int16"),
        nib_volume,
    ),
    Case(
        "analyze-real-hdr",
        "analyze",
        "real",
        _analyze_real("analyze.hdr"),
        nib_volume,
        cut=lambda p: p.with_suffix(".img"),
        renamable=False,
    ),
    Case(
        "analyze-real-nifti1-pair",
        "analyze",
        "real",
        _analyze_real("nifti1.hdr"),
        nib_volume,
        cut=lambda p: p.with_suffix(".img"),
        renamable=False,
    ),
    Case(
        "analyze-gen-analyze",
        "analyze",
        "generated",
        _nifti(nib.AnalyzeImage, "gen.hdr", (4, 5, 6), "int16"),
        nib_volume,
        cut=lambda p: p.with_suffix(".img"),
        renamable=False,
    ),
    Case(
        "analyze-gen-nifti2-pair-img",
        "analyze",
        "generated",
        _nifti(nib.Nifti2Pair, "pair.img", (4, 5, 6, 2), "float32"),
        nib_volume,
        renamable=False,
    ),
    Case(
        "nrrd-gen-raw-lps",
        "nrrd",
        "generated",
        _nrrd("gen.nrrd", "left-posterior-superior", (-1, -1, 1), "raw"),
        nrrd_expect(),
    ),
    Case(
        "nrrd-gen-gzip-ras",
        "nrrd",
        "generated",
        _nrrd("gen_ras.nrrd", "right-anterior-superior", (1, 1, 1), "gzip"),
        nrrd_expect(),
    ),
    Case(
        "nrrd-gen-bzip2-las",
        "nrrd",
        "generated",
        _nrrd("gen_las.nrrd", "left-anterior-superior", (-1, 1, 1), "bzip2"),
        nrrd_expect(),
    ),
    Case("nrrd-gen-gzip-4d-list", "nrrd", "generated", _nrrd_4d, nrrd_expect(n_volumes=3)),
    Case(
        "nrrd-gen-detached",
        "nrrd",
        "generated",
        _nrrd("gen.nhdr", "left-posterior-superior", (-1, -1, 1), "raw", detached_header=True),
        nrrd_expect(),
        cut=lambda p: p.with_suffix(".raw"),
    ),
    Case("mgh-real-test-mgz", "mgh", "real", _copy(_nib("test.mgz")), nib_volume),
    Case("mgh-gen-mgh", "mgh", "generated", _nifti(nib.MGHImage, "gen.mgh", (6, 5, 4), "float32"), nib_volume),
    Case("gifti-real-ascii", "gifti", "real", _copy(GIFTI_DATA / "ascii.gii"), nib_surface),
    Case("gifti-real-base64bin", "gifti", "real", _copy(GIFTI_DATA / "base64bin.gii"), nib_surface),
    Case(
        "gifti-real-external",
        "gifti",
        "real",
        _copy(GIFTI_DATA / "external.gii", GIFTI_DATA / "external.dat"),
        nib_surface,
    ),
    Case("gifti-real-shape", "gifti", "real", _copy(GIFTI_DATA / "rh.shape.curv.gii"), nib_surface),
    Case("gifti-gen-surface", "gifti", "generated", _gifti_surface, nib_surface),
    Case("tck-real-standard", "tck", "real", _copy(_nib("standard.tck")), nib_tracks),
    Case("tck-real-bigendian", "tck", "real", _copy(_nib("simple_big_endian.tck")), nib_tracks),
    Case("tck-real-wrong-count", "tck", "real", _copy(_nib("matlab_nan.tck")), nib_tracks),
    Case("tck-gen", "tck", "generated", _tck, nib_tracks),
    Case("trk-real-standard", "trk", "real", _copy(_nib("standard.trk")), nib_tracks),
    Case("trk-real-bigendian-scalars", "trk", "real", _copy(_nib("complex_big_endian.trk")), nib_tracks),
    Case("trk-gen", "trk", "generated", _trk(gz=False), nib_tracks),
    Case("trk-gen-gz", "trk", "generated", _trk(gz=True), nib_tracks),
    Case("stl-gen-binary", "stl", "generated", _stl_binary, stl_expect),
    Case("stl-gen-ascii", "stl", "generated", _stl_ascii, stl_expect),
    Case("dicom-real-ct", "dicom", "real", _copy(_dcm("CT_small.dcm")), pydicom_summary),
    Case("dicom-real-mr-bigendian", "dicom", "real", _copy(_dcm("MR_small_bigendian.dcm")), pydicom_summary),
    Case("dicom-real-rtdose-multiframe", "dicom", "real", _copy(_dcm("rtdose.dcm")), pydicom_summary),
    Case("dicom-real-rle-encapsulated", "dicom", "real", _copy(_dcm("SC_rgb_rle_2frame.dcm")), pydicom_summary),
    Case(
        "dicom-real-no-preamble",
        "dicom",
        "real",
        _copy(_dcm("ExplVR_LitEndNoMeta.dcm")),
        pydicom_summary,
        valid_cuts=dicom_element_ends,
    ),
    Case("dicom-gen-ct", "dicom", "generated", _dicom(1, preamble=True), pydicom_summary),
    Case("dicom-gen-multiframe", "dicom", "generated", _dicom(3, preamble=True), pydicom_summary),
    Case("dicom-gen-bare-implicit", "dicom", "generated", _dicom(1, preamble=False), pydicom_summary),
    Case("json-real-pydicom", "json", "real", _copy(_dcm("test1.json")), json_summary),
    Case("json-gen-object", "json", "generated", _json({"EchoTime": 0.03, "RepetitionTime": 2.0}), json_summary),
    Case("json-gen-array", "json", "generated", _json([1, 2, {"a": None}]), json_summary),
]
