"""The filter bars compiled to SQL, on SQLite and PostgreSQL, against expected rows and the reference."""

from __future__ import annotations

import pytest
from sqlalchemy import ColumnElement, func, inspect, select, text
from sqlalchemy.orm import Session

from nora.archive.models import File, Patient, PatientTag, Study, StudyTag
from nora.archive.selection import column_condition, files_condition, parse_filter, tags_condition
from nora.archive.selection.reference import filter_studies

from .builder import ArchiveBuilder, condition


def rows(session: Session, b: ArchiveBuilder, cond: ColumnElement[bool]) -> list[str]:
    """The table's rows (``PID#SID``) of project ``b`` that pass ``cond``, with the table's join."""
    query = select(Study.id).join(Patient, Patient.id == Study.patient_id).where(Study.project_id == b.project_id, cond)
    return sorted(b.name(i) for i in session.scalars(query))


def expected_rows(b: ArchiveBuilder, bar: str, text: str) -> list[str]:
    return sorted(b.name(i) for i in filter_studies(parse_filter(text), b.reference(), bar))


ALL = ["P001#S1", "P001#S2", "P001#S3", "P002#S1", "P003#S1", "P003#S2"]

CASES: list[tuple[str, str, list[str]]] = [
    ("files", "", ALL),
    ("files", "t1*", ["P001#S1", "P001#S2"]),
    ("files", "t1_trio*/s0*.nii", ["P001#S2"]),
    ("files", "t1* mpr*", ["P001#S1", "P001#S2", "P002#S1"]),
    ("files", "nothing* t1_mprage/s003*", ["P001#S1"]),  # the other project has this file too
    ("files", "T1_MPRAGE/S00_.NII", ["P001#S1"]),
    ("files", "t1* & STAG:baseline", ["P001#S1"]),
    ("files", "t1* mpr* & STAG:control", ["P002#S1"]),
    ("files", "t1* & dwi", ["P001#S2"]),
    ("files", "s0*", []),
    ("files", "*s0*", ["P001#S1", "P001#S2"]),
    ("files", "notes", []),  # patient-level files belong to no study
    ("files", "*.json", ["P001#S1"]),
    ("files", "100%", ["P002#S1"]),
    ("files", "10%", []),
    ("files", "100_", ["P002#S1"]),
    ("files", "*a\\b", ["P002#S1"]),
    ("files", "*a\\\\b", []),
    ("files", '"my file"', ["P002#S1"]),
    ("files", "my file", ["P001#S1", "P002#S1"]),  # "my" OR "file": META/... no; file? no -> see below
    ("files", "it's", ["P002#S1"]),
    ("files", '"it\'s ""odd"""', ["P002#S1"]),
    ("files", "'; DROP TABLE files; --", []),
    ("files", "STAG:control", ["P002#S1"]),
    ("files", "STAG:CONTROL & STAG:base", ["P002#S1"]),
    ("files", "PTAG:cohort", ["P001#S1", "P001#S2", "P001#S3", "P002#S1"]),
    ("files", "PTAG:control", ["P002#S1"]),
    ("files", "FTAG:qc", ["P001#S1"]),
    ("files", "FTAG:qc_ok_", []),
    ("files", "JOB:e", ["P002#S1"]),
    ("files", "JOB:q", ["P003#S1", "P003#S2"]),
    ("files", "JOB:r", []),
    ("files", "JOB:qre", ["P002#S1", "P003#S1", "P003#S2"]),
    ("files", "SDESC:mri", ["P001#S1", "P001#S2", "P002#S1"]),
    ("files", 'SDESC:"MRI Head f"', ["P001#S2"]),
    ("files", "ROIS/mask_* & PTAG:cohortB", ["P002#S1"]),
    ("files", "pet STAG:followup & SDESC:p", ["P003#S1"]),
    ("pid", "p00", ALL),
    ("pid", "10", []),
    ("pid", "P001 P003", ["P001#S1", "P001#S2", "P001#S3", "P003#S1", "P003#S2"]),
    ("pid", "p_02", ["P002#S1"]),
    ("pid", "STAG:baseline", ["P001#S1", "P002#S1"]),
    ("pid", "P00* & JOB:e", ["P002#S1"]),
    ("name", "ali", ["P001#S1", "P001#S2", "P001#S3"]),
    ("name", "*SMITH", ["P001#S1", "P001#S2", "P001#S3"]),
    ("name", "c*l", ["P003#S1", "P003#S2"]),
    ("birth_date", "1970", ["P001#S1", "P001#S2", "P001#S3"]),
    ("birth_date", "*-12-31", ["P003#S1", "P003#S2"]),
    ("birth_date", "*", ["P001#S1", "P001#S2", "P001#S3", "P003#S1", "P003#S2"]),
    ("sex", "f", ["P001#S1", "P001#S2", "P001#S3"]),
    ("sid", "s1", ["P001#S1", "P002#S1", "P003#S1"]),
    ("sid", "S_", ALL),
    ("study_date", "2022", ["P003#S1", "P003#S2"]),
    ("study_date", "2020-01", ["P001#S1"]),
    ("study_date", "20__-0_-01", ["P001#S1", "P001#S2"]),
    ("study_date", "*", ["P001#S1", "P001#S2", "P002#S1", "P003#S1", "P003#S2"]),
    ("sdesc", '"mri head"', ["P001#S1", "P001#S2"]),
    ("sdesc", "mri & *follow", ["P001#S2"]),
    ("modality", "mr", ["P001#S1", "P001#S2", "P002#S1"]),
    ("modality", "p", ["P003#S1", "P003#S2"]),
    ("tags", "base", ["P001#S1", "P002#S1"]),
    ("tags", "cohorta", ["P001#S1", "P001#S2", "P001#S3"]),
    ("tags", "control", ["P002#S1"]),
    ("tags", "follow cohortB", ["P001#S2", "P002#S1"]),
    ("stag", "cohort", []),
    ("stag", "f", ["P001#S2"]),
    ("ptag", "cohort", ["P001#S1", "P001#S2", "P001#S3", "P002#S1"]),
    ("ptag", "base", []),
    ("ptag", "cohort & STAG:baseline", ["P001#S1", "P002#S1"]),
]


