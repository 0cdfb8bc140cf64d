"""Study references: the one-term study part a user types beside a patient (a batch argument's ``ref``).

A study reference names studies of a patient the caller already holds, so it never selects other
patients. It is exactly one of::

    LATEST  LATEST<n>     the latest study, or the n-th before it
    OLDEST  OLDEST<n>     the oldest study, or the n-th after it
    tag:T   stag:T        the studies carrying study tag T (a pattern)
    SID pattern           the studies whose SID matches (``*`` and ``_`` wildcards, case-insensitive)

Blank means "no reference" (the caller's own study, or the whole patient). Everything else, and above all
more than one term (``LATEST *``, which as ``PID#LATEST *`` would also select every patient), is refused
with :class:`~nora.core.errors.SelectionSyntaxError` saying what is accepted. Ranking and matching are
those of the backend selector's ``PID#LATEST`` / ``PID#tag:T`` / ``PID#SID`` forms.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Patient, Study
from nora.archive.selection.backend import MAX_OFFSET, StudyPattern, StudyRank, StudyTagged
from nora.archive.selection.patterns import binary_order
from nora.archive.selection.resolve import study_condition
from nora.archive.selection.syntax import Token, tokenize
from nora.core.errors import SelectionSyntaxError

StudyReference = StudyRank | StudyTagged | StudyPattern

ACCEPTED = "LATEST, LATEST<n>, OLDEST, OLDEST<n>, tag:TAG or a SID pattern (letters, digits, '.', '_', '-', '*')"
_RANK = re.compile(r"(?i)(latest|oldest)(\d*)")
_TAG = re.compile(r"(?i)s?tag:")
_SID_PATTERN = re.compile(r"[A-Za-z0-9._*\-]{1,128}")


def _refuse(text: str, problem: str) -> SelectionSyntaxError:
    return SelectionSyntaxError(f"study reference {text!r}: {problem}; write one of {ACCEPTED}")


def parse_study_reference(text: str) -> StudyReference | None:
    """The one term of a study reference, or None when ``text`` is blank (see the module documentation)."""
    if not isinstance(text, str):
        raise SelectionSyntaxError(f"a study reference must be text, not {type(text).__name__}")
    tokens = [t for t in tokenize(text, ampersand=False) if isinstance(t, Token)]
    if not tokens:
        return None
    if len(tokens) > 1:
        words = ", ".join(repr(t.text) for t in tokens[:4])
        raise _refuse(text, f"{len(tokens)} terms ({words}) where exactly one is accepted")
    token = tokens[0]
    value = token.text
    if token.quoted_from is not None:
        raise _refuse(text, "quotes are not accepted")
    if "#" in value:
        raise _refuse(text, "it names a study of the job's own patient, so it takes no 'PID#'")
    rank = _RANK.fullmatch(value)
    if rank:
        offset = int(rank.group(2) or 0)
        if offset > MAX_OFFSET:
            raise _refuse(text, f"it skips too many studies (at most {MAX_OFFSET})")
        return StudyRank("*", latest=rank.group(1).lower() == "latest", offset=offset)
    tag = _TAG.match(value)
    if tag:
        if not value[tag.end() :]:
            raise _refuse(text, "tag: needs a tag, as in tag:baseline")
        return StudyTagged("*", value[tag.end() :])
    if not _SID_PATTERN.fullmatch(value):
        raise _refuse(text, "it is not a SID pattern")
    return StudyPattern("*", value)


def referenced_studies(session: Session, patient_id: int, reference: StudyReference) -> list[tuple[int, str]]:
    """``(study id, SID)`` of the studies of patient ``patient_id`` that ``reference`` names, by SID."""
    query = (
        select(Study.id, Study.sid)
        .join(Patient, Patient.id == Study.patient_id)
        .where(Study.patient_id == patient_id, study_condition(reference))
        .order_by(binary_order(Study.sid))
    )
    return [(study_id, sid) for study_id, sid in session.execute(query).all()]


__all__ = ["ACCEPTED", "StudyReference", "parse_study_reference", "referenced_studies"]
