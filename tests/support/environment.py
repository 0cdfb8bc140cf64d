"""What a test needs from the machine beyond the real components the fixtures start.

A real component that is missing always fails its tests (the fixtures say how to install it). Where a
test needs something of the machine itself that may legitimately be absent on a developer's computer
(a second filesystem), it is skipped there, and fails in CI (``CI=true``), where a skip would hide that
the test never ran.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: a test that cannot run is a failure, not a skip)")
    pytest.skip(reason)


def other_filesystem(than: Path) -> Path:
    """A writable folder on another filesystem than ``than`` (for cross-device renames and links)."""
    device = than.stat().st_dev
    for candidate in (Path("/dev/shm"), Path(tempfile.gettempdir()), Path("/run"), Path("/var/tmp"), Path.home()):
        try:
            if candidate.is_dir() and candidate.stat().st_dev != device and os.access(candidate, os.W_OK):
                return candidate
        except OSError:
            continue
    missing(f"no writable folder on another filesystem than {than}")
