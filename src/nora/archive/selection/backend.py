"""The backend selector (CLI ``-s SUBJECT FILES``, REST ``select`` + ``pattern``): parsing and the pure parts.

Subject selector: space-separated tokens, OR-ed (their selections are united)::

    *  12345  123*            patients by PID pattern (whole patients: their studies and patient files)
    ptag:T  tag:T  notptag:T  patients with / without patient tag T
    PIDLIST:a,b,c             these patients (exact PIDs)
    PID#SID                   studies by PID and SID pattern (an empty PID means every patient)
    PID#LATEST  PID#LATEST<n> the latest study of each matching patient, or the n-th before it (offset n)
    PID#OLDEST  PID#OLDEST<n> the oldest study, or the n-th after it (offset n)
    stag:T  #tag:T  PID#tag:T studies with study tag T (of patients matching PID)
    notstag:T                 studies without study tag T
    PSIDLIST:p1#s1,p2#s2      these studies (exact IDs)

File selectors: space-separated tokens, united: path patterns relative to the study folder
(``ROIS/mask*.nii.gz``), ``tag:T`` / ``ftag:T`` (file tag), ``ABS:/absolute/path``, or ``[info]`` alone
(study rows instead of files), or ``reading:NAME`` alone (the results of reading NAME as documents, which
the reading tool resolves: ``nora.reading.selection``); modifiers ``SORT``/``SORTASC``/``SORTDESC``
and ``NTH(n)`` (1-based, negative from the end) apply per study. Backend patterns use ``*`` and ``_``
like the filter bar but are anchored at both ends (``s003.nii`` does not select ``s003.nii.gz``).
Matching is case-insensitive (``PIDLIST``/``PSIDLIST`` entries too, but without wildcards); ``ABS:`` paths
are exact. For LATEST and OLDEST, studies are ranked by study date (undated studies after all dated ones), then by SID.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal

from nora.archive.selection.syntax import Token, syntax_error, tokenize
from nora.core.errors import InvalidInput, SelectionSyntaxError, UnsafePath

MAX_OFFSET = 10_000
_RANK = re.compile(r"(?i)(latest|oldest)(\d*)")
_NTH = re.compile(r"(?i)nth\((.*)\)")
_PREFIX = re.compile(r"(?i)(#?[a-z]+):")

# --------------------------------------------------------------------------------------- subject terms


@dataclass(frozen=True)
class PatientPattern:
    """Whole patients whose PID matches ``pattern`` (``*`` for all)."""

    pattern: str


@dataclass(frozen=True)
class PatientTagged:
    """Whole patients that carry (or, ``negate``, do not carry) a patient tag matching ``tag``."""

    tag: str
    negate: bool = False


@dataclass(frozen=True)
class PatientList:
    """Whole patients by exact PID (compared case-insensitively)."""

    pids: tuple[str, ...]


@dataclass(frozen=True)
class StudyPattern:
    """Studies whose PID and SID match the patterns."""

    pid: str
    sid: str


@dataclass(frozen=True)
class StudyRank:
    """Per matching patient: the latest (``latest``) or oldest study, skipping ``offset`` studies."""

    pid: str
    latest: bool
    offset: int = 0


@dataclass(frozen=True)
class StudyTagged:
    """Studies of patients matching ``pid`` that carry (or, ``negate``, do not carry) a study tag."""

    pid: str
    tag: str
    negate: bool = False


@dataclass(frozen=True)
class StudyList:
    """Studies by exact ``(PID, SID)`` pairs (compared case-insensitively)."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PatientIds:
    """Whole patients by database id: how code selects patients it already holds (never parsed from text)."""

    ids: tuple[int, ...]


@dataclass(frozen=True)
class StudyIds:
    """Studies by database id: how code selects studies it already holds (never parsed from text)."""

    ids: tuple[int, ...]


PatientTerm = PatientPattern | PatientTagged | PatientList | PatientIds
StudyTerm = StudyPattern | StudyRank | StudyTagged | StudyList | StudyIds
SubjectTerm = PatientTerm | StudyTerm


@dataclass(frozen=True)
class SubjectSelector:
    """A parsed subject part (:func:`parse_subject_selector`), or ids from :meth:`of_nodes`."""

    terms: tuple[SubjectTerm, ...]

    @property
    def patient_terms(self) -> list[PatientTerm]:
        """Terms that select whole patients: their studies and their patient-level files."""
        return [t for t in self.terms if isinstance(t, PatientPattern | PatientTagged | PatientList | PatientIds)]

    @property
    def study_terms(self) -> list[StudyTerm]:
        return [t for t in self.terms if isinstance(t, StudyPattern | StudyRank | StudyTagged | StudyList | StudyIds)]

    @classmethod
    def of_nodes(cls, patient_ids: Sequence[int] = (), study_ids: Sequence[int] = ()) -> SubjectSelector:
        """Whole patients and single studies by database id (what internal callers pass to the resolver)."""
        terms: list[SubjectTerm] = []
        if patient_ids:
            terms.append(PatientIds(tuple(patient_ids)))
        if study_ids:
            terms.append(StudyIds(tuple(study_ids)))
        if not terms:
            raise ValueError("a selection by id needs at least one patient or study id")
        return cls(tuple(terms))


