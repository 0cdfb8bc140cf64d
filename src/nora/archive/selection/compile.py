"""Filter-bar expressions compiled to SQLAlchemy conditions on the subject/study table's rows.

Every condition applies to a query whose FROM has ``studies`` (joined to ``patients``: the table's rows).
Tag, file and job conditions are correlated ``EXISTS`` subqueries, so a study with many matching files is
still one row, and a page of the table can stop early. User text only ever reaches the database as bound
``LIKE`` (``GLOB`` on SQLite) parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import QueryableAttribute

from nora.archive.models import File, FileTag, Job, Patient, PatientTag, Study, StudyTag
from nora.archive.selection.patterns import is_date, iso_date, like
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


import os

_FORM = os.environ.get("NORA_SEMI", "in")


def semi_join(outer: ColumnArg, inner: ColumnArg, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """``outer`` is one of the ``inner`` values of the rows that satisfy ``where``."""
    if _FORM == "exists":
        return select(inner).where(inner == outer, *where).exists()
    return outer.in_(select(inner).where(inner.is_not(None), *where))


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
    of_study = semi_join(Study.id, Job.study_id, Job.state.in_(wanted))
    of_patient = semi_join(Study.patient_id, Job.patient_id, Job.study_id.is_(None), Job.state.in_(wanted))
    return or_(of_study, of_patient)


def study_has_file(patterns: list[str]) -> ColumnElement[bool]:
    """The study has a file whose path (``folder/file`` relative to the study) matches one of ``patterns``."""
    return semi_join(Study.id, File.study_id, or_(*[like(File.path_lc, p, trailing=True) for p in patterns]))


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


def _compile(flt: Filter, plain: Any) -> ColumnElement[bool]:
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
