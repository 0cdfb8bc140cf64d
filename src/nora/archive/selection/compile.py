"""Filter-bar expressions compiled to SQLAlchemy conditions on the subject/study table's rows.

Every condition applies to a query whose FROM has ``studies`` (joined to ``patients``: the table's rows).
Tag, file and job conditions are semi-joins (``studies.id IN (SELECT files.study_id ...)``), so a study
with many matching files is still one row. User text only ever reaches the database as bound ``LIKE``
(``GLOB`` on SQLite) parameters. ``benchmarks/selection.py`` measures the plans these give on 1M files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true, union_all
from sqlalchemy.orm import QueryableAttribute

from nora.archive.models import File, FileTag, JobState, Patient, PatientTag, Study, StudyTag
from nora.archive.selection.patterns import has_literal_prefix, is_date, iso_date, like, match_all, per_dialect
from nora.archive.selection.syntax import DescriptionTerm, Filter, JobTerm, PatternTerm, TagTerm, Term
from nora.core.errors import InvalidInput

ColumnArg = ColumnElement[Any] | QueryableAttribute[Any]

#: columns with a lower-case shadow column, which is what patterns are compared with
_SHADOWS: dict[tuple[str, str], QueryableAttribute[str]] = {
    ("patients", "pid"): Patient.pid_lc,
    ("patients", "pid_lc"): Patient.pid_lc,
    ("studies", "sid"): Study.sid_lc,
    ("studies", "sid_lc"): Study.sid_lc,
    ("files", "path"): File.path_lc,
    ("files", "path_lc"): File.path_lc,
}
_TAG_COLUMNS: dict[tuple[str, str], tuple[bool, bool]] = {
    ("study_tags", "tag"): (True, False),
    ("patient_tags", "tag"): (False, True),
}


def _key(column: ColumnArg) -> tuple[str, str] | None:
    expr = column.expression if isinstance(column, QueryableAttribute) else column
    table, name = getattr(expr, "table", None), getattr(expr, "name", None)
    table_name = getattr(table, "name", None)
    return (table_name, name) if isinstance(table_name, str) and isinstance(name, str) else None


def matchable(column: ColumnArg) -> ColumnElement[Any]:
    """The lower-case text form of a column that patterns are compared with."""
    key = _key(column)
    if key in _SHADOWS:
        return _SHADOWS[key].expression
    expr = column.expression if isinstance(column, QueryableAttribute) else column
    if is_date(expr):
        return iso_date(expr)
    return func.lower(expr)


# ----------------------------------------------------------------------------- the special attributes


def tag_match(tag_column: QueryableAttribute[str], patterns: list[str], *, trailing: bool) -> ColumnElement[bool]:
    """``lower(tag)`` matches one of ``patterns``."""
    lowered = func.lower(tag_column)
    return or_(*[like(lowered, p, trailing=trailing) for p in patterns])


def semi_join(outer: ColumnArg, inner: ColumnArg, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """``outer IN (SELECT inner WHERE ...)``: ``outer`` is an ``inner`` value of a row that satisfies ``where``.

    An uncorrelated ``IN`` rather than a correlated ``EXISTS``: both engines build the set once (a hash,
    an ephemeral index) even under ``OR``, where PostgreSQL runs a correlated ``EXISTS`` once per row
    (``STAG:a STAG:b``: 120 ms instead of 25 ms on the benchmark), and SQLite probes file tags per file.
    ``inner`` may hold NULLs: never negate the result unless ``inner`` is a NOT NULL column.
    """
    return outer.in_(select(inner).where(*where))


def file_path_matches(pattern: str, *, trailing: bool) -> ColumnElement[bool]:
    """``files.path_lc`` matches ``pattern``.

    On SQLite a pattern that starts with a wildcard is first matched against the distinct paths: SQLite
    steps through ``ix_files_path_pattern`` one distinct value at a time, and paths repeat from study to
    study (``t1_mprage/s003.nii.gz``), so this reads a few hundred index entries instead of every file.
    (``LIMIT -1`` keeps SQLite from pushing the pattern into the DISTINCT, which would undo that.)
    PostgreSQL has the trigram index for such patterns.
    """
    if match_all(pattern):
        return true()  # path_lc is NOT NULL
    direct = like(File.path_lc, pattern, trailing=trailing)
    if has_literal_prefix(pattern):
        return direct
    paths = select(File.path_lc.label("path")).distinct().limit(-1).subquery("distinct_paths")
    names = select(paths.c.path).where(like(paths.c.path, pattern, trailing=trailing))
    return per_dialect(sqlite=File.path_lc.in_(names), default=direct)


def study_has_tag(patterns: list[str], *, trailing: bool = True) -> ColumnElement[bool]:
    """A condition on ``studies`` rows: the study carries a tag matching one of ``patterns``."""
    return semi_join(Study.id, StudyTag.study_id, tag_match(StudyTag.tag, patterns, trailing=trailing))


def patient_has_tag(patient_id: ColumnArg, patterns: list[str], *, trailing: bool = True) -> ColumnElement[bool]:
    """``patient_id`` (``Patient.id`` or ``Study.patient_id``) has a tag matching one of ``patterns``."""
    return semi_join(patient_id, PatientTag.patient_id, tag_match(PatientTag.tag, patterns, trailing=trailing))


def _study_has_file_tag(pattern: str) -> ColumnElement[bool]:
    tagged = select(FileTag.file_id).where(tag_match(FileTag.tag, [pattern], trailing=True))
    return semi_join(Study.id, File.study_id, File.id.in_(tagged))


def _study_has_job(states: frozenset[str]) -> ColumnElement[bool]:
    wanted = sorted(states)
    of_study = semi_join(Study.id, JobState.study_id, JobState.state.in_(wanted))
    of_patient = semi_join(
        Study.patient_id, JobState.patient_id, JobState.study_id.is_(None), JobState.state.in_(wanted)
    )
    return or_(of_study, of_patient)


def study_has_file(patterns: list[str]) -> ColumnElement[bool]:
    """The study has a file whose path (``folder/file`` relative to the study) matches one of ``patterns``."""
    separate = [semi_join(Study.id, File.study_id, file_path_matches(p, trailing=True)) for p in patterns]
    if len(patterns) == 1:
        return separate[0]
    # SQLite: one set from a UNION ALL, each branch an index range (an OR of INs re-reads both per row);
    # PostgreSQL: an OR of hashed IN sets (it misjudges the size of a UNION's distinct study ids)
    branches = [select(File.study_id).where(file_path_matches(p, trailing=True)) for p in patterns]
    return per_dialect(sqlite=Study.id.in_(union_all(*branches)), default=or_(*separate))


def attribute_condition(term: Term) -> ColumnElement[bool]:
    """The condition of a special-attribute term (``STAG:`` ...) on a study row."""
    if isinstance(term, TagTerm):
        if term.level == "study":
            return study_has_tag([term.pattern])
        if term.level == "patient":
            return patient_has_tag(Study.patient_id, [term.pattern])
        return _study_has_file_tag(term.pattern)
    if isinstance(term, JobTerm):
        return _study_has_job(term.states)
    if isinstance(term, DescriptionTerm):
        return like(func.lower(Study.description), term.pattern, trailing=True)
    raise TypeError(f"not an attribute term: {term!r}")


# ------------------------------------------------------------------------------------------- the bars


def _compile(flt: Filter, plain: Callable[[list[str]], ColumnElement[bool]]) -> ColumnElement[bool]:
    """AND of ORs; ``plain`` turns the list of plain patterns of one conjunct into one condition."""
    if flt.is_empty:
        return true()
    conjuncts: list[ColumnElement[bool]] = []
    for conjunct in flt.conjuncts:
        patterns = [t.pattern for t in conjunct if isinstance(t, PatternTerm)]
        alternatives = [attribute_condition(t) for t in conjunct if not isinstance(t, PatternTerm)]
        if patterns:
            alternatives.insert(0, plain(patterns))
        conjuncts.append(or_(*alternatives) if len(alternatives) > 1 else alternatives[0])
    return and_(*conjuncts) if len(conjuncts) > 1 else conjuncts[0]


def files_condition(flt: Filter) -> ColumnElement[bool]:
    """The file-search bar: a condition on ``studies`` rows (``t1* mpr* & STAG:control``)."""
    return _compile(flt, study_has_file)


def column_condition(flt: Filter, column: ColumnArg) -> ColumnElement[bool]:
    """A column's filter bar: plain patterns match ``column``; special attributes work as in every bar.

    ``column`` is a column of the table's rows (``Patient.pid_lc``, ``Patient.name``, ``Study.study_date``,
    ``Study.description`` ...); dates match as ISO ``YYYY-MM-DD`` text. ``StudyTag.tag`` / ``PatientTag.tag``
    make it a tag bar (see :func:`tags_condition`).
    """
    key = _key(column)
    if key in _TAG_COLUMNS:
        study, patient = _TAG_COLUMNS[key]
        return tags_condition(flt, study=study, patient=patient)
    expr = matchable(column)

    def plain(patterns: list[str]) -> ColumnElement[bool]:
        return or_(*[like(expr, p, trailing=True) for p in patterns])

    return _compile(flt, plain)


def tags_condition(flt: Filter, *, study: bool = True, patient: bool = True) -> ColumnElement[bool]:
    """A tags bar: a plain pattern matches a tag of the study (``study``) or of its patient (``patient``)."""
    if not (study or patient):
        raise InvalidInput("a tags bar needs study tags, patient tags or both")

    def plain(patterns: list[str]) -> ColumnElement[bool]:
        alternatives: list[ColumnElement[bool]] = []
        if study:
            alternatives.append(study_has_tag(patterns))
        if patient:
            alternatives.append(patient_has_tag(Study.patient_id, patterns))
        return or_(*alternatives)

    return _compile(flt, plain)
