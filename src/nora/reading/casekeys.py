"""Opaque case keys: how a blind reading names its cases to a reader who may not see PID or SID.

A reader (not an admin) of a reading whose ``blind`` settings have ``hideMetadata`` is *pseudonymised*
(:func:`pseudonymised`): the server hands them, instead of each case's PID and SID, a key such as
``~Q2hfV0x6mN1c0kP3x8TtZg``, stable per reading, stage and case (study, and file for image cases), which
nobody can derive from the PID or SID without the server's secret. Every route that names a case by PID and
SID takes the key in their place (a key starts with ``~``, which no PID can: :func:`nora.core.ids.check_name`),
and the server resolves it (:func:`resolve`) to the case, checking that it is a case of that stage for the
caller.

The key is the reading's id, the stage, the study's and the file's id, enciphered with a four-round Feistel
network whose rounds are HMAC-SHA256 under the server's secret (a pseudorandom permutation of 16 bytes,
Luby-Rackoff): the server reads the case back from the key without a table, and without the secret a key
says nothing about its case. The secret is a random file under ``NORA_HOME`` (:func:`load_secret`),
created on first use, shared by every process of the server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import struct
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from sqlalchemy.orm import Session

from nora.archive.services.access import Access
from nora.core.errors import NotFound
from nora.reading.cases import Case, stage_cases
from nora.reading.config import STAGES
from nora.reading.results import ResultRow
from nora.reading.service import Reading, Readings

PREFIX = "~"
KEY_FILE = "secrets/case-keys.key"  # where the secret lies under NORA_HOME
_BLOCK = struct.Struct(">IBxxxIi")  # reading id, stage, study id, file id (-1: none): 16 bytes
_ROUNDS = 4


def is_key(value: str | None) -> bool:
    """Whether a PID (or SID) a route was given is a case key."""
    return bool(value) and str(value).startswith(PREFIX)


def pseudonymised(reading: Reading) -> bool:
    """Whether the caller meets ``reading``'s cases by key: a reader, not an admin, of a ``hideMetadata`` reading."""
    blind = reading.definition.reading.reading.blind
    return not reading.is_admin and blind is not None and blind.hideMetadata


def load_secret(home: Path) -> bytes:
    """The server's case-key secret, ``NORA_HOME/secrets/case-keys.key``: created (mode 0600) when missing;
    a second process creating it at the same time keeps the first one's."""
    path = home / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
        out.flush()
        os.fsync(out.fileno())
    return path.read_bytes()


def _round(secret: bytes, n: int, half: bytes) -> bytes:
    return hmac.new(secret, bytes([n]) + half, hashlib.sha256).digest()[:8]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class CaseKeys:
    """Case keys under the secret of the data root ``home`` (read, or created, when first needed)."""

    home: Path

    @cached_property
    def secret(self) -> bytes:
        return load_secret(self.home)

    def key(self, reading_id: int, stage: str, study_id: int, file_id: int | None) -> str:
        """The key of one case (study, and file for image cases) of a reading's stage."""
        block = _BLOCK.pack(reading_id, STAGES.index(stage), study_id, -1 if file_id is None else file_id)
        left, right = block[:8], block[8:]
        for n in range(_ROUNDS):
            left, right = right, _xor(left, _round(self.secret, n, right))
        return PREFIX + base64.urlsafe_b64encode(left + right).decode().rstrip("=")

    def decode(self, key: str) -> tuple[int, str, int, int | None]:
        """(reading id, stage, study id, file id) of a key; :class:`NotFound` for anything that is not one."""
        try:
            raw = base64.urlsafe_b64decode(key.removeprefix(PREFIX) + "==")
        except (binascii.Error, ValueError):
            raw = b""
        if not key.startswith(PREFIX) or len(raw) != _BLOCK.size:
            raise NotFound("no such case (not a case key)")
        left, right = raw[:8], raw[8:]
        for n in reversed(range(_ROUNDS)):
            left, right = _xor(right, _round(self.secret, n, left)), left
        reading_id, stage, study_id, file_id = _BLOCK.unpack(left + right)
        if stage >= len(STAGES):
            raise NotFound("no such case")
        return reading_id, STAGES[stage], study_id, None if file_id == -1 else file_id


@dataclass(frozen=True)
class KeyedCase:
    """A case key resolved: the reading and stage it belongs to and the case."""

    key: str
    reading: Reading
    stage: str
    case: Case


def resolve(
    session: Session, access: Access, keys: CaseKeys, key: str, *, reading: Reading | None = None, stage: str = ""
) -> KeyedCase:
    """The case ``key`` names, if it is a case of its stage for the caller (and of ``reading`` / ``stage``
    where given): else :class:`NotFound`, which names neither the case nor why."""
    missing = NotFound("no such case in this reading and stage")
    reading_id, key_stage, study_id, file_id = keys.decode(key)
    if (reading is not None and reading.id != reading_id) or (stage and stage != key_stage):
        raise missing
    if reading is None:
        reading = next((r for r in Readings(session, access).visible() if r.id == reading_id), None)
        if reading is None:
            raise missing
    config = reading.definition.reading
    if key_stage not in config.reading.stages:
        raise missing
    found = stage_cases(session, access, config, key_stage, only=(study_id, file_id))
    if not found:
        raise missing
    return KeyedCase(key, reading, key_stage, found[0])


def keyed_row(keys: CaseKeys, reading: Reading, row: ResultRow) -> ResultRow:
    """A result row as a pseudonymised reader sees it: the case key for its case, PID, SID; no image path."""
    key = keys.key(reading.id, row.stage, row.study_id, row.file_id)
    return replace(row, case=key, pid=key, sid=key, image="")
