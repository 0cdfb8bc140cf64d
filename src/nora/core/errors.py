"""The one exception hierarchy of nora.

Every error a user can cause is a :class:`NoraError` subclass with a message that says what was wrong
and what is accepted. The API maps these to HTTP statuses in ``nora.api.errors`` and the CLI maps them
to exit codes in ``nora.cli.main``; nothing else translates them. Both map by class, the nearest base
class listed in their table deciding, so a new subclass inherits the status and exit code of the
category it derives from: derive a new error from one of the categories below, not from ``NoraError``
itself (a test enumerates every subclass and fails for one mapped only through the root).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class NoraError(Exception):
    """Base class of every error nora raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(NoraError):
    """Input from outside (a pattern, a file, a JSON body, a name) is malformed."""


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


class NotFound(NoraError):
    """A named project, patient, study, file, user or token does not exist (or is not visible)."""


class Conflict(NoraError):
    """The request clashes with what exists (a duplicate name, a file already registered)."""


class NotAuthenticated(NoraError):
    """No valid credentials: missing, wrong, expired or revoked."""


class Throttled(NotAuthenticated):
    """Too many failed logins for this account or from this address: try again after ``retry_after`` s."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Forbidden(NoraError):
    """The caller is known but lacks the right for this action."""


class Unavailable(NoraError):
    """A remote peer (a PACS, a DICOM node) is down, refused us, or broke off the exchange."""


class ServerFault(NoraError):
    """The installation or a tool it runs failed (a converter missing, the cluster refusing a job).

    Not the caller's fault and nothing they can correct: the API answers 500, the CLI exits 1.
    """


def category(error: type[NoraError], table: Mapping[type[NoraError], object]) -> type[NoraError]:
    """The nearest class of ``error``'s hierarchy (itself first) that ``table`` lists: how the API and the
    CLI look up an error's status and exit code, so a subclass inherits its base class's."""
    for cls in error.__mro__:
        if cls in table:
            return cls
    raise KeyError(f"{error.__name__} derives from no class the table lists")


def validation_problems(errors: Iterable[Mapping[str, Any]], whole: str = "", skip: Iterable[str] = ()) -> str:
    """``loc: msg; ...`` for pydantic's ``exc.errors()``, the one wording of validation problems.

    Location parts in ``skip`` are left out (FastAPI's ``body``); an empty location (the whole value)
    reads ``whole``, or the message alone where ``whole`` is empty. pydantic's ``Value error, `` prefix of
    a validator's own message is dropped.
    """
    hidden = set(skip)
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p not in hidden) or whole
        msg = str(e.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)
