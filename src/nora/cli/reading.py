"""``nora -p P --reading-export READING [--stage S] > results.csv`` and ``-s SUBJECT reading:NAME``."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from nora.archive.selection import SubjectSelector, parse_file_selectors, parse_subject_selector
from nora.archive.services.access import Access, Actor, project_access
from nora.cli.context import Context, as_json, project_name
from nora.reading.config import STAGES
from nora.reading.results import export_csv, visible_rows
from nora.reading.selection import reading_documents


def add_options(p: argparse.ArgumentParser) -> None:
    r = p.add_argument_group("reading (see docs/reading.md)")
    r.add_argument(
        "--reading-export",
        dest="reading_export",
        metavar="READING",
        help="every answer of the reading as CSV (yours; everyone's for its admins), e.g. > results.csv",
    )
    r.add_argument("--stage", choices=STAGES, help="with --reading-export: only this stage")


def reading_export(ctx: Context, session: Session, actor: Actor, args: argparse.Namespace) -> str:
    access = project_access(session, actor, project_name(args.project, ctx.settings))
    reading, rows = visible_rows(session, access, args.reading_export, stage=args.stage, history=True)
    return export_csv(session, reading, rows)


def selected_results(session: Session, access: Access, subject: str | SubjectSelector, files: str) -> str | None:
    """``-s SUBJECT reading:NAME``: the reading's documents as JSON; None when ``files`` selects files."""
    name = parse_file_selectors(files).reading
    if name is None:
        return None
    selector = parse_subject_selector(subject) if isinstance(subject, str) else subject
    return as_json(reading_documents(session, access, selector, name))
