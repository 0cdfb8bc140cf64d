"""Every backend selector form resolved on SQLite and PostgreSQL, against expected hits and the reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from nora.archive.selection import SelectionHit, resolve_selection
from nora.archive.selection.reference import load_archive, resolve
from nora.core.errors import InvalidInput, SelectionSyntaxError, UnsafePath

from .builder import ArchiveBuilder


def names(hits: list[SelectionHit]) -> list[str]:
    out = []
    for h in hits:
        node = h.pid if h.sid is None else f"{h.pid}#{h.sid}"
        out.append(node if h.path is None else f"{node}/{h.path}")
    return out


P001_S1 = [
    "P001#S1/META/info.json",
    "P001#S1/ROIS/mask_a.nii.gz",
    "P001#S1/t1_mprage/s003.nii.gz",
    "P001#S1/t1_mprage/s004.nii.gz",
]
P001_S2 = ["P001#S2/dwi/dti.nii.gz", "P001#S2/t1_trio/s001.nii"]
P001_S3 = ["P001#S3/ct/ct.nii.gz"]
P001 = ["P001/demographics.json", "P001/notes.txt", *P001_S1, *P001_S2, *P001_S3]
P002_S1 = [
    "P002#S1/100%/a\\b.nii",
    "P002#S1/MPR_t1/s1.nii",
    "P002#S1/ROIS/mask_b.nii.gz",
    'P002#S1/it\'s "odd".nii',
    "P002#S1/my file 1.nii",
]
ALL_STUDIES = ["P001#S1", "P001#S2", "P001#S3", "P002#S1", "P003#S1", "P003#S2"]

CASES: list[tuple[str, str, list[str]]] = [
    (
        "*",
        "*.nii",
        [
            "10X/x.nii",
            "P001#S2/t1_trio/s001.nii",
            *[p for p in P002_S1 if p.endswith(".nii")],
            "P003#S1/pet/suv.nii",
        ],
    ),
    ("*", "*", ["10X/x.nii", *P001, *P002_S1, "P003#S1/pet/suv.nii"]),
    ("P001", "notes.txt", ["P001/notes.txt"]),
    ("p001", "NOTES.TXT", ["P001/notes.txt"]),
    ("P001", "notes", []),  # anchored: no implicit trailing *
    ("P00", "*", []),
    ("P00*", "ROIS/mask*.nii.gz", ["P001#S1/ROIS/mask_a.nii.gz", "P002#S1/ROIS/mask_b.nii.gz"]),
    ("P00_", "ROIS/mask_?.nii.gz", []),
    ("1*", "*", ["10X/x.nii"]),
    ("P001#S1", "notes.txt", []),  # a study selection does not reach patient-level files
    ("P001#S1", "t1_mprage/s00_.nii.gz", P001_S1[2:]),
    ("P001#S*", "*.nii*", [*P001_S1[1:], *P001_S2, *P001_S3]),
    ("#S2", "*", P001_S2),
    ("P001#LATEST", "*", P001_S2),
    ("P001#LATEST1", "*", P001_S1),
    ("P001#LATEST2", "*", P001_S3),  # undated studies come after every dated one
    ("P001#LATEST3", "*", []),
    ("P001#OLDEST", "*", P001_S1),
    ("P001#OLDEST1", "*", P001_S2),
    ("P001#OLDEST2", "*", P001_S3),
    ("P003#LATEST", "[info]", ["P003#S2"]),  # same date: SID decides
    ("P003#OLDEST", "[info]", ["P003#S1"]),
    ("*#LATEST", "[info]", ["P001#S2", "P002#S1", "P003#S2"]),
    ("P00*#OLDEST", "[info]", ["P001#S1", "P002#S1", "P003#S1"]),
    ("10X#LATEST", "[info]", []),
    ("stag:baseline", "*", [*P001_S1, *P002_S1]),
    ("stag:BASELINE", "META/*", ["P001#S1/META/info.json"]),
    ("stag:base", "*", []),  # tags match exactly (or with explicit wildcards)
    ("stag:base*", "[info]", ["P001#S1", "P002#S1"]),
    ("notstag:baseline", "[info]", ["P001#S2", "P001#S3", "P003#S1", "P003#S2"]),
    ("ptag:cohortA", "*.json", ["P001/demographics.json", "P001#S1/META/info.json"]),
    ("tag:control", "[info]", ["P002#S1"]),
    ("notptag:cohortA", "[info]", ["10X", "P002#S1", "P003#S1", "P003#S2"]),
    ("notptag:cohortA", "*", ["10X/x.nii", *P002_S1, "P003#S1/pet/suv.nii"]),
    ("#tag:followup", "[info]", ["P001#S2"]),
    ("P002#tag:baseline", "[info]", ["P002#S1"]),
    ("P001#tag:control", "[info]", []),
    ("PIDLIST:p001,10x", "*.json x.nii", ["10X/x.nii", "P001/demographics.json", "P001#S1/META/info.json"]),
    ("PIDLIST:P0*", "*", []),  # list entries are exact
    ("PSIDLIST:P001#S2,p002#s1", "*.nii", ["P001#S2/t1_trio/s001.nii", *[p for p in P002_S1 if p.endswith(".nii")]]),
    ("P001#S3 P003 P001#S3", "*", [*P001_S3, "P003#S1/pet/suv.nii"]),
    ("*", "tag:qc_ok", ["P001#S1/ROIS/mask_a.nii.gz"]),
    ("*", "ftag:QC_OK notes.txt", ["P001/notes.txt", "P001#S1/ROIS/mask_a.nii.gz"]),
    ("*", "ftag:qc", []),
    ("*", '"my file 1.nii" 100%/a\\b.nii', ["P002#S1/100%/a\\b.nii", "P002#S1/my file 1.nii"]),
    ("*", "100_/a_b.nii", ["P002#S1/100%/a\\b.nii"]),
    ("*", "10%/*", []),
    ("*", "'; DROP TABLE files; --", []),
    ("P001#S1", "t1_mprage/* SORTDESC NTH(1)", ["P001#S1/t1_mprage/s004.nii.gz"]),
    ("P001#S1", "t1_mprage/* NTH(1)", ["P001#S1/t1_mprage/s003.nii.gz"]),
    ("P001#S1", "t1_mprage/* SORT NTH(-1)", ["P001#S1/t1_mprage/s004.nii.gz"]),
    ("P001", "* NTH(1)", ["P001/demographics.json", P001_S1[0], P001_S2[0], P001_S3[0]]),
    ("P001", "* NTH(2)", ["P001/notes.txt", P001_S1[1], P001_S2[1]]),
    ("P001#S1", "t1_mprage/* SORTDESC", ["P001#S1/t1_mprage/s004.nii.gz", "P001#S1/t1_mprage/s003.nii.gz"]),
    ("*", "[info]", ["10X", *ALL_STUDIES]),
    ("nobody", "*", []),
]


def test_selector_forms(session: Session, demo: ArchiveBuilder, tmp_path: Path) -> None:
    reference = demo.reference()
    failures = []
    for subject, files, want in CASES:
        got = names(resolve_selection(session, demo.project_id, subject, files, tmp_path))
        ref = names(resolve(reference, subject, files, tmp_path))
        if not (got == want == ref):
            failures.append(f"{subject!r} {files!r}:\n  sql       {got}\n  expected  {want}\n  reference {ref}")
    assert not failures, "\n".join(failures)


def test_large_selections_stay_subqueries(
    session: Session, demo: ArchiveBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same answers when the selected patients / studies are too many to pass by id."""
    from nora.archive.selection import resolve as resolve_module

    monkeypatch.setattr(resolve_module, "SMALL_SELECTION", 0)
    for subject, files, want in CASES:
        assert names(resolve_selection(session, demo.project_id, subject, files, tmp_path)) == want, subject


