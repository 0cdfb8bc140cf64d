"""Removing and moving files and folders only once the database agrees.

A path to delete is renamed aside at once (so it disappears from the archive), then removed after the
session commits, or renamed back if it rolls back. A failed commit therefore loses nothing.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from nora.archive.storage import TMP_PREFIX


def remove_after_commit(session: Session, path: Path) -> None:
    if not path.exists():
        return
    aside = path.with_name(f"{TMP_PREFIX}del-{secrets.token_hex(4)}-{path.name}")
    os.replace(path, aside)

    def _commit(_session: Session) -> None:
        if aside.is_dir():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink(missing_ok=True)

    def _rollback(_session: Session, _transaction: object) -> None:
        if aside.exists() and not path.exists():
            os.replace(aside, path)

    event.listen(session, "after_commit", _commit, once=True)
    event.listen(session, "after_soft_rollback", _rollback, once=True)


def move_until_rollback(session: Session, source: Path, dest: Path) -> None:
    """Move ``source`` to ``dest`` now (same filesystem); move it back if the session rolls back.

    Used where a file changes place with its row (rename, moving to and from the project trash): the
    database and the disk agree after a commit, and a failed commit leaves the file where its row says.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, dest)

    committed = False

    def _rollback(_session: Session, _transaction: object) -> None:
        if not committed and dest.exists() and not source.exists():
            source.parent.mkdir(parents=True, exist_ok=True)
            os.replace(dest, source)

    def _commit(_session: Session) -> None:
        nonlocal committed
        committed = True

    event.listen(session, "after_commit", _commit, once=True)
    event.listen(session, "after_soft_rollback", _rollback, once=True)
