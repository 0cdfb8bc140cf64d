"""What every ``nora`` command shares: the argument parser class, the database, the caller and output.

The CLI acts as the user named by ``--user`` (or ``NORA_USER``), else as the owner of ``NORA_TOKEN``, else as
the local operator: whoever runs ``nora`` on the server owns the database, so that is the system actor.
Commands return their output as text; it is written only after the transaction has committed, so a command
that fails prints nothing on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import make_engine, make_sessionmaker, transaction
from nora.archive.services import accounts
from nora.archive.services.access import SYSTEM, Actor
from nora.archive.services.cliops import is_initialised
from nora.archive.storage import Layout
from nora.core.csvcells import csv_text
from nora.core.errors import InvalidInput, NoraError, NotAuthenticated, NotFound
from nora.core.settings import Settings


class NoraParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are :class:`InvalidInput`, reported like every other error."""

    def error(self, message: str) -> NoReturn:
        raise InvalidInput(f"{message} (see '{self.prog} --help')")


def common_options(*, nested: bool = False) -> NoraParser:
    """Options every form of the command accepts (a parent parser).

    ``nested`` is for subcommand parsers: their unset options must not overwrite what the parent parsed.
    """
    default = argparse.SUPPRESS if nested else None
    parent = NoraParser(add_help=False)
    parent.add_argument(
        "--user", metavar="NAME", default=default, help="act as this user (default: NORA_USER, else NORA_TOKEN's owner)"
    )
    parent.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS if nested else False, help="print tracebacks"
    )
    return parent


@dataclass
class Context:
    """The data root and database of one command run."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    layout: Layout

    @classmethod
    @contextmanager
    def open(cls, settings: Settings) -> Iterator[Context]:
        engine = make_engine(settings.effective_database_url)
        try:
            yield cls(settings, engine, make_sessionmaker(engine), Layout(settings.home.resolve()))
        finally:
            engine.dispose()

    def require_initialised(self) -> None:
        if not is_initialised(self.engine):
            raise NoraError(f"the data root {self.layout.home} is not initialised: run 'nora init' first")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block succeeds, rolled back on any error."""
        with transaction(self.sessions) as session:
            yield session


def resolve_actor(session: Session, settings: Settings, user: str | None) -> Actor:
    """The caller: ``--user``/``NORA_USER``, else ``NORA_TOKEN``'s owner, else the local system actor."""
    name = user or settings.user
    if name:
        try:
            found = accounts.get_user(session, name)
        except NotFound:
            raise NotAuthenticated(f"unknown user {name!r}") from None
        if found.disabled:
            raise NotAuthenticated(f"user {name!r} is disabled")
        return Actor.of(found)
    if settings.token:
        return Actor.of(accounts.user_for_token(session, settings.token, kind="api"))
    return SYSTEM


def project_name(option: str | None, settings: Settings) -> str:
    name = option or settings.project
    if not name:
        raise InvalidInput("no project given: use -p NAME or set NORA_PROJECT")
    return name


# ------------------------------------------------------------------------------------------------- output


def _json_default(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=_json_default)


def as_lines(values: Iterable[object]) -> str:
    return "".join(f"{v}\n" for v in values)


def as_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV (objects and lists as JSON), every cell guarded against spreadsheet formulas."""
    return csv_text(columns, ([json.dumps(v) if isinstance(v, dict | list) else v for v in row] for row in rows))


def write(text: str) -> None:
    """Write a command's output to stdout (JSON, CSV or lines end with a newline)."""
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


def note(message: str) -> None:
    """A message for the person at the terminal (stderr), never part of the output scripts read."""
    print(f"nora: {message}", file=sys.stderr)


def absolute(paths: Iterable[str]) -> list[Path]:
    """Command-line paths made absolute against the working directory (not resolved: the service does)."""
    return [Path(p).expanduser().absolute() for p in paths]
