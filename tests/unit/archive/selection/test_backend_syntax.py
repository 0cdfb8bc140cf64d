"""The backend selector's parsers and its pure helpers (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nora.archive.selection import (
    AbsolutePath,
    FilePattern,
    FileSelector,
    FileTagged,
    PatientList,
    PatientPattern,
    PatientTagged,
    SelectionHit,
    StudyList,
    StudyPattern,
    StudyRank,
    StudyTagged,
    parse_file_selectors,
    parse_subject_selector,
)
from nora.archive.selection.backend import absolute_candidates, order_hits
from nora.core.errors import InvalidInput, SelectionSyntaxError, UnsafePath


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("*", PatientPattern("*")),
        ("12345", PatientPattern("12345")),
        ("123*", PatientPattern("123*")),
        ("P1#S1", StudyPattern("P1", "S1")),
        ("P1#2024*", StudyPattern("P1", "2024*")),
        ("#S1", StudyPattern("*", "S1")),
        ("P1#LATEST", StudyRank("P1", latest=True, offset=0)),
        ("P1#latest2", StudyRank("P1", latest=True, offset=2)),
        ("P1#OLDEST", StudyRank("P1", latest=False, offset=0)),
        ("*#OLDEST1", StudyRank("*", latest=False, offset=1)),
        ("P1#LATESTX", StudyPattern("P1", "LATESTX")),
        ("stag:baseline", StudyTagged("*", "baseline")),
        ("STAG:baseline", StudyTagged("*", "baseline")),
        ("notstag:baseline", StudyTagged("*", "baseline", negate=True)),
        ("#tag:baseline", StudyTagged("*", "baseline")),
        ("P1#tag:baseline", StudyTagged("P1", "baseline")),
        ("ptag:cohortA", PatientTagged("cohortA")),
        ("tag:cohortA", PatientTagged("cohortA")),
        ("notptag:cohortA", PatientTagged("cohortA", negate=True)),
        ('PIDLIST:"a,b, c"', PatientList(("a", "b", "c"))),
        ("PSIDLIST:p1#s1,p2#s2", StudyList((("p1", "s1"), ("p2", "s2")))),
        ("foo:bar", PatientPattern("foo:bar")),
        ('"stag:x"', PatientPattern("stag:x")),
    ],
)
def test_subject_forms(text: str, term: object) -> None:
    assert parse_subject_selector(text).terms == (term,)


def test_several_subject_tokens() -> None:
    selector = parse_subject_selector("10* stag:x P9#LATEST")
    assert selector.terms == (PatientPattern("10*"), StudyTagged("*", "x"), StudyRank("P9", True, 0))
    assert selector.patient_terms == [PatientPattern("10*")]
    assert len(selector.study_terms) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty subject selector"),
        ("   ", "empty subject selector"),
        ("SQL:1=1", "raw SQL selectors are not supported"),
        ("* sql:pid like '%'", "raw SQL selectors are not supported"),
        ("P1#", "nothing after '#'"),
        ("P1#S1#x", "more than one '#'"),
        ("stag:", "stag: needs a tag"),
        ("notptag:", "notptag: needs a tag"),
        ("P1#tag:", "tag: needs a tag"),
        ("PIDLIST:", "PIDLIST: needs a comma-separated list"),
        ("PIDLIST:a,,b", "PIDLIST: needs a comma-separated list"),
        ("PSIDLIST:p1s1", "is not PID#SID"),
        ("PSIDLIST:p1#", "is not PID#SID"),
        ("P1#LATEST99999", "skips too many studies"),
        ('"', "unterminated quote"),
        ("a\x00", "control character"),
    ],
)
def test_subject_malformed(text: str, problem: str) -> None:
    with pytest.raises(SelectionSyntaxError, match=problem):
        parse_subject_selector(text)


def test_sql_error_names_its_position() -> None:
    with pytest.raises(SelectionSyntaxError, match=r"\(at character 3\)"):
        parse_subject_selector("* SQL:1=1")


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("file.nii.gz", FileSelector((FilePattern("file.nii.gz"),))),
        (
            "cta_mni.nii.gz META/bolustiming.json",
            FileSelector((FilePattern("cta_mni.nii.gz"), FilePattern("META/bolustiming.json"))),
        ),
        (
            '"my file*.nii" tag:qc ftag:ok',
            FileSelector((FilePattern("my file*.nii"), FileTagged("qc"), FileTagged("ok"))),
        ),
        ("ABS:/data/p/1/2/x.nii", FileSelector((AbsolutePath("/data/p/1/2/x.nii"),))),
        ('ABS:"/data/my p/x.nii"', FileSelector((AbsolutePath("/data/my p/x.nii"),))),
        ("[info]", FileSelector(info=True)),
        ("[INFO]", FileSelector(info=True)),
        ("META/*.json SORTDESC NTH(1)", FileSelector((FilePattern("META/*.json"),), sort="desc", nth=1)),
        ("x SORT", FileSelector((FilePattern("x"),), sort="asc")),
        ("x sortasc nth(-1)", FileSelector((FilePattern("x"),), sort="asc", nth=-1)),
        ('"SORT"', FileSelector((FilePattern("SORT"),))),
    ],
)
def test_file_forms(text: str, selector: FileSelector) -> None:
    assert parse_file_selectors(text) == selector


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no file selector"),
        ("SORT NTH(1)", "no file selector"),
        ("[info] x.nii", r"\[info\] selects study rows"),
        ("[info] NTH(1)", r"\[info\] selects study rows"),
        ("x SORT SORTDESC", "more than one SORT"),
        ("x NTH(1) NTH(2)", "more than one NTH"),
        ("x NTH(0)", "non-zero whole number"),
        ("x NTH(a)", "non-zero whole number"),
        ("x NTH()", "non-zero whole number"),
        ("tag:", "tag: needs a tag"),
        ("ABS:relative/x.nii", "ABS: needs an absolute path"),
        ("/abs/x.nii", "write ABS:/abs/x.nii"),
        ("reading:form1,stage='x'", "takes no extra SQL clauses"),
        ("reading:form1 x.nii", "cannot be combined with file selectors"),
        ("reading:", "needs the name of a reading"),
        ('""', "empty file selector"),
        ("x" * 2001, "longer than 2000"),
    ],
)
def test_file_malformed(text: str, problem: str) -> None:
    with pytest.raises(SelectionSyntaxError, match=problem):
        parse_file_selectors(text)


# ---------------------------------------------------------------------------------------- ABS: paths


def test_absolute_candidates(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert absolute_candidates(f"{root}/P1/x.nii", root) == [("P1", None, "x.nii")]
    assert absolute_candidates(f"{root}/P1/S1/t1/x.nii", root) == [
        ("P1", None, "S1/t1/x.nii"),
        ("P1", "S1", "t1/x.nii"),
    ]
    assert absolute_candidates(f"{root}/P2/../P1/./x.nii", root) == [("P1", None, "x.nii")]


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "{root}/../secret/x.nii", "{root}/P1/../../x", "{root}", "{root}/P1", "{root}x/P1/x.nii"]
)
def test_absolute_outside_the_project(tmp_path: Path, path: str) -> None:
    root = tmp_path / "proj"
    with pytest.raises(UnsafePath):
        absolute_candidates(path.format(root=root), root)


def test_absolute_needs_the_project_folder() -> None:
    with pytest.raises(InvalidInput, match="need the project folder"):
        absolute_candidates("/x/y", None)


# ---------------------------------------------------------------------------------------- SORT / NTH


def _hits(*rows: tuple[str, str | None, str]) -> list[SelectionHit]:
    ids = {"P1": 1, "P2": 2}
    studies = {("P1", "S1"): 11, ("P1", "S2"): 12, ("P2", "S1"): 21}
    return [
        SelectionHit(pid, sid, path, n, ids[pid], studies[(pid, sid)] if sid else None)
        for n, (pid, sid, path) in enumerate(rows)
    ]


def _paths(hits: list[SelectionHit]) -> list[tuple[str, str | None, str | None]]:
    return [(h.pid, h.sid, h.path) for h in hits]


HITS = _hits(
    ("P2", "S1", "b"),
    ("P1", "S1", "c"),
    ("P1", "S1", "a"),
    ("P1", None, "z"),
    ("P1", "S2", "m"),
    ("P1", "S1", "b"),
    ("P1", None, "y"),
)


def test_default_order() -> None:
    assert _paths(order_hits(HITS, FileSelector((FilePattern("*"),)))) == [
        ("P1", None, "y"),
        ("P1", None, "z"),
        ("P1", "S1", "a"),
        ("P1", "S1", "b"),
        ("P1", "S1", "c"),
        ("P1", "S2", "m"),
        ("P2", "S1", "b"),
    ]


def test_sortdesc_nth() -> None:
    terms = (FilePattern("*"),)
    assert _paths(order_hits(HITS, FileSelector(terms, sort="desc", nth=1))) == [
        ("P1", None, "z"),
        ("P1", "S1", "c"),
        ("P1", "S2", "m"),
        ("P2", "S1", "b"),
    ]
    assert _paths(order_hits(HITS, FileSelector(terms, nth=-1))) == [
        ("P1", None, "z"),
        ("P1", "S1", "c"),
        ("P1", "S2", "m"),
        ("P2", "S1", "b"),
    ]
    assert _paths(order_hits(HITS, FileSelector(terms, nth=2))) == [("P1", None, "z"), ("P1", "S1", "b")]
    assert _paths(order_hits(HITS, FileSelector(terms, sort="desc", nth=-2))) == [
        ("P1", None, "z"),
        ("P1", "S1", "b"),
    ]
    assert _paths(order_hits(HITS, FileSelector(terms, sort="desc"))) == [
        ("P1", None, "z"),
        ("P1", None, "y"),
        ("P1", "S1", "c"),
        ("P1", "S1", "b"),
        ("P1", "S1", "a"),
        ("P1", "S2", "m"),
        ("P2", "S1", "b"),
    ]
    assert order_hits(HITS, FileSelector(terms, nth=4)) == []
