"""Identifiers: validation of names that become folder names, the patient/study pair :class:`Psid`, random tokens."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from nora.core.errors import InvalidInput, UnsafePath

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")
#: characters no name from outside may hold: C0 and C1 controls and DEL; bidirectional marks, embeddings,
#: overrides and isolates (they make ``evil\u202egpj.exe`` read as ``evilexe.jpg``); zero-width and
#: invisible separators; line and paragraph separators
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
#: the longest file or folder name the file systems we run on accept, in bytes of UTF-8
MAX_NAME_BYTES = 255


def unsafe_character(text: str) -> str | None:
    """The first control, bidirectional or zero-width character of ``text`` as ``U+XXXX``, else None."""
    found = _INVISIBLE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def check_name(value: str, what: str) -> str:
    """Return ``value`` if it is safe as a single folder name, else raise :class:`UnsafePath`.

    Accepted: 1-128 characters from letters, digits, ``.``, ``_`` and ``-``, not starting with a dot
    or dash, and not ``.``/``..``.
    """
    if not isinstance(value, str) or not _NAME.match(value) or value in {".", ".."}:
        raise UnsafePath(
            f"invalid {what} {value!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


@dataclass(frozen=True, slots=True)
class Psid:
    """A patient (``sid`` None) or one of its studies, named by their exact IDs.

    This is the value the layers pass each other for a patient/study pair; ``PID#SID`` text is only its
    printed form (:meth:`parse` reads it back). Both IDs are folder names (:func:`check_name`), so an
    invalid ``Psid`` never exists; they are compared exactly (``P1`` is not ``p1``). Selecting by a
    ``Psid`` means ``pid = ... AND sid = ...``, never the selection language's case-insensitive patterns.
    """

    pid: str
    sid: str | None = None

    def __post_init__(self) -> None:
        check_name(self.pid, "patient ID")
        if self.sid is not None:
            check_name(self.sid, "study ID")

    @classmethod
    def parse(cls, text: str) -> Psid:
        """``'PID'`` or ``'PID#SID'`` (exactly one ``#``, nothing around the IDs) as a :class:`Psid`.

        Raises :class:`InvalidInput` (an :class:`UnsafePath` for an invalid ID) naming what was wrong.
        """
        if not isinstance(text, str):
            raise InvalidInput(f"a patient or study must be 'PID' or 'PID#SID' text, not {type(text).__name__}")
        pid, sep, sid = text.partition("#")
        if sep and (not pid or not sid or "#" in sid):
            raise InvalidInput(f"{text!r} is not 'PID' or 'PID#SID': write one patient ID, '#' and one study ID")
        return cls(pid, sid if sep else None)

    @property
    def is_study(self) -> bool:
        return self.sid is not None

    @property
    def patient(self) -> Psid:
        """The patient of this study (itself for a patient)."""
        return Psid(self.pid)

    def sort_key(self) -> tuple[str, str]:
        """Order by PID, then SID (a patient before its studies), by code point."""
        return self.pid, "" if self.sid is None else "#" + self.sid

    def __str__(self) -> str:
        return self.pid if self.sid is None else f"{self.pid}#{self.sid}"
