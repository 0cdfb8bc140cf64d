"""Identifiers: validation of names that become folder names, and random tokens."""

from __future__ import annotations

import re
import secrets

from nora.core.errors import UnsafePath

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")


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
