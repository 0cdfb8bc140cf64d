"""Durability on disk: fsync a file or a folder (after a rename into it) by its path, or many new files at once."""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from collections.abc import Iterable
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync ``path``: a file's data, or a folder's entries (so a rename into it survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_files(paths: Iterable[Path]) -> None:
    """Make the data of many new files durable at once, before they are renamed into place.

    On Linux one ``syncfs`` per filesystem they lie on: every fsync of a new file waits for its own
    journal commit, so thousands of them (kept DICOM originals) cost seconds where one commit does.
    Elsewhere, or where ``syncfs`` is refused, each file is fsynced.
    """
    by_device: dict[int, list[Path]] = {}
    for path in paths:
        by_device.setdefault(os.stat(path).st_dev, []).append(path)
    for group in by_device.values():
        if not _syncfs(group[0]):
            for path in group:
                fsync_path(path)


def _syncfs(path: Path) -> bool:
    """``syncfs(2)`` of the filesystem holding ``path``; False where the call is not available or fails."""
    libc = _libc()
    if libc is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        return int(libc.syncfs(fd)) == 0
    finally:
        os.close(fd)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syncfs.argtypes = [ctypes.c_int]
        return libc
    except (OSError, AttributeError):
        return None
