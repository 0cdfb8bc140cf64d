"""Uploads (good, corrupt, truncated, unknown, unsafe names, oversized) and downloads (ETag: test_streaming.py)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import pytest
from nibabel.testing import data_path

from tests.unit.api.conftest import Env

S = "/api/projects/P1/patients/PAT1/studies/20240101"
NIFTI = (Path(data_path) / "anatomical.nii").read_bytes()


def _files_on_disk(env: Env) -> list[str]:
    root = env.layout.study_dir("P1", "PAT1", "20240101")
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_upload_indexes_header_and_is_downloadable(env: Env) -> None:
    c = env.client("user")
    gz = (Path(data_path) / "example4d.nii.gz").read_bytes()
    r = c.post(f"{S}/files", files={"file": ("bold.nii.gz", gz)}, data={"folder": "fmri"})
    assert r.status_code == 201, r.text
    out = r.json()[0]
    img = nib.load(Path(data_path) / "example4d.nii.gz")
    assert out["path"] == "fmri/bold.nii.gz" and out["format"] == "nifti"
    assert out["header"]["dims"] == list(img.shape)
    body = c.get(out["url"])
    assert body.status_code == 200 and body.content == gz


def test_download_flag_needs_download_right(env: Env) -> None:
    fid = env.client("user").get(f"{S}/files").json()[0]["id"]
    url = f"/api/projects/P1/files/{fid}/content?download=true"
    assert env.client("user").get(url).status_code == 200
    r = env.client("readonly").get(url)
    assert r.status_code == 403 and "download" in r.json()["detail"]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("junk.nii", b"this is not an image at all" * 10, ""),
        ("trunc.nii", NIFTI[: len(NIFTI) // 2], ""),
        ("hdr-only.nii", NIFTI[:200], ""),
        ("empty.nii", b"", ""),
        ("notes.xyz", b"\x00\x01\x02 unknown binary", ""),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(env: Env, name: str, content: bytes, fragment: str) -> None:
    before = _files_on_disk(env)
    n_before = len(env.client("user").get(f"{S}/files").json())
    r = env.client("user").post(f"{S}/files", files={"file": (name, content)})
    assert r.status_code == 400, r.text
    assert r.json()["detail"]
    assert _files_on_disk(env) == before
    assert len(env.client("user").get(f"{S}/files").json()) == n_before


def test_all_or_nothing_when_one_file_of_several_is_bad(env: Env) -> None:
    before = _files_on_disk(env)
    r = env.client("user").post(f"{S}/files", files=[("file", ("good.nii", NIFTI)), ("file", ("bad.nii", b"junk"))])
    assert r.status_code == 400
    assert _files_on_disk(env) == before


@pytest.mark.parametrize(
    ("filename", "folder"),
    [
        ("../../evil.nii", ""),
        ("ok.nii", "../.."),
        ("ok.nii", "/etc"),
        ("..", ""),
        (".hidden.nii", ""),
        ("a\\..\\b.nii", ""),
        ("ok.nii", "a/../../b"),
    ],
)
def test_path_traversal_in_names_is_refused(env: Env, filename: str, folder: str) -> None:
    home = env.settings.home
    before = sorted(str(p) for p in home.rglob("*"))
    r = env.client("user").post(f"{S}/files", files={"file": (filename, NIFTI)}, data={"folder": folder})
    assert r.status_code in (400, 422), r.text
    assert sorted(str(p) for p in home.rglob("*")) == before
    assert not (home.parent / "evil.nii").exists()


def test_existing_file_needs_overwrite(env: Env) -> None:
    c = env.client("user")
    r = c.post(f"{S}/files", files={"file": ("s002.nii", NIFTI)}, data={"folder": "t1_mprage"})
    assert r.status_code == 409 and "overwrite" in r.json()["detail"]
    r = c.post(f"{S}/files", files={"file": ("s002.nii", NIFTI)}, data={"folder": "t1_mprage", "overwrite": "true"})
    assert r.status_code == 201


def test_oversized_upload_is_refused(env: Env) -> None:
    big = b"\x00" * (6 * 1024 * 1024 + 10)  # the env's limit is 5 MB
    before = _files_on_disk(env)
    r = env.client("user").post(f"{S}/files", files={"file": ("big.nii", big)})
    assert r.status_code == 413
    assert r.json()["detail"] == "request body too large (limit 5 MB)"
    assert r.headers["x-content-type-options"] == "nosniff"  # refused inside the security headers
    assert _files_on_disk(env) == before
    assert env.client("user").get("/api/health").status_code == 200


def test_delete_file_removes_row_and_file(env: Env) -> None:
    c = env.client("user")
    f = c.get(f"{S}/files").json()[0]
    assert c.delete(f"/api/projects/P1/files/{f['id']}").status_code == 204
    assert _files_on_disk(env) == []
    assert c.get(f["url"]).status_code == 404