def test_bars(session: Session, demo: ArchiveBuilder) -> None:
    failures = []
    for bar, text_, want in CASES:
        if text_ == "my file":
            want = expected_rows(demo, bar, text_)  # (my* OR file*): no path starts with "file"
            assert want == ["P002#S1"]
        got = rows(session, demo, condition(bar, text_))
        reference = expected_rows(demo, bar, text_)
        if not (got == want == reference):
            failures.append(f"{bar} {text_!r}: sql {got}, expected {want}, reference {reference}")
    assert not failures, "\n".join(failures)


def test_sql_metacharacters_harm_nothing(session: Session, demo: ArchiveBuilder) -> None:
    p = demo.patient("X'; DROP TABLE files; --", name="Robert'); DROP TABLE patients; --")
    s = demo.study(p, "S'1", description='"; DELETE FROM studies; --')
    demo.file(p, s, "'; DROP TABLE files; --.nii")
    demo.file(p, s, "50%_off\\x.nii")
    n_files = session.scalar(select(func.count()).select_from(File))
    for bar, text_, want in [
        ("files", "'; DROP TABLE files; --", ["X'; DROP TABLE files; --#S'1"]),
        ("files", "50%_off\\x", ["X'; DROP TABLE files; --#S'1"]),
        ("files", "50%", ["X'; DROP TABLE files; --#S'1"]),
        ("files", "5%", []),
        ("files", "*\\", ["P002#S1", "X'; DROP TABLE files; --#S'1"]),
        ("pid", "x';", ["X'; DROP TABLE files; --#S'1"]),
        ("name", "robert');", ["X'; DROP TABLE files; --#S'1"]),
        ("sid", "s'", ["X'; DROP TABLE files; --#S'1"]),
        ("sdesc", '"""; DELETE"', ["X'; DROP TABLE files; --#S'1"]),
        ("files", "SDESC:'", []),
        ("tags", "' OR 1=1 --", []),
    ]:
        got = rows(session, demo, condition(bar, text_))
        assert got == want == expected_rows(demo, bar, text_), (bar, text_)
    assert session.scalar(select(func.count()).select_from(File)) == n_files
    tables = set(inspect(session.connection()).get_table_names())
    assert {"files", "patients", "studies"} <= tables
    assert session.execute(text("SELECT count(*) FROM studies")).scalar_one() == 8


def test_bound_parameters_only(session: Session) -> None:
    """The user's text never appears in the SQL statement, only in its parameters."""
    cond = files_condition(parse_filter('"\'; DROP TABLE files; --" & STAG:x\' & SDESC:"a\'b"'))
    compiled = select(Study.id).where(cond).compile(session.get_bind())
    assert "DROP" not in str(compiled) and "a'b" not in str(compiled)
    like_or_glob = {"'; drop table files; --%", "'; drop table files; --*"}  # PostgreSQL / SQLite
    assert like_or_glob & set(compiled.params.values())
    assert len(compiled.params) == 3


def test_column_condition_accepts_plain_and_tag_columns(session: Session, demo: ArchiveBuilder) -> None:
    assert rows(session, demo, column_condition(parse_filter("p002"), Patient.pid)) == ["P002#S1"]
    assert rows(session, demo, column_condition(parse_filter("s3"), Study.sid)) == ["P001#S3"]
    assert rows(session, demo, column_condition(parse_filter("follow"), StudyTag.tag)) == ["P001#S2"]
    assert rows(session, demo, column_condition(parse_filter("cohortb"), PatientTag.tag)) == ["P002#S1"]


def test_tags_condition_needs_a_level() -> None:
    from nora.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        tags_condition(parse_filter("x"), study=False, patient=False)


def test_patients_table(session: Session, demo: ArchiveBuilder) -> None:
    """The patients view: patients with at least one matching study (as the table service asks)."""
    matching = (
        select(Study.patient_id)
        .join(Patient, Patient.id == Study.patient_id)
        .where(files_condition(parse_filter("JOB:qe")))
    )
    query = select(Patient.pid).where(Patient.project_id == demo.project_id, Patient.id.in_(matching))
    assert sorted(session.scalars(query)) == ["P002", "P003"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's planner only: nothing to skip elsewhere
def test_sqlite_plans_use_the_path_index(session: Session, demo: ArchiveBuilder) -> None:
    """On SQLite a pattern with a literal prefix is an index range, one with a leading * reads distinct paths."""
    assert session.get_bind().dialect.name == "sqlite"

    def plan(text_: str) -> str:
        query = select(Study.id).where(files_condition(parse_filter(text_)))
        compiled = query.compile(session.get_bind())
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
        return " | ".join(str(row[-1]) for row in rows)

    assert "ix_files_path_pattern (path_lc>? AND path_lc<?)" in plan("t1_mprage/s0*.nii")
    assert "ix_files_path_pattern (path_lc=?)" in plan("*mask*")
