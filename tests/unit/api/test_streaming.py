"""File streaming (api.streaming): range requests, ETag and 304, the same on the archive's and the viewer's endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from nibabel.testing import data_path

from nora.api.streaming import etag_matches
from tests.unit.api.conftest import Env

S = "/api/projects/P1/patients/PAT1/studies/20240101"
NIFTI = (Path(data_path) / "anatomical.nii").read_bytes()


@pytest.mark.parametrize(
    "endpoint", ["/api/projects/P1/files/{id}/content", "/api/projects/P1/viewer/files/{id}/content"]
)
def test_range_etag_and_not_modified(env: Env, endpoint: str) -> None:
    c = env.client("readonly")
    url = endpoint.format(id=c.get(f"{S}/files").json()[0]["id"])
    full = c.get(url)
    assert full.status_code == 200 and full.content == NIFTI
    etag = full.headers["etag"]
    assert full.headers["cache-control"] == "private, max-age=0, must-revalidate"
    assert full.headers["content-disposition"].startswith("inline")
    part = c.get(url, headers={"range": "bytes=0-347"})
    assert part.status_code == 206 and part.content == NIFTI[:348]
    assert part.headers["content-range"] == f"bytes 0-347/{len(NIFTI)}"
    for header in (etag, f'"stale", {etag}', f"W/{etag}", "*"):
        again = c.get(url, headers={"if-none-match": header})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, header
    assert c.get(url, headers={"if-none-match": '"stale"'}).status_code == 200


def test_download_is_an_attachment(env: Env) -> None:
    c = env.client("user")
    fid = c.get(f"{S}/files").json()[0]["id"]
    r = c.get(f"/api/projects/P1/files/{fid}/content", params={"download": "true"})
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")


def test_etag_matching() -> None:
    assert etag_matches('"a", "b"', '"b"') and etag_matches('W/"b"', '"b"') and etag_matches(" * ", '"b"')
    assert not etag_matches(None, '"b"') and not etag_matches("", '"b"') and not etag_matches('"bb"', '"b"')
