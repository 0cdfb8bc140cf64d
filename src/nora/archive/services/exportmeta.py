"""NORA's ``--exportmeta``: the JSON documents and indexed headers of selected files as one table per study."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import Patient, Study
from nora.archive.selection import (
    FilePattern,
    SubjectSelector,
    parse_file_selectors,
    parse_subject_selector,
    resolve_selection,
)
from nora.archive.services.access import Access
from nora.archive.services.cliops import Table, file_rows, hit_path, psid
from nora.archive.services.table import patient_public
from nora.archive.storage import Layout
from nora.core.errors import CorruptFile, InvalidInput, NotFound

MAX_JSON_BYTES = 64 * 1024 * 1024
NODEINFO = "nodeinfo.json"


def export_meta(
    session: Session, access: Access, layout: Layout, subject: str | SubjectSelector, files: str, keys: str = "*"
) -> Table:
    """NORA's ``--exportmeta``: one row per study, one column per selected key.

    Each selected JSON file is a document named by its path without ``.json`` (``META/radio1``); other files
    contribute their indexed header. ``nodeinfo.json`` stands for the study's metadata (``nodeinfo``) and
    its patient (``Patient``: PID, sex, metadata, and identity where the caller may see it), for every study
    the subject selects. Keys are comma- or space-separated dotted paths with ``*`` wildcards, matched against
    the full path (``*.mask.volume``) or the path inside the document (``mask.volume``); ``*`` is every key.
    """
    patterns = [k for k in re.split(r"[,\s]+", keys) if k] or ["*"]
    subject = parse_subject_selector(subject) if isinstance(subject, str) else subject
    selector = parse_file_selectors(files)
    wants_nodeinfo = any(isinstance(t, FilePattern) and t.pattern.lower() == NODEINFO for t in selector.terms)
    rest = tuple(t for t in selector.terms if not (isinstance(t, FilePattern) and t.pattern.lower() == NODEINFO))
    project_dir = layout.project_dir(access.project.name)
    docs: dict[tuple[int, int | None], dict[str, Any]] = {}
    if wants_nodeinfo:
        for hit in resolve_selection(session, access.project.id, subject, "[info]"):
            docs.setdefault((hit.patient_id, hit.study_id), {})
    if rest:
        hits = resolve_selection(session, access.project.id, subject, replace(selector, terms=rest), project_dir)
        rows = file_rows(session, [h.file_id for h in hits if h.file_id is not None])
        for hit in hits:
            assert hit.file_id is not None and hit.path is not None
            row = rows[hit.file_id]
            doc = docs.setdefault((hit.patient_id, hit.study_id), {})
            if row.format == "json":
                doc[hit.path[: -len(".json")] if hit.path.lower().endswith(".json") else hit.path] = _read_json(
                    hit_path(access, layout, hit)
                )
            else:
                doc[hit.path] = {"format": row.format, "size": row.size, **row.header}
    names = _node_names(session, access, docs, wants_nodeinfo)
    flat = {node: _flatten(doc) for node, doc in docs.items()}
    inner = {key: part for values in flat.values() for key, part in values.items()}
    columns: list[str] = []
    for pattern in patterns:
        regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
        for values in flat.values():
            for key in values:
                if key not in columns and (regex.fullmatch(key) or regex.fullmatch(inner[key][0])):
                    columns.append(key)
    ordered = sorted(flat, key=lambda node: names[node][1])
    return Table(["PSID", *columns], [[names[n][0], *(_cell(flat[n], c) for c in columns)] for n in ordered])


def _cell(values: dict[str, tuple[str, Any]], key: str) -> Any:
    return values[key][1] if key in values else ""


def _node_names(
    session: Session, access: Access, docs: dict[tuple[int, int | None], dict[str, Any]], nodeinfo: bool
) -> dict[tuple[int, int | None], tuple[str, tuple[str, str]]]:
    """(PSID, sort key) per node; adds the ``nodeinfo`` and ``Patient`` documents when asked for."""
    patients = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_({k[0] for k in docs})))}
    study_ids = [k[1] for k in docs if k[1] is not None]
    studies = {s.id: s for s in session.scalars(select(Study).where(Study.id.in_(study_ids)))}
    names = {}
    for (patient_id, study_id), doc in docs.items():
        patient, study = patients[patient_id], studies.get(study_id) if study_id is not None else None
        if nodeinfo:
            doc["nodeinfo"] = dict(study.meta if study is not None else patient.meta)
            public = {k: v for k, v in patient_public(access, patient).items() if access.sees_identity or v is not None}
            doc["Patient"] = {**patient.meta, **public}
        sid = study.sid if study is not None else None
        names[(patient_id, study_id)] = (psid(patient.pid, sid), (patient.pid, sid or ""))
    return names


def _read_json(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise InvalidInput(f"{path} is larger than {MAX_JSON_BYTES // (1024 * 1024)} MB")
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise NotFound(f"{path} is indexed but missing on disk") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFile(f"{path} is not valid JSON: {exc}") from None


def _flatten(documents: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Every value of every document by its full dotted key, with its key inside the document.

    Nested objects become dotted keys (document names may contain dots themselves, hence the pairs);
    lists and other values become CSV cell text.
    """
    out: dict[str, tuple[str, Any]] = {}

    def walk(name: str, inner: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(name, f"{inner}.{key}" if inner else str(key), item)
            return
        text = value if isinstance(value, str) else "" if value is None else json.dumps(value, default=str)
        out[f"{name}.{inner}" if inner else name] = (inner or name, text)

    for name, document in documents.items():
        walk(name, "", document)
    return out


__all__ = ["export_meta"]
