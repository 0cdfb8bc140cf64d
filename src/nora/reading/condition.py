"""NORA's ``SQLCondition`` of a reading stage, translated: parsed here and evaluated in Python, never run as SQL.

The documented form is a condition on tags such as ``STAG LIKE '%Training%'``. Accepted::

    condition := clause ( (AND | OR) clause )*       AND binds tighter than OR; no parentheses
    clause    := [NOT] FIELD [NOT] LIKE 'pattern'  |  [NOT] FIELD (= | !=) 'value'
    FIELD     := STAG | PTAG | PID | SID | SDESC | MODALITY

``%`` matches any run of characters and ``_`` one, case-insensitively. ``STAG``/``PTAG`` hold a study's
(patient's) tags in NORA's stored form ``/a/b/``: a pattern matches when it matches that text or any
single tag, so ``STAG LIKE 'training'`` and ``STAG LIKE '%train%'`` both select a study tagged
``training``. Anything else is refused with a message saying what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nora.core.errors import InvalidInput

FIELDS = ("STAG", "PTAG", "PID", "SID", "SDESC", "MODALITY")
_TOKEN = re.compile(r"\s*(?:'((?:[^']|'')*)'|(!=|=)|([A-Za-z_]+)|(\S))")


@dataclass(frozen=True)
class Clause:
    field: str
    pattern: str
    like: bool
    negate: bool

    def matches(self, values: Sequence[str]) -> bool:
        regex = _regex(self.pattern) if self.like else None
        hit = any(
            (regex.fullmatch(v.lower()) is not None) if regex else v.lower() == self.pattern.lower() for v in values
        )
        return hit != self.negate


@dataclass(frozen=True)
class Condition:
    """An OR of ANDs of clauses; the empty condition selects everything."""

    alternatives: tuple[tuple[Clause, ...], ...] = ()

    def matches(self, fields: Mapping[str, Sequence[str]]) -> bool:
        if not self.alternatives:
            return True
        return any(all(c.matches(fields.get(c.field, ())) for c in part) for part in self.alternatives)


def _regex(pattern: str) -> re.Pattern[str]:
    out = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower())
    return re.compile(out, re.DOTALL)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        quoted, op, word, other = m.groups()
        if other is not None:
            raise InvalidInput(f"SQLCondition: unexpected {other!r} at {m.start(4) + 1}; {_ACCEPTED}")
        if quoted is not None:
            out.append(("str", quoted.replace("''", "'")))
        elif op is not None:
            out.append(("op", op))
        elif word is not None:
            out.append(("word", word.upper()))
        pos = m.end()
    return out


_ACCEPTED = "accepted: FIELD [NOT] LIKE 'pattern' or FIELD = 'value' joined by AND / OR, FIELD one of " + ", ".join(
    FIELDS
)


def parse_condition(text: str) -> Condition:
    """The parsed condition, or :class:`InvalidInput` saying what is wrong and what is accepted."""
    tokens = _tokens(text)
    if not tokens:
        return Condition()
    alternatives: list[tuple[Clause, ...]] = []
    current: list[Clause] = []
    i = 0
    while True:
        clause, i = _clause(tokens, i)
        current.append(clause)
        if i == len(tokens):
            break
        kind, value = tokens[i]
        if kind != "word" or value not in ("AND", "OR"):
            raise InvalidInput(f"SQLCondition: expected AND or OR, not {value!r}; {_ACCEPTED}")
        if value == "OR":
            alternatives.append(tuple(current))
            current = []
        i += 1
    alternatives.append(tuple(current))
    return Condition(tuple(alternatives))


def _clause(tokens: list[tuple[str, str]], i: int) -> tuple[Clause, int]:
    def take() -> tuple[str, str]:
        nonlocal i
        if i >= len(tokens):
            raise InvalidInput(f"SQLCondition: the condition ends too early; {_ACCEPTED}")
        i += 1
        return tokens[i - 1]

    negate = False
    kind, value = take()
    if (kind, value) == ("word", "NOT"):
        negate, (kind, value) = True, take()
    if kind != "word" or value not in FIELDS:
        raise InvalidInput(f"SQLCondition: {value!r} is not a field; {_ACCEPTED}")
    field = value
    kind, value = take()
    if (kind, value) == ("word", "NOT"):
        negate, (kind, value) = not negate, take()
        if (kind, value) != ("word", "LIKE"):
            raise InvalidInput(f"SQLCondition: NOT must be followed by LIKE; {_ACCEPTED}")
    if (kind, value) == ("word", "LIKE"):
        like = True
    elif kind == "op":
        like, negate = False, negate != (value == "!=")
    else:
        raise InvalidInput(f"SQLCondition: expected LIKE, = or != after {field}, not {value!r}; {_ACCEPTED}")
    kind, pattern = take()
    if kind != "str":
        raise InvalidInput(f"SQLCondition: the pattern must be quoted ('...'), not {pattern!r}; {_ACCEPTED}")
    return Clause(field, pattern, like, negate), i


def tag_values(tags: Sequence[str]) -> list[str]:
    """What a tag field is matched against: NORA's ``/a/b/`` text and each tag."""
    return [f"/{'/'.join(tags)}/" if tags else "", *tags]
