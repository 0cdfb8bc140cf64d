"""Staging folders that outlive their process, and how the daemon finds and removes them.

An upload is written into a hidden staging folder (``.nora-tmp-up-*``) beside its destination before it is
renamed into place. A process killed mid-way leaves that folder behind. To remove it without ever taking
a live upload's folder, each staging folder holds a *lease*: a small file in ``<NORA_HOME>/leases/`` that
names the folder and its owner (host, PID and start time: :mod:`nora.core.process`). :func:`sweep_leases`
(the daemon, at start and periodically) removes the folders whose owner is proven dead and their leases;
it reads only the lease folder, never walks the archive. Folders of another host's processes are left to
that host. Standard library only, like :mod:`nora.core.atomic`.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nora.core.atomic import TMP_PREFIX
from nora.core.process import ProcessId, process_alive

log = logging.getLogger(__name__)

LEASES = "leases"
#: prefix of upload staging folders (under the archive)
STAGING_PREFIX = f"{TMP_PREFIX}up-"


def _lease_dir(home: Path) -> Path:
    return home / LEASES


@contextmanager
def staging_folder(home: Path, parent: Path) -> Iterator[Path]:
    """A new staging folder in ``parent``, leased to this process; removed (with its lease) on leaving."""
    parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    folder = parent / f"{STAGING_PREFIX}{token}"
    lease = _lease_dir(home) / f"{token}.json"
    lease.parent.mkdir(parents=True, exist_ok=True)
    # the lease first: a crash between the two leaves a lease without a folder, which the sweep drops
    lease.write_text(json.dumps({"owner": ProcessId.current().format(), "path": str(folder)}))
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        lease.unlink(missing_ok=True)


def sweep_leases(home: Path) -> list[Path]:
    """Remove staging folders whose owner process is dead (and their leases); returns the folders removed."""
    removed: list[Path] = []
    try:
        leases = list(_lease_dir(home).glob("*.json"))
    except OSError:
        return removed
    for lease in leases:
        try:
            data = json.loads(lease.read_text())
            owner = ProcessId.parse(str(data["owner"]))
            folder = Path(str(data["path"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours: never guess
        if owner is None or process_alive(owner):
            continue
        if folder.name.startswith(STAGING_PREFIX) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
            log.warning("removed the staging folder %s of dead process %s", folder, owner.pid)
        lease.unlink(missing_ok=True)
    return removed
