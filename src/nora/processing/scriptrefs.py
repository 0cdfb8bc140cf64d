"""Argument references in Bash/Python job scripts (``$f1``, ``${o2}``): the one pattern and its two uses.

``$f1..$f99`` FILE, ``$o..`` OUT, ``$p..`` PATHOUT, ``$s..`` STRING, ``$n..`` NUMERIC. The batch tool lists
the rows a script needs through :func:`references` (``nora.processing.spec.script_rows``, the
``/processing/script-rows`` endpoint); the job runner fills them in with :func:`substitute`. Standard
library only: the runner imports it on the compute node.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: the reference prefixes, in the order the batch tool lists their rows
PREFIXES = "fopsn"
_REF = re.compile(r"\$\{?([fopsn])([1-9][0-9]?)\b\}?")


def references(script: str) -> list[str]:
    """The argument names ``script`` refers to, each once: by prefix (f, o, p, s, n), then by number."""
    names = {prefix + number for prefix, number in _REF.findall(script)}
    return sorted(names, key=lambda name: (PREFIXES.index(name[0]), int(name[1:])))


def substitute(script: str, value: Callable[[str], str | None]) -> str:
    """``script`` with every reference replaced by ``value(name)``; one it answers None for stays as written."""

    def replace(match: re.Match[str]) -> str:
        text = value(match.group(1) + match.group(2))
        return match.group(0) if text is None else text

    return _REF.sub(replace, script)