def parse_subject_selector(text: str) -> SubjectSelector:
    """Parse the subject part of a backend selector (see the module documentation for the forms)."""
    tokens = [t for t in tokenize(text, ampersand=False) if isinstance(t, Token)]
    if not tokens:
        raise SelectionSyntaxError("empty subject selector: use * for every patient, or a PID pattern")
    return SubjectSelector(tuple(_subject_term(t) for t in tokens))


def _subject_term(token: Token) -> SubjectTerm:
    text, pos = token.text, token.position
    if not text:
        raise syntax_error('empty subject selector ""', pos)
    if token.quoted_from == 0:
        return _pid_or_study(text, pos)
    match = _PREFIX.match(token.head)
    prefix = match.group(1).lower() if match else ""
    value = text[match.end() :] if match else ""
    if prefix == "sql":
        raise syntax_error("raw SQL selectors are not supported: use PIDLIST:, PSIDLIST:, tags or patterns", pos)
    if prefix in ("pidlist", "psidlist"):
        items = _list_items(value, prefix.upper(), pos)
        if prefix == "pidlist":
            return PatientList(tuple(items))
        return StudyList(tuple(_pair(item, pos) for item in items))
    if prefix in ("stag", "notstag", "#tag", "#stag"):
        return StudyTagged("*", _tag_value(value, prefix, pos), negate=prefix == "notstag")
    if prefix in ("ptag", "tag", "notptag"):
        return PatientTagged(_tag_value(value, prefix, pos), negate=prefix == "notptag")
    return _pid_or_study(text, pos)


def _pid_or_study(text: str, pos: int) -> SubjectTerm:
    if "#" not in text:
        return PatientPattern(text)
    pid, _, rest = text.partition("#")
    pid = pid or "*"
    if not rest:
        raise syntax_error(f"nothing after '#' in {text!r}: write PID#SID, PID#LATEST or PID#tag:TAG", pos)
    if "#" in rest:
        raise syntax_error(f"more than one '#' in {text!r}", pos)
    rank = _RANK.fullmatch(rest)
    if rank:
        offset = int(rank.group(2) or 0)
        if offset > MAX_OFFSET:
            raise syntax_error(f"{rest} skips too many studies (at most {MAX_OFFSET})", pos)
        return StudyRank(pid, latest=rank.group(1).lower() == "latest", offset=offset)
    tag = re.match(r"(?i)s?tag:", rest)
    if tag:
        return StudyTagged(pid, _tag_value(rest[tag.end() :], "tag", pos))
    return StudyPattern(pid, rest)


def _tag_value(value: str, prefix: str, pos: int) -> str:
    if not value:
        raise syntax_error(f"{prefix}: needs a tag, as in {prefix}:baseline", pos)
    return value


def _list_items(value: str, name: str, pos: int) -> list[str]:
    items = [item.strip() for item in value.split(",")]
    if not value or any(not item for item in items):
        raise syntax_error(f"{name}: needs a comma-separated list without empty entries", pos)
    return items


def _pair(item: str, pos: int) -> tuple[str, str]:
    pid, sep, sid = item.partition("#")
    if not sep or not pid or not sid or "#" in sid:
        raise syntax_error(f"PSIDLIST: entry {item!r} is not PID#SID", pos)
    return pid, sid


# ---------------------------------------------------------------------------------------- file selectors


@dataclass(frozen=True)
class FilePattern:
    """Files whose path relative to the study (or patient) folder matches ``pattern``."""

    pattern: str


@dataclass(frozen=True)
class FileTagged:
    """Files carrying a file tag matching ``tag``."""

    tag: str


@dataclass(frozen=True)
class AbsolutePath:
    """One file by its absolute path (must lie inside the project folder)."""

    path: str


FileTerm = FilePattern | FileTagged | AbsolutePath
SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True)
class FileSelector:
    """The file part: a union of ``terms``, or ``info`` (study rows), or ``reading`` (the results of that
    reading, resolved by the reading tool); ``sort``/``nth`` apply per study."""

    terms: tuple[FileTerm, ...] = ()
    info: bool = False
    reading: str | None = None
    sort: SortOrder | None = None
    nth: int | None = None


def parse_file_selectors(text: str) -> FileSelector:
    """Parse the file part of a backend selector (quoted words keep their spaces)."""
    selector = FileSelector()
    for token in tokenize(text, ampersand=False):
        assert isinstance(token, Token)
        selector = _add_file_token(selector, token)
    if selector.info and (selector.terms or selector.sort or selector.nth is not None):
        raise SelectionSyntaxError("[info] selects study rows and cannot be combined with file selectors")
    if selector.reading is not None and (selector.terms or selector.info or selector.sort or selector.nth):
        raise SelectionSyntaxError("reading:NAME selects reading results and cannot be combined with file selectors")
    if not selector.info and not selector.terms and selector.reading is None:
        raise SelectionSyntaxError("no file selector: give a file pattern such as 'ROIS/*.nii.gz' or [info]")
    return selector


