"""The actions of NORA's flag-style command line: each parses its arguments and calls the services.

Every handler gets the open transaction and the caller and returns the text for stdout: JSON for
structured results, one path per line for ``-s``/``--out``, CSV for ``--exportmeta`` and ``--sql --csv``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sqlalchemy.orm import Session

from nora.archive.selection import PatientList, StudyList, SubjectSelector
from nora.archive.selection.backend import SubjectTerm
from nora.archive.selection.syntax import Token, quote, tokenize
from nora.archive.services import cliops, exportmeta, files, nodes, projects, readonly_sql, tags
from nora.archive.services.access import Access, Actor, project_access
from nora.cli import reading
from nora.cli.context import Context, absolute, as_csv, as_json, as_lines, project_name
from nora.core.errors import InvalidInput, NotFound
from nora.core.ids import Psid

MODULES = ("DEFAULT",)


def _access(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> Access:
    return project_access(session, actor, project_name(args.project, ctx.settings))


# ------------------------------------------------------------------------------------- project and SQL


def project_list(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    accesses = projects.visible_projects(session, actor)
    counts = projects.project_counts(session, [a.project.id for a in accesses])
    return as_json(
        [
            {
                "name": a.project.name,
                "description": a.project.description,
                "role": a.role,
                "readonly": a.readonly,
                "download": a.download,
                "batchtool": a.batchtool,
                "deanonym": a.deanonym,
                "anonymised": a.anonymised,
                "n_patients": counts[a.project.id][0],
                "n_studies": counts[a.project.id][1],
            }
            for a in accesses
        ]
    )


def create_project(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    if len(args.createproject) > 2:
        raise InvalidInput("--createproject takes NAME and optionally MODULE")
    name, module = args.createproject[0], (args.createproject[1:] or ["DEFAULT"])[0]
    if module.upper() not in MODULES:
        raise InvalidInput(f"unknown project module {module!r}: available modules are {', '.join(MODULES)}")
    project = projects.create_project(session, actor, ctx.layout, name)
    folder = ctx.layout.project_dir(project.name)
    return as_json({"name": project.name, "module": module.upper(), "folder": str(folder)})


def sql(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    table = readonly_sql.readonly_query(ctx.engine, actor, args.sql)
    if args.csv:
        return as_csv(table.columns, table.rows)
    return as_json([dict(zip(table.columns, row, strict=True)) for row in table.rows])


# ------------------------------------------------------------------------------------------------- files


def add(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    if args.to:
        rows = cliops.add_copies(
            session,
            access,
            ctx.layout,
            Psid.parse(args.to),
            absolute(args.add),
            folder=args.folder,
            overwrite=args.overwrite,
        )
    else:
        rows = cliops.add_in_place(session, access, ctx.layout, absolute(args.add))
    if args.addtag:
        tags.change_file_tags(session, access, [r.id for r in rows], add=tags.split_tags(args.addtag))
    return as_json(
        [
            {"file_id": r.id, "filename": str(files.file_location(session, ctx.layout, access, r)), "format": r.format}
            for r in rows
        ]
    )


def delete(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    return as_json({"deleted": cliops.delete_files(session, access, ctx.layout, args.delete)})


def delete_nodes(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    return as_json({"deleted": cliops.delete_nodes(session, access, ctx.layout, [Psid.parse(p) for p in args.del_pat])})


# ------------------------------------------------------------------------------------------- selections


def split_selector(values: list[str]) -> tuple[str | SubjectSelector, str]:
    """``-s`` arguments → (subject, files), as NORA reads them.

    ``-s SUBJECT FILES...`` (several file arguments are united); ``-s 'SUBJECT FILES'`` in one argument, split
    after the first word (quotes respected); ``-s SUBJECT`` alone selects every file; ``-s /absolute/file``
    looks that one file up. ``file:PATH`` as subject reads PIDs / ``PID#SID``s from a file.
    """
    if len(values) == 1:
        value = values[0].strip()
        if value.startswith("/"):
            return "*", "ABS:" + quote(value)
        words = [t for t in tokenize(value, ampersand=False) if isinstance(t, Token)]
        if len(words) > 1:
            return subject_of(value[: words[1].position].strip()), value[words[1].position :]
        return subject_of(value), "*"
    return subject_of(values[0]), " ".join(values[1:])


def subject_of(text: str) -> str | SubjectSelector:
    """A subject selector, with NORA's ``file:PATH`` (a file of PIDs and ``PID#SID``s) read into lists.

    The list's entries become ``PIDLIST``/``PSIDLIST`` terms (matched as users expect of those: exact IDs,
    ignoring case) built as values, not as selector text.
    """
    if not text.lower().startswith("file:"):
        return text
    path = Path(text[5:]).expanduser()
    try:
        entries = [e for e in re.split(r"[\s,;]+", path.read_text(encoding="utf-8")) if e]
    except (OSError, UnicodeDecodeError) as exc:
        raise NotFound(f"cannot read the subject list {path}: {exc}") from None
    if not entries:
        raise InvalidInput(f"the subject list {path} is empty")
    psids = [Psid.parse(e) for e in dict.fromkeys(entries)]
    pairs = tuple((p.pid, p.sid) for p in psids if p.sid is not None)
    pids = tuple(p.pid for p in psids if p.sid is None)
    terms: list[SubjectTerm] = []
    if pairs:
        terms.append(StudyList(pairs))
    if pids:
        terms.append(PatientList(pids))
    return SubjectSelector(tuple(terms))


def select(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    subject, pattern = split_selector(args.select)
    if (results := reading.selected_results(session, access, subject, pattern)) is not None:
        return results
    hits = cliops.select_hits(session, access, ctx.layout, subject, pattern)
    if args.addtag or args.rmtag:
        ids = cliops.selected_file_ids(hits)
        added = tags.split_tags(args.addtag or "")
        removed = tags.split_tags(args.rmtag or "")
        tags.change_file_tags(session, access, ids, add=added, remove=removed)
        return as_json({"files": len(ids), "added": added, "removed": removed})
    if args.byfilename:
        return as_json(cliops.by_filename(cliops.describe_hits(session, access, ctx.layout, hits)))
    if args.json:
        return as_json(cliops.describe_hits(session, access, ctx.layout, hits))
    return as_lines(cliops.hit_path(access, ctx.layout, h) for h in hits)


def out(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    subject, name = args.out
    return as_lines([cliops.output_location(session, access, ctx.layout, subject_of(subject), name)])


def pathout(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    subject, name = args.pathout
    location = cliops.output_location(session, access, ctx.layout, subject_of(subject), name, must_exist=False)
    return as_lines([location])


# ------------------------------------------------------------------------------------------------- tags


def _tag_and_targets(values: list[str], option: str, what: str) -> tuple[list[str], list[str]]:
    if len(values) < 2:
        raise InvalidInput(f"{option} takes TAG and one or more {what}")
    return tags.split_tags(values[0]), list(dict.fromkeys(values[1:]))


def tag_studies(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    added, psids = _tag_and_targets(args.addtag_study, "--addtag_study", "PID#SID")
    studies = []
    for text in psids:
        psid = Psid.parse(text)
        if psid.sid is None:
            raise InvalidInput(f"--addtag_study needs PID#SID, not {text!r} (use --addtag_patient for patients)")
        studies.append(nodes.get_study(session, access, psid.pid, psid.sid))
    tags.change_study_tags(session, access, studies, add=added)
    return as_json({"studies": psids, "added": added})


def tag_patients(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    added, pids = _tag_and_targets(args.addtag_patient, "--addtag_patient", "PIDs")
    patients = [nodes.get_patient(session, access, pid) for pid in pids]
    tags.change_patient_tags(session, access, patients, add=added)
    return as_json({"patients": pids, "added": added})


def tag_stats(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    return as_json(tags.tag_stats(session, _access(ctx, session, actor, args)))


# --------------------------------------------------------------------------------------------- metadata


def export_meta(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = _access(ctx, session, actor, args)
    subject, pattern = args.exportmeta
    table = exportmeta.export_meta(session, access, ctx.layout, subject_of(subject), pattern, args.keys or "*")
    return as_csv(table.columns, table.rows)