def test_hits_carry_ids(session: Session, demo: ArchiveBuilder) -> None:
    [hit] = resolve_selection(session, demo.project_id, "P001#S1", "ROIS/*")
    assert hit == SelectionHit(
        pid="P001",
        sid="S1",
        path="ROIS/mask_a.nii.gz",
        file_id=demo.ids["P001#S1/ROIS/mask_a.nii.gz"],
        patient_id=demo.ids["P001"],
        study_id=demo.ids["P001#S1"],
    )
    [info] = resolve_selection(session, demo.project_id, "10X", "[info]")
    assert info == SelectionHit("10X", None, None, None, demo.ids["10X"], None)


def test_absolute_paths(session: Session, demo: ArchiveBuilder, tmp_path: Path) -> None:
    root = tmp_path / "projects" / "demo"

    def select(files: str, subject: str = "*") -> list[str]:
        got = names(resolve_selection(session, demo.project_id, subject, files, root))
        assert got == names(resolve(demo.reference(), subject, files, root))
        return got

    assert select(f"ABS:{root}/P001/S1/ROIS/mask_a.nii.gz") == ["P001#S1/ROIS/mask_a.nii.gz"]
    assert select(f"ABS:{root}/P001/notes.txt") == ["P001/notes.txt"]
    assert select(f"ABS:{root}/P001/S9/../S1/t1_mprage/s003.nii.gz x.nii") == [
        "10X/x.nii",
        "P001#S1/t1_mprage/s003.nii.gz",
    ]
    assert select(f'ABS:"{root}/P002/S1/my file 1.nii"') == ["P002#S1/my file 1.nii"]
    assert select(f"ABS:{root}/P001/S1/ROIS/MASK_A.nii.gz") == []  # exact path
    assert select(f"ABS:{root}/P001/S1/ROIS/mask_a.nii.gz", subject="P002") == []
    for outside in ["/etc/passwd", f"{root}/../other/P001/S1/t1_mprage/s003.nii.gz", f"{root}/P001/../../x"]:
        with pytest.raises(UnsafePath):
            resolve_selection(session, demo.project_id, "*", f"ABS:{outside}", root)
    with pytest.raises(InvalidInput, match="project folder"):
        resolve_selection(session, demo.project_id, "*", f"ABS:{root}/P001/notes.txt")


@pytest.mark.parametrize(
    ("subject", "files", "problem"),
    [
        ("SQL:1=1) OR (1=1", "*", "raw SQL selectors are not supported"),
        ("", "*", "empty subject selector"),
        ("*", "", "no file selector"),
        ("*", "reading:qc", "not supported"),
    ],
)
def test_refused(session: Session, demo: ArchiveBuilder, subject: str, files: str, problem: str) -> None:
    with pytest.raises(SelectionSyntaxError, match=problem):
        resolve_selection(session, demo.project_id, subject, files)


def test_parsed_selectors_and_loaded_reference(session: Session, demo: ArchiveBuilder) -> None:
    from nora.archive.selection import parse_file_selectors, parse_subject_selector

    parsed = resolve_selection(
        session, demo.project_id, parse_subject_selector("stag:baseline"), parse_file_selectors("*.nii*")
    )
    assert parsed == resolve_selection(session, demo.project_id, "stag:baseline", "*.nii*")
    loaded = load_archive(session, demo.project_id)
    for subject, files, _ in CASES:
        assert resolve(loaded, subject, files, Path("/x")) == resolve(demo.reference(), subject, files, Path("/x"))