def _add_file_token(selector: FileSelector, token: Token) -> FileSelector:
    text, pos = token.text, token.position
    if not text:
        raise syntax_error('empty file selector ""', pos)
    if token.quoted_from == 0:
        return replace(selector, terms=(*selector.terms, FilePattern(text)))
    upper = text.upper()
    if upper == "[INFO]":
        return replace(selector, info=True)
    if upper in ("SORT", "SORTASC", "SORTDESC"):
        if selector.sort is not None:
            raise syntax_error("more than one SORT modifier", pos)
        return replace(selector, sort="desc" if upper == "SORTDESC" else "asc")
    nth = _NTH.fullmatch(text)
    if nth:
        if selector.nth is not None:
            raise syntax_error("more than one NTH modifier", pos)
        return replace(selector, nth=_nth_value(nth.group(1), pos))
    match = _PREFIX.match(token.head)
    prefix = match.group(1).lower() if match else ""
    value = text[match.end() :] if match else ""
    if prefix in ("tag", "ftag"):
        return replace(selector, terms=(*selector.terms, FileTagged(_tag_value(value, prefix, pos))))
    if prefix == "abs":
        if not value.startswith("/"):
            raise syntax_error(f"ABS: needs an absolute path, not {value!r}", pos)
        return replace(selector, terms=(*selector.terms, AbsolutePath(value)))
    if prefix == "reading":
        return replace(selector, reading=_reading_name(value, pos))
    if prefix == "sql":
        raise syntax_error(f"{prefix}: file selectors are not supported", pos)
    if text.startswith("/"):
        raise syntax_error(f"file patterns are relative to the study folder; write ABS:{text}", pos)
    return replace(selector, terms=(*selector.terms, FilePattern(text)))


def _reading_name(value: str, pos: int) -> str:
    name, comma, _ = value.partition(",")
    if comma:
        raise syntax_error(
            "reading:NAME takes no extra SQL clauses; narrow the subjects with the subject selector", pos
        )
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", name):
        raise syntax_error(f"reading: needs the name of a reading, as in reading:qc, not {name!r}", pos)
    return name


def _nth_value(text: str, pos: int) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n == 0 or abs(n) > MAX_OFFSET:
        raise syntax_error(f"NTH(n) needs a non-zero whole number n (1 first, -1 last), not {text!r}", pos)
    return n


# --------------------------------------------------------------------------------------- shared helpers


def absolute_candidates(path: str, project_dir: Path | None) -> list[tuple[str, str | None, str]]:
    """``(pid, sid or None, relative path)`` readings of an ``ABS:`` path inside ``project_dir``.

    ``<project>/<pid>/<file>`` is a patient-level file; ``<project>/<pid>/<sid>/<path>`` is a study file (or,
    as well, a patient-level file in a subfolder). The path is normalised lexically, so ``..`` cannot
    leave the project folder; outside it raises :class:`UnsafePath`.
    """
    if project_dir is None:
        raise InvalidInput("ABS: file selectors need the project folder")
    target = PurePosixPath(os.path.normpath(path))
    rel: PurePosixPath | None = None
    for root in (os.path.normpath(project_dir), os.path.normpath(project_dir.resolve())):
        if target.is_relative_to(root) and target != PurePosixPath(root):
            rel = target.relative_to(root)
            break
    if rel is None:
        raise UnsafePath(f"ABS:{path} is not inside the project folder {project_dir}")
    parts = rel.parts
    if len(parts) < 2:
        raise UnsafePath(f"ABS:{path} is not a file inside a patient folder of the project")
    out: list[tuple[str, str | None, str]] = [(parts[0], None, "/".join(parts[1:]))]
    if len(parts) >= 3:
        out.append((parts[0], parts[1], "/".join(parts[2:])))
    return out


@dataclass(frozen=True)
class SelectionHit:
    """One resolved file (or, for ``[info]``, one study with ``file_id`` and ``path`` None)."""

    pid: str
    sid: str | None
    path: str | None
    file_id: int | None
    patient_id: int
    study_id: int | None


def order_hits(hits: Sequence[SelectionHit], selector: FileSelector) -> list[SelectionHit]:
    """Order by PID, SID, path (code points; patient-level first) and apply ``SORT``/``NTH`` per study."""
    ordered = sorted(hits, key=lambda h: (h.pid, h.sid is not None, h.sid or "", h.path or "", h.file_id or 0))
    if selector.sort != "desc" and selector.nth is None:
        return ordered
    out: list[SelectionHit] = []
    group: list[SelectionHit] = []
    for hit in [*ordered, None]:
        if group and (hit is None or (hit.patient_id, hit.study_id) != (group[0].patient_id, group[0].study_id)):
            out.extend(_pick(group, selector))
            group = []
        if hit is not None:
            group.append(hit)
    return out


def _pick(group: list[SelectionHit], selector: FileSelector) -> list[SelectionHit]:
    if selector.sort == "desc":
        group = group[::-1]
    if selector.nth is None:
        return group
    index = selector.nth - 1 if selector.nth > 0 else selector.nth
    return [group[index]] if -len(group) <= index < len(group) else []
