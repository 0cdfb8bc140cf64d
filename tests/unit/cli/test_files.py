"""Files through the CLI: --add (in place and --to), -s, --out/--pathout, --del, --del_pat, path safety."""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib

from tests.unit.cli.conftest import NIB, PROJECT, Cli


def _study_files(cli: Cli, psid: str) -> list[str]:
    return [item["path"] for item in cli.ok("-p", PROJECT, "--json", "-s", psid, "*").json()]


def test_add_copies_into_a_new_study_with_tags(project: Cli) -> None:
    added = project.ok(
        "-p", PROJECT, "--add", str(NIB / "functional.nii"), str(NIB / "standard.nii.gz"),
        "--to", "PAT3#S1", "--folder", "func", "--addtag", "raw,qc_ok",
    ).json()  # fmt: skip
    target = project.project_dir() / "PAT3" / "S1" / "func"
    assert [a["filename"] for a in added] == [str(target / "functional.nii"), str(target / "standard.nii.gz")]
    assert {a["format"] for a in added} == {"nifti"}
    assert nib.load(target / "functional.nii").shape == nib.load(NIB / "functional.nii").shape
    described = project.ok("-p", PROJECT, "-j", "-s", "PAT3#S1", "func/*").json()
    assert [d["tags"] for d in described] == [["qc_ok", "raw"], ["qc_ok", "raw"]]
    again = project("-p", PROJECT, "--add", str(NIB / "functional.nii"), "--to", "PAT3#S1", "--folder", "func")
    assert again.code == 5 and "already exist" in again.err
    project.ok(
        "-p", PROJECT, "--add", str(NIB / "functional.nii"), "--to", "PAT3#S1", "--folder", "func", "--overwrite"
    )


def test_add_registers_files_already_in_the_project_folder(project: Cli) -> None:
    study = project.project_dir() / "PAT9" / "20200101" / "anat"
    study.mkdir(parents=True)
    shutil.copy(NIB / "anatomical.nii", study / "t1.nii")
    shutil.copy(NIB / "example_nifti2.nii.gz", project.project_dir() / "PAT9" / "patient_level.nii.gz")
    added = project.ok(
        "-p", PROJECT, "--add", str(study / "t1.nii"), str(project.project_dir() / "PAT9" / "patient_level.nii.gz"),
        "--addtag", "inplace",
    ).json()  # fmt: skip
    assert len(added) == 2
    assert project.ok("-p", PROJECT, "-s", "PAT9#20200101", "anat/t1.nii").lines == [str(study / "t1.nii")]
    assert project.ok("-p", PROJECT, "-s", "PAT9", "patient_level.nii.gz").lines == [
        str(project.project_dir() / "PAT9" / "patient_level.nii.gz")
    ]
    assert project.ok("-p", PROJECT, "--tagstats").json()["file"] == {"inplace": 2}


def test_corrupt_or_unknown_file_is_refused_and_nothing_is_indexed(project: Cli, tmp_path: Path) -> None:
    truncated = tmp_path / "broken.nii.gz"
    truncated.write_bytes((NIB / "example4d.nii.gz").read_bytes()[:2000])
    text = tmp_path / "notes.nii"
    text.write_text("not an image at all, just text")
    before = project.ok("-p", PROJECT, "-s", "*").lines
    for bad in (truncated, text):
        result = project("-p", PROJECT, "--add", str(NIB / "functional.nii"), str(bad), "--to", "NEWPAT#S1")
        assert result.code == 2 and bad.name in result.err
    assert not (project.project_dir() / "NEWPAT").exists()
    # in place: the good file before the bad one is not indexed either
    study = project.project_dir() / "PAT1" / "20240101"
    shutil.copy(NIB / "functional.nii", study / "good.nii")
    shutil.copy(truncated, study / "broken.nii.gz")
    result = project("-p", PROJECT, "--add", str(study / "good.nii"), str(study / "broken.nii.gz"))
    assert result.code == 2 and "broken.nii.gz" in result.err
    assert project.ok("-p", PROJECT, "-s", "*").lines == before


