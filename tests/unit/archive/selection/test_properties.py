"""Property-based tests: the SQL answers equal the reference matcher's, on SQLite and PostgreSQL.

Random small archives (paths, tags and IDs over a tiny alphabet with ``_ * % / . \\ '`` in it) and random
filters / selectors are run through the database and through :mod:`nora.archive.selection.reference`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.orm import Session

from nora.archive.models import Patient, Study
from nora.archive.selection import (
    DescriptionTerm,
    Filter,
    JobTerm,
    PatternTerm,
    SubjectSelector,
    TagTerm,
    parse_filter,
    parse_study_reference,
    referenced_studies,
    resolve_selection,
)
from nora.archive.selection.reference import filter_studies, referenced, resolve
from nora.archive.selection.syntax import quote
from nora.core.errors import SelectionSyntaxError

from .builder import ArchiveBuilder, condition

DB_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

DATA = "aAb_%/.\\*'?["
PATTERN = "aA_*%/.\\'?["
TAG = "aAb_%.\\'?["

paths = st.text(DATA, min_size=1, max_size=6)
patterns = st.text(PATTERN, min_size=1, max_size=5)
tags = st.frozensets(st.text(TAG, min_size=1, max_size=3), max_size=2)
dates = st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2020, 1, 4)))


@dataclass
class StudySpec:
    sid: str
    date: dt.date | None
    description: str
    tags: frozenset[str]
    files: dict[str, frozenset[str]]
    job: str | None


@dataclass
class PatientSpec:
    pid: str
    tags: frozenset[str]
    studies: list[StudySpec] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    job: str | None = None


jobs = st.one_of(st.none(), st.sampled_from("qred"))
study_specs = st.builds(
    StudySpec,
    sid=st.text("aA1_%", min_size=1, max_size=2),
    date=dates,
    description=st.text(DATA + " ", max_size=5),
    tags=tags,
    files=st.dictionaries(paths, st.frozensets(st.text(TAG, min_size=1, max_size=2), max_size=1), max_size=4),
    job=jobs,
)
patient_specs = st.builds(
    PatientSpec,
    pid=st.text("aA1_%'", min_size=1, max_size=3),
    tags=tags,
    studies=st.lists(study_specs, max_size=3, unique_by=lambda s: s.sid.lower()),
    files=st.lists(paths, max_size=2, unique=True),
    job=jobs,
)
archives = st.lists(patient_specs, min_size=1, max_size=3, unique_by=lambda p: p.pid.lower())


def build(conn: Connection, specs: list[PatientSpec]) -> ArchiveBuilder:
    """The archive in project "prop", after a twin in project "twin" that no answer may leak into."""
    _build(ArchiveBuilder(conn, "twin"), specs)
    return _build(ArchiveBuilder(conn, "prop"), specs)


def _build(b: ArchiveBuilder, specs: list[PatientSpec]) -> ArchiveBuilder:
    for p in specs:
        pk = b.patient(p.pid, tags=p.tags)
        for path in p.files:
            b.file(pk, None, path)
        if p.job:
            b.job(pk, None, p.job)
        for s in p.studies:
            sk = b.study(pk, s.sid, date=s.date, description=s.description, tags=s.tags)
            for path, file_tags in s.files.items():
                b.file(pk, sk, path, tags=file_tags)
            if s.job:
                b.job(pk, sk, s.job)
    return b


def table_rows(session: Session, b: ArchiveBuilder, cond: ColumnElement[bool]) -> list[int]:
    query = select(Study.id).join(Patient, Patient.id == Study.patient_id).where(Study.project_id == b.project_id, cond)
    return sorted(session.scalars(query))


def values_of(specs: list[PatientSpec]) -> dict[str, list[str]]:
    """The texts in an archive, by kind, so patterns can be drawn that actually match something."""
    studies = [s for p in specs for s in p.studies]
    return {
        "pid": [p.pid for p in specs],
        "sid": [s.sid for s in studies],
        "path": [f for s in studies for f in s.files] + [f for p in specs for f in p.files],
        "tag": [t for p in specs for t in p.tags] + [t for s in studies for t in s.tags],
        "ftag": [t for s in studies for tags_ in s.files.values() for t in tags_],
        "sdesc": [s.description for s in studies if s.description],
        "study_date": [s.date.isoformat() for s in studies if s.date],
    }


@st.composite
def pattern_like(draw: st.DrawFn, values: list[str], alphabet: str = PATTERN) -> str:
    """A random pattern, or (mostly) one made from a real value: case flipped, wildcards put in, cut short."""
    if not values or draw(st.integers(0, 3)) == 0:
        return draw(st.text(alphabet, min_size=1, max_size=5))
    value = draw(st.sampled_from(values))
    out = []
    for ch in value:
        op = draw(st.sampled_from(["keep", "keep", "keep", "swap", "_", "*", "drop"]))
        out.append({"keep": ch, "swap": ch.swapcase(), "_": "_", "*": "*", "drop": ""}[op])
    if draw(st.booleans()):
        out = out[: draw(st.integers(0, len(out)))]
    return "".join(out) or "*"


@st.composite
def filters_for(draw: st.DrawFn, values: dict[str, list[str]], bar: str) -> Filter:
    plain = {"files": "path", "pid": "pid", "sid": "sid", "sdesc": "sdesc", "study_date": "study_date", "tags": "tag"}[
        bar
    ]
    term = st.one_of(
        st.builds(PatternTerm, pattern_like(values[plain])),
        st.builds(TagTerm, st.sampled_from(["study", "patient"]), pattern_like(values["tag"])),
        st.builds(TagTerm, st.just("file"), pattern_like(values["ftag"])),
        st.builds(JobTerm, st.frozensets(st.sampled_from("qre"), min_size=1)),
        st.builds(DescriptionTerm, pattern_like(values["sdesc"], PATTERN + " ")),
    )
    conjuncts = draw(st.lists(st.lists(term, min_size=1, max_size=3).map(tuple), min_size=1, max_size=2))
    return Filter(tuple(conjuncts))


@DB_SETTINGS
@given(specs=archives, bar=st.sampled_from(["files", "pid", "sid", "sdesc", "study_date", "tags"]), data=st.data())
def test_filter_bars_match_the_reference(
    conn: Connection, specs: list[PatientSpec], bar: str, data: st.DataObject
) -> None:
    flt = data.draw(filters_for(values_of(specs), bar))
    text = str(flt)
    assert parse_filter(text) == flt
    savepoint = conn.begin_nested()
    try:
        b = build(conn, specs)
        with Session(bind=conn) as session:
            got = table_rows(session, b, condition(bar, text))
        assert got == filter_studies(flt, b.reference(), bar), text
        event("some rows match" if got else "no row matches")
    finally:
        savepoint.rollback()


@st.composite
def subject_for(draw: st.DrawFn, values: dict[str, list[str]]) -> str:
    pid, sid = pattern_like(values["pid"]), pattern_like(values["sid"])
    tag = pattern_like(values["tag"])
    return draw(
        st.one_of(
            st.builds(quote, pid),
            st.builds(lambda p, s: quote(f"{p}#{s}"), pid, sid),
            st.builds(
                lambda p, r, n: quote(f"{p}#{r}{n or ''}"),
                pid,
                st.sampled_from(["LATEST", "OLDEST"]),
                st.integers(0, 2),
            ),
            st.builds(lambda k, t: f"{k}:{quote(t)}", st.sampled_from(["stag", "notstag", "ptag", "notptag"]), tag),
            st.builds(lambda p, t: quote(f"{p}#tag:{t}"), pid, tag),
            st.builds(
                lambda ps: "PIDLIST:" + quote(",".join(ps)), st.lists(st.sampled_from(values["pid"]), min_size=1)
            ),
        )
    )


@st.composite
def files_for(draw: st.DrawFn, values: dict[str, list[str]]) -> str:
    if draw(st.integers(0, 5)) == 0:
        return "[info]"
    one = st.one_of(
        st.builds(quote, pattern_like(values["path"], PATTERN)),
        st.builds(lambda t: f"ftag:{quote(t)}", pattern_like(values["ftag"])),
    )
    words = draw(st.lists(one, min_size=1, max_size=2))
    modifier = draw(st.sampled_from(["", "SORTDESC", "NTH(1)", "NTH(-1)", "SORTDESC NTH(2)"]))
    return " ".join([*words, modifier]).strip()


@DB_SETTINGS
@given(specs=archives, data=st.data())
def test_backend_selectors_match_the_reference(conn: Connection, specs: list[PatientSpec], data: st.DataObject) -> None:
    values = values_of(specs)
    subject = " ".join(data.draw(st.lists(subject_for(values), min_size=1, max_size=2)))
    files = data.draw(files_for(values))
    savepoint = conn.begin_nested()
    try:
        b = build(conn, specs)
        with Session(bind=conn) as session:
            got = resolve_selection(session, b.project_id, subject, files)
        assert got == resolve(b.reference(), subject, files), (subject, files)
        event("some hits" if got else "no hits")
    finally:
        savepoint.rollback()


# ------------------------------------------------------------------------------ selection by id, references

#: archives whose PIDs may differ only in case (``a`` beside ``A``): two patients, never one
twin_archives = st.lists(patient_specs, min_size=2, max_size=4, unique_by=lambda p: p.pid)


@st.composite
def reference_for(draw: st.DrawFn, values: dict[str, list[str]]) -> str:
    return draw(
        st.one_of(
            st.builds(lambda r, n: f"{r}{n or ''}", st.sampled_from(["LATEST", "oldest"]), st.integers(0, 2)),
            st.builds(lambda t: f"tag:{t}", pattern_like(values["tag"], TAG + "*")),
            pattern_like([sid for sid in values["sid"] if "%" not in sid], "aA1_*"),  # SIDs have no '%'
        )
    )


ID_SETTINGS = settings(DB_SETTINGS, max_examples=30)


@ID_SETTINGS
@given(specs=twin_archives, data=st.data())
def test_study_references_stay_within_their_patient(
    conn: Connection, specs: list[PatientSpec], data: st.DataObject
) -> None:
    text = data.draw(reference_for(values_of(specs)))
    reference = parse_study_reference(text)
    assert reference is not None
    savepoint = conn.begin_nested()
    try:
        b = build(conn, specs)
        archive = b.reference()
        with Session(bind=conn) as session:
            for patient in b.patients:
                got = referenced_studies(session, patient.id, reference)
                assert got == referenced(archive, patient.id, reference), (patient.pid, text)
                assert all(archive.studies[i].patient_id == patient.id for i, _ in got)
    finally:
        savepoint.rollback()


@ID_SETTINGS
@given(specs=twin_archives, data=st.data())
def test_selection_by_id_matches_the_reference_and_selects_only_those(
    conn: Connection, specs: list[PatientSpec], data: st.DataObject
) -> None:
    files = data.draw(files_for(values_of(specs)))
    savepoint = conn.begin_nested()
    try:
        b = build(conn, specs)
        patients = data.draw(st.lists(st.sampled_from([p.id for p in b.patients]), max_size=2))
        studies = data.draw(st.lists(st.sampled_from([s.id for s in b.studies] or [0]), max_size=2))
        if not patients and not studies:
            patients = [b.patients[0].id]
        subject = SubjectSelector.of_nodes(patients, studies)
        with Session(bind=conn) as session:
            got = resolve_selection(session, b.project_id, subject, files)
        assert got == resolve(b.reference(), subject, files), (patients, studies, files)
        assert all(h.patient_id in patients or h.study_id in studies for h in got)
        event("some hits" if got else "no hits")
    finally:
        savepoint.rollback()


# -------------------------------------------------------------------------------- parser, no database

wide_terms = st.one_of(
    st.builds(PatternTerm, st.text(min_size=1, max_size=8).filter(lambda t: t.isprintable())),
    st.builds(
        TagTerm,
        st.sampled_from(["study", "patient", "file"]),
        st.text(min_size=1, max_size=6).filter(lambda t: t.isprintable()),
    ),
    st.builds(DescriptionTerm, st.text(min_size=1, max_size=6).filter(lambda t: t.isprintable())),
)


@settings(max_examples=300, deadline=None)
@given(st.builds(Filter, st.lists(st.lists(wide_terms, min_size=1, max_size=3).map(tuple), max_size=3).map(tuple)))
def test_printed_filters_parse_back(flt: Filter) -> None:
    assert parse_filter(str(flt)) == flt


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses_or_raises_a_syntax_error(text: str) -> None:
    try:
        flt = parse_filter(text)
    except SelectionSyntaxError as e:
        assert "(at character " in str(e)
    else:
        assert parse_filter(str(flt)) == flt
