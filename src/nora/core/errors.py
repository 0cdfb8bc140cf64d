"""The one exception hierarchy of nora.

Every error a user can cause is a :class:`NoraError` subclass with a message that says what was wrong
and what is accepted. The API maps these to HTTP statuses in ``nora.api.errors`` and the CLI maps them
to exit codes in ``nora.cli.main``; nothing else translates them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class NoraError(Exception):
    """Base class of every error nora raises on purpose."""

    #: HTTP-like category used by the boundaries to pick a status / exit code.
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(NoraError):
    """Input from outside (a pattern, a file, a JSON body, a name) is malformed."""

    kind = "invalid"


class SelectionSyntaxError(InvalidInput):
    """A selection-language expression could not be parsed."""


class UnsupportedFormat(InvalidInput):
    """A file's content is not one of the supported formats."""


class CorruptFile(InvalidInput):
    """A file claims a supported format but cannot be read (truncated, damaged)."""


class UnsafePath(InvalidInput):
    """A path or name from outside would leave its folder (``..``, absolute, odd characters)."""


class TooLarge(InvalidInput):
    """An upload or archive exceeds the configured limits."""

    kind = "too_large"


class NotFound(NoraError):
    """A named project, patient, study, file, user or token does not exist (or is not visible)."""

    kind = "not_found"


class Conflict(NoraError):
    """The request clashes with what exists (a duplicate name, a file already registered)."""

    kind = "conflict"


class NotAuthenticated(NoraError):
    """No valid credentials: missing, wrong, expired or revoked."""

    kind = "unauthenticated"


class Forbidden(NoraError):
    """The caller is known but lacks the right for this action."""

    kind = "forbidden"


class Unavailable(NoraError):
    """A remote peer (a PACS, a DICOM node) is down, refused us, or broke off the exchange."""

    kind = "unavailable"


def validation_problems(errors: Iterable[Mapping[str, Any]], whole: str = "") -> str:
    """``loc: msg; ...`` for pydantic's ``exc.errors()``; an empty location (the whole value) reads ``whole``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or whole}: {e['msg']}" for e in errors)
