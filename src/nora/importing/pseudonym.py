"""Pseudonyms: a stable keyed hash of the original patient ID, per project and installation.

The key is a random secret created on first use in the data root (``<NORA_HOME>/secret.key``, mode 0600).
The same original ID always maps to the same pseudonym in a project, so a second import of a patient
lands in the same folder; without the key the pseudonym cannot be reversed or recomputed. The mapping
(pseudonym → original ID and name) is stored on the patient row and shown only to users with ``deanonym``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


def installation_secret(home: Path) -> bytes:
    """The installation's secret, created atomically (0600) the first time it is needed."""
    path = home / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
        fh.flush()
        os.fsync(fh.fileno())
    return bytes.fromhex(path.read_text().strip())


def pseudonym(secret: bytes, project: str, original_id: str) -> str:
    """``P`` and 12 hex digits of HMAC-SHA256(secret, project, original ID): stable, not reversible."""
    digest = hmac.new(secret, f"{project}\0{original_id.strip()}".encode(), hashlib.sha256).hexdigest()
    return "P" + digest[:12].upper()