def test_paths_leaving_the_project_are_refused(project: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside.nii"
    shutil.copy(NIB / "anatomical.nii", outside)
    other = project.home / "projects" / "P2" / "X" / "S" / "f.nii"
    project.ok("--createproject", "P2")
    other.parent.mkdir(parents=True)
    shutil.copy(NIB / "anatomical.nii", other)
    link = project.project_dir() / "PAT1" / "20240101" / "link.nii"
    link.symlink_to(outside)
    before = project.ok("-p", PROJECT, "-s", "*").lines
    refused = [
        ["--add", str(outside)],
        ["--add", str(project.project_dir() / "PAT1" / ".." / ".." / "P2" / "X" / "S" / "f.nii")],
        ["--add", str(link)],
        ["--add", str(NIB / "anatomical.nii"), "--to", "../../P2#S"],
        ["--add", str(NIB / "anatomical.nii"), "--to", "PAT1#20240101", "--folder", "../../../P2/X"],
        ["--add", str(NIB / "anatomical.nii"), "--to", "PAT1#.."],
        ["--del", "PAT1/20240101/../../../P2/X/S/f.nii"],
        ["--del", str(project.project_dir() / ".." / "P2" / "X" / "S" / "f.nii")],
        ["--del", "/etc/passwd"],
        ["--del_pat", "../P2"],
    ]
    for args in refused:
        result = project("-p", PROJECT, *args)
        assert result.code in (2, 3), (args, result)
        assert result.err.startswith("nora: error: ")
    assert project.ok("-p", PROJECT, "-s", "*").lines == before
    assert other.is_file() and outside.is_file()


def test_select_plain_json_and_byfilename(any_db_project: Cli) -> None:
    project = any_db_project
    root = project.project_dir()
    plain = project.ok("-p", PROJECT, "-s", "PAT*", "t1_mprage/*.nii fmri/*").lines
    assert plain == [
        str(root / "PAT1/20240101/fmri/example4d.nii.gz"),
        str(root / "PAT1/20240101/t1_mprage/anatomical.nii"),
        str(root / "PAT2/20230505/t1_mprage/anatomical.nii"),
    ]
    assert project.ok("-p", PROJECT, "-s", "PAT1 fmri/*").lines == plain[:1]  # one argument, NORA style
    assert project.ok("-p", PROJECT, "-s", plain[0]).lines == plain[:1]  # an absolute path
    assert project.ok("-p", PROJECT, "-s", "PAT1#LATEST", "*.nii").lines == plain[1:2]  # anchored: no .nii.gz
    items = project.ok("-p", PROJECT, "-j", "-s", "PAT1#20240101", "fmri/*").json()
    assert items[0]["psid"] == "PAT1#20240101" and items[0]["format"] == "nifti"
    assert items[0]["path"] == "fmri/example4d.nii.gz" and items[0]["filename"] == plain[0]
    grouped = project.ok("-p", PROJECT, "--json", "--byfilename", "-s", "*", "t1_mprage/anatomical.nii").json()
    assert grouped == {
        "PAT1#20240101": {"t1_mprage/anatomical.nii": plain[1]},
        "PAT2#20230505": {"t1_mprage/anatomical.nii": plain[2]},
    }
    info = project.ok("-p", PROJECT, "-j", "-s", "PAT2", "[info]").json()
    assert [(i["psid"], i["folder"]) for i in info] == [("PAT2#20230505", str(root / "PAT2/20230505"))]


def test_subject_list_from_a_file(project: Cli, tmp_path: Path) -> None:
    listing = tmp_path / "subjects.txt"
    listing.write_text("PAT2#20230505\n")
    assert len(project.ok("-p", PROJECT, "-s", f"file:{listing}", "*").lines) == 1


def test_out_and_pathout(project: Cli) -> None:
    root = project.project_dir()
    out = project.ok("-p", PROJECT, "--out", "PAT1#LATEST", "RESULTS/mask.nii.gz").lines
    assert out == [str(root / "PAT1/20240101/RESULTS/mask.nii.gz")]
    assert not (root / "PAT1/20240101/RESULTS").exists()
    assert project.ok("-p", PROJECT, "-o", "PAT2", "seg.nii").lines == [str(root / "PAT2/20230505/seg.nii")]
    assert project("-p", PROJECT, "--out", "PAT*", "x.nii").code == 2  # two studies
    assert project("-p", PROJECT, "--out", "NEW#S1", "x.nii").code == 3
    assert project("-p", PROJECT, "--out", "PAT1#LATEST", "x*.nii").code == 2
    assert project("-p", PROJECT, "--out", "PAT1#LATEST", "../x.nii").code == 2
    assert project.ok("-p", PROJECT, "-pa", "NEW#S1", "RESULTS").lines == [str(root / "NEW/S1/RESULTS")]
    assert not (root / "NEW").exists()
    assert project("-p", PROJECT, "--pathout", "NEW*#S1", "RESULTS").code == 3


def test_del_files_by_path_and_by_pid_sid_path(any_db_project: Cli) -> None:
    project = any_db_project
    root = project.project_dir()
    fmri = root / "PAT1/20240101/fmri/example4d.nii.gz"
    missing = project("-p", PROJECT, "--del", str(fmri), "PAT1/20240101/nope.nii")
    assert missing.code == 3 and fmri.is_file()  # all or nothing
    deleted = project.ok("-p", PROJECT, "--del", str(fmri), "PAT2/20230505/t1_mprage/anatomical.nii").json()
    assert deleted["deleted"] == [str(fmri), str(root / "PAT2/20230505/t1_mprage/anatomical.nii")]
    assert not fmri.exists()
    assert project.ok("-p", PROJECT, "-s", "*").lines == [str(root / "PAT1/20240101/t1_mprage/anatomical.nii")]


def test_del_pat_deletes_patients_and_studies(project: Cli) -> None:
    root = project.project_dir()
    assert project("-p", PROJECT, "--del_pat", "PAT2", "NOPE#1").code == 3
    assert (root / "PAT2").is_dir()
    assert project.ok("-p", PROJECT, "-dp", "PAT1#20240101", "PAT2").json() == {"deleted": ["PAT1#20240101", "PAT2"]}
    assert not (root / "PAT2").exists() and not (root / "PAT1/20240101").exists()
    assert project.ok("-p", PROJECT, "-s", "*").lines == []
    assert project.ok("--projectlist").json()[0]["n_patients"] == 1
