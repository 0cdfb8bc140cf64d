"""Tags and metadata export through the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.unit.cli.conftest import PROJECT, Cli


def test_addtag_and_rmtag_on_selected_files(project: Cli) -> None:
    tagged = project.ok("-p", PROJECT, "--addtag", "qc_ok,reviewed", "-s", "PAT*", "t1_mprage/*").json()
    assert tagged == {"files": 2, "added": ["qc_ok", "reviewed"], "removed": []}
    assert (
        project.ok("-p", PROJECT, "-s", "*", "tag:reviewed").lines
        == project.ok("-p", PROJECT, "-s", "*", "t1_mprage/*").lines
    )
    project.ok("-p", PROJECT, "--rmtag", "reviewed", "-s", "PAT1", "t1_mprage/*")
    assert len(project.ok("-p", PROJECT, "-s", "*", "ftag:reviewed").lines) == 1
    assert project.ok("-p", PROJECT, "--tagstats").json()["file"] == {"qc_ok": 2, "reviewed": 1}
    bad = project("-p", PROJECT, "--addtag", "a/b c", "-s", "*", "*")
    assert bad.code == 2 and "invalid tag" in bad.err
    assert project("-p", PROJECT, "--addtag", "x", "--rmtag", "y", "-s", "*", "*").code == 2


def test_study_and_patient_tags(project: Cli) -> None:
    assert project.ok("-p", PROJECT, "--addtag_study", "baseline", "PAT1#20240101").json()["added"] == ["baseline"]
    project.ok("-p", PROJECT, "--addtag_patient", "cohortA,training", "PAT1", "PAT2")
    stats = project.ok("-p", PROJECT, "--tagstats").json()
    assert stats["study"] == {"baseline": 1} and stats["patient"] == {"cohortA": 2, "training": 2}
    assert len(project.ok("-p", PROJECT, "-s", "stag:baseline", "*").lines) == 2
    assert len(project.ok("-p", PROJECT, "-s", "ptag:cohortA", "*").lines) == 3
    assert project("-p", PROJECT, "--addtag_study", "x", "PAT1").code == 2
    assert project("-p", PROJECT, "--addtag_study", "x", "PAT1#NOPE").code == 3
    assert project("-p", PROJECT, "--addtag_patient", "x", "NOPE").code == 3
    assert project("-p", PROJECT, "--addtag_patient", "x").code == 2


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_exportmeta_keys_from_json_files_and_study_meta(project: Cli, tmp_path: Path) -> None:
    radio = tmp_path / "radio1.json"
    radio.write_text(json.dumps({"mask": {"volume": 12.5, "diameter": 3}, "reader": "dr x", "points": [1, 2]}))
    project.ok("-p", PROJECT, "--add", str(radio), "--to", "PAT1#20240101", "--folder", "META")
    radio.write_text(json.dumps({"mask": {"volume": 7}}))
    project.ok("-p", PROJECT, "--add", str(radio), "--to", "PAT2#20230505", "--folder", "META")

    rows = _csv(project.ok("-p", PROJECT, "--exportmeta", "*", "META/radio*.json", "--keys", "*.mask.volume").out)
    assert rows == [
        {"PSID": "PAT1#20240101", "META/radio1.mask.volume": "12.5"},
        {"PSID": "PAT2#20230505", "META/radio1.mask.volume": "7"},
    ]
    rows = _csv(project.ok("-p", PROJECT, "--exportmeta", "PAT1", "META/*.json", "--keys", "mask.volume reader").out)
    assert rows == [{"PSID": "PAT1#20240101", "META/radio1.mask.volume": "12.5", "META/radio1.reader": "dr x"}]
    everything = _csv(project.ok("-p", PROJECT, "--exportmeta", "PAT1", "META/*.json", "--keys", "*").out)
    assert everything[0]["META/radio1.points"] == "[1, 2]" and everything[0]["META/radio1.mask.diameter"] == "3"

    # nodeinfo.json: the study's metadata and its patient, for every selected study; image headers too
    rows = _csv(
        project.ok(
            "-p", PROJECT, "--exportmeta", "PAT*", "nodeinfo.json t1_mprage/*.nii", "--keys", "Patient.pid,*.dims"
        ).out
    )  # fmt: skip
    assert [r["Patient.pid"] for r in rows] == ["PAT1", "PAT2"]
    assert rows[0]["t1_mprage/anatomical.nii.dims"] == "[33, 41, 25]"
    assert project("-p", PROJECT, "--exportmeta", "*", "META/*", "--keys", "x").code == 0
    assert project("-p", PROJECT, "--keys", "x", "--tagstats").code == 2
