"""Removing files and folders only once the database agrees.

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
