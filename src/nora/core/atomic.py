"""Atomic file writes, the one implementation: temporary name in the same folder, fsync, rename, fsync the folder.

A crash or an error leaves no half-written file under a real name, and a rename that returned survives a
crash. This module imports only the standard library (and ``nora.core``), so the job runner on a compute
node can use it without paying for the rest of nora.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from nora.core.errors import TooLarge
from nora.core.fsync import fsync_path

#: prefix of every temporary name; listings and scans skip names that start with it
TMP_PREFIX = ".nora-tmp-"
CHUNK = 1 << 20


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    size: int
    sha256: str


def temporary_name(dest: Path) -> Path:
    """A fresh temporary name beside ``dest`` (same folder, so the rename is atomic)."""
    return dest.parent / f"{TMP_PREFIX}{secrets.token_hex(8)}-{dest.name.encode()[:64].decode(errors='ignore')}"


def write_durable(
    path: Path, source: IO[bytes] | bytes, *, max_bytes: int | None = None, label: str = ""
) -> WrittenFile:
    """Write a new file ``path`` (never an existing one) and fsync it; :class:`TooLarge` past ``max_bytes``
    (naming ``label``, by default the file's name).

    On any error the partial file is removed. The caller renames it into place with :func:`promote`.
    """
    digest = hashlib.sha256()
    size = 0
    out = open(path, "xb")  # noqa: SIM115 (outside the try: a name that exists is never removed)
    try:
        with out:
            chunks: Iterable[bytes] = [source] if isinstance(source, bytes) else iter(lambda: source.read(CHUNK), b"")
            for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(f"{label or path.name} is larger than the limit of {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return WrittenFile(path, size, digest.hexdigest())


def promote(tmp: Path, dest: Path) -> None:
    """Rename the complete, fsynced file ``tmp`` to ``dest`` and fsync ``dest``'s folder."""
    os.replace(tmp, dest)
    fsync_path(dest.parent)


def atomic_write(
    dest: Path,
    source: IO[bytes] | bytes,
    *,
    max_bytes: int | None = None,
    check: Callable[[Path], object] | None = None,
) -> WrittenFile:
    """Write ``source`` to ``dest`` atomically (the folder is created if needed).

    ``max_bytes`` limits the size (:class:`TooLarge` when exceeded); ``check`` is called with the complete
    temporary file before the rename and may raise to refuse it. On any error the temporary file is removed.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(dest)
    written = write_durable(tmp, source, max_bytes=max_bytes, label=dest.name)
    try:
        if check is not None:
            check(tmp)
        promote(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WrittenFile(dest, written.size, written.sha256)


def atomic_write_json(dest: Path, data: Any) -> WrittenFile:
    """``data`` as indented JSON (keys sorted; anything else JSON lacks as its ``str``), atomically."""
    return atomic_write(dest, json.dumps(data, indent=2, sort_keys=True, default=str).encode())


def replace_json(dest: Path, data: Any) -> None:
    """``data`` as compact JSON under a temporary name, renamed into place, **not fsynced**.

    For records read back in the same boot of the machine (a job's spec, process and result records): a
    reader never sees half of one, but a crash of the machine may lose it. Compact, so ``json`` uses its
    C encoder (ten times faster than with an indent).
    """
    tmp = temporary_name(dest)
    with open(tmp, "x") as fh:
        fh.write(json.dumps(data, sort_keys=True, default=str))
    os.replace(tmp, dest)
