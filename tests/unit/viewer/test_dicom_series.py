"""A DICOM series in the archive is streamed as one NIfTI volume converted by dcm2niix."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.testing import data_path
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from tests.unit.api.conftest import Env

P = "/api/projects/P1"


def series_from_nifti(path: Path) -> tuple[list[bytes], np.ndarray]:
    """DICOM slices (axial, 1 per z) of a real NIfTI volume's data, and that data as written."""
    data = np.asarray(nib.load(path).dataobj).astype(np.int16)
    series, study, frame = generate_uid(), generate_uid(), generate_uid()
    nx, ny, nz = data.shape
    out = []
    for z in range(nz):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
        ds.PatientID, ds.PatientName, ds.Modality = "SER1", "Series^Test", "MR"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.SeriesNumber, ds.InstanceNumber, ds.SeriesDescription = 3, z + 1, "t1 series"
        ds.ImagePositionPatient = [0.0, 0.0, float(z) * 2.0]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing, ds.SliceThickness = [1.5, 1.25], 2.0
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = np.ascontiguousarray(data[:, :, z].T).tobytes()  # rows = y, columns = x
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        out.append(buf.getvalue())
    return out, data


def assert_voxels_where_the_slices_put_them(img: nib.Nifti1Image, data: np.ndarray) -> None:
    """Voxel by voxel, in world space: the volume's affine takes each of its voxels to the patient position
    of the DICOM pixel holding the same value. Pixel (column x, row y) of slice z lies at LPS
    (1.25 x, 1.5 y, 2 z) (see series_from_nifti), i.e. RAS (-1.25 x, -1.5 y, 2 z); a flipped, transposed or
    reordered volume, or one whose affine disagrees with its data, fails here."""
    ijk = np.indices(img.shape).reshape(3, -1)
    ras = img.affine[:3, :3] @ ijk + img.affine[:3, 3:4]
    xyz = np.stack([-ras[0] / 1.25, -ras[1] / 1.5, ras[2] / 2.0])
    index = np.rint(xyz).astype(int)
    assert np.allclose(xyz, index, atol=1e-3), "voxel centres fall between the slices' pixels"
    for axis in range(3):
        assert index[axis].min() == 0 and index[axis].max() == data.shape[axis] - 1
    expected = data[index[0], index[1], index[2]]
    assert np.allclose(np.asarray(img.dataobj).reshape(-1), expected)


def test_series_volume_matches_the_slices(env: Env) -> None:
    slices, data = series_from_nifti(Path(data_path) / "anatomical.nii")
    admin = env.client("admin")
    uploads = [("file", (f"s003/im{z:03d}.dcm", raw)) for z, raw in enumerate(slices)]
    r = admin.post(f"{P}/patients/PAT1/studies/20240101/files", files=uploads)
    assert r.status_code == 201, r.text
    first = r.json()[5]["id"]
    r = env.client("readonly").get(f"{P}/viewer/files/{first}/series.nii.gz")
    assert r.status_code == 200, r.text
    img = nib.Nifti1Image.from_bytes(gzip.decompress(r.content))
    got = np.asarray(img.dataobj)
    assert got.shape == data.shape
    assert_voxels_where_the_slices_put_them(img, data)
    zooms = sorted(float(z) for z in img.header.get_zooms()[:3])
    assert np.allclose(zooms, [1.25, 1.5, 2.0])
    # same series, any member: the cached volume with the same ETag; If-None-Match answers 304
    tag = r.headers["etag"]
    other = env.client("readonly").get(f"{P}/viewer/files/{first + 1}/series.nii.gz")
    assert other.headers["etag"] == tag
    again = env.client("readonly").get(f"{P}/viewer/files/{first}/series.nii.gz", headers={"If-None-Match": tag})
    assert again.status_code == 304


def test_not_dicom_and_unconvertible(env: Env) -> None:
    files = env.client("admin").get(f"{P}/patients/PAT1/studies/20240101/files").json()
    nifti = files[0]["id"]
    r = env.client("user").get(f"{P}/viewer/files/{nifti}/series.nii.gz")
    assert r.status_code == 400 and "not DICOM" in r.json()["detail"]
    assert env.client("user").get(f"{P}/viewer/files/999999/series.nii.gz").status_code == 404
