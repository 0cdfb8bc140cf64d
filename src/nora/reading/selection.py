"""``reading:NAME`` in the selection language: the results of a reading as NORA documents.

``nora -s SUBJECT reading:NAME`` selects, for every study the subject selector selects, the current
answers of reading NAME that the caller may see (their own; everyone's for a reading admin): one
document per reader, stage, arm, case and repetition with its ``answers`` by item.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nora.archive.selection import SubjectSelector, resolve_selection
from nora.archive.services.access import Access
from nora.reading.results import visible_rows


def reading_documents(session: Session, access: Access, subject: SubjectSelector, name: str) -> list[dict[str, Any]]:
    """The documents of reading ``name`` for the selected studies, ordered by PID, SID, reader, stage."""
    hits = resolve_selection(session, access.project.id, subject, "[info]")
    wanted = {(h.pid, h.sid) for h in hits if h.sid is not None}
    reading, rows = visible_rows(session, access, name)
    docs: dict[tuple[str, str, str, str, str, str, int], dict[str, Any]] = {}
    for r in rows:
        if (r.pid, r.sid) not in wanted:
            continue
        key = (r.pid, r.sid, r.image, r.reader, r.stage, r.arm, r.repetition)
        doc = docs.setdefault(
            key,
            {
                "reading": reading.name,
                "pid": r.pid,
                "sid": r.sid,
                "image": r.image,
                "reader": r.reader,
                "stage": r.stage,
                "arm": r.arm,
                "repetition": r.repetition,
                "answers": {},
                "answered_at": "",
            },
        )
        doc["answers"][r.item] = r.value
        doc["answered_at"] = max(doc["answered_at"], r.created_at.isoformat() + "Z")
    return [docs[k] for k in sorted(docs)]
