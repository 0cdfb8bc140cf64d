"""The selection language: one parser for the table's filter bars, the CLI, the REST API, jobs and autoloaders.

Two front ends share the wildcard patterns (``*`` any run, ``_`` one character, case-insensitive):

* the filter-bar language (:func:`parse_filter`): ``t1* mpr* & STAG:control`` means
  (t1* OR mpr*) AND STAG:control, every pattern with an implicit trailing ``*``; compiled to conditions on
  the table's study rows by :func:`files_condition`, :func:`column_condition` and :func:`tags_condition`;
* the backend selector (:func:`parse_subject_selector`, :func:`parse_file_selectors`), resolved to files by
  :func:`resolve_selection` (``-s '10*' 'ROIS/mask*.nii.gz'``); its patterns are anchored at both ends;
* the study reference (:func:`parse_study_reference`): exactly one study term (``LATEST``, ``tag:T``, a
  SID pattern) for a patient the caller holds, resolved by :func:`referenced_studies`.

Code that already holds patients or studies selects them by database id
(:meth:`SubjectSelector.of_nodes`), never by formatting ``PIDLIST:``/``PSIDLIST:`` text: those lists
compare IDs case-insensitively, as users expect when they type them.

Everything compiles to SQLAlchemy expressions with bound parameters; :mod:`.reference` states the same
semantics in plain Python. Malformed text raises :class:`~nora.core.errors.SelectionSyntaxError`.
"""

from nora.archive.selection.backend import (
    AbsolutePath,
    FilePattern,
    FileSelector,
    FileTagged,
    PatientIds,
    PatientList,
    PatientPattern,
    PatientTagged,
    SelectionHit,
    StudyIds,
    StudyList,
    StudyPattern,
    StudyRank,
    StudyTagged,
    SubjectSelector,
    parse_file_selectors,
    parse_subject_selector,
)
from nora.archive.selection.compile import column_condition, files_condition, tags_condition
from nora.archive.selection.resolve import resolve_selection, subject_conditions
from nora.archive.selection.studyref import StudyReference, parse_study_reference, referenced_studies
from nora.archive.selection.syntax import (
    DescriptionTerm,
    Filter,
    JobTerm,
    PatternTerm,
    TagTerm,
    Term,
    parse_filter,
)

__all__ = [
    "AbsolutePath",
    "DescriptionTerm",
    "FilePattern",
    "FileSelector",
    "FileTagged",
    "Filter",
    "JobTerm",
    "PatientIds",
    "PatientList",
    "PatientPattern",
    "PatientTagged",
    "PatternTerm",
    "SelectionHit",
    "StudyIds",
    "StudyList",
    "StudyPattern",
    "StudyRank",
    "StudyReference",
    "StudyTagged",
    "SubjectSelector",
    "TagTerm",
    "Term",
    "column_condition",
    "files_condition",
    "parse_file_selectors",
    "parse_filter",
    "parse_study_reference",
    "parse_subject_selector",
    "referenced_studies",
    "resolve_selection",
    "subject_conditions",
    "tags_condition",
]
