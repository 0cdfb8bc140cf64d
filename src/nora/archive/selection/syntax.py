"""The filter-bar language: tokens, the syntax tree and :func:`parse_filter`.

Grammar (white space is space, tab or newline)::

    filter      := conjunct ( "&" conjunct )*          -- AND
    conjunct    := term ( WS term )*                   -- OR
    term        := ATTR ":" value | pattern
    ATTR        := STAG | PTAG | FTAG | JOB | SDESC    -- case-insensitive
    pattern     := unquoted | '"' chars '"'            -- '""' inside quotes is one '"'

``ATTR:"a value"`` quotes an attribute value; a wholly quoted term is always a plain pattern, so
``"STAG:x"`` searches for that text. Patterns use ``*`` and ``_`` and get an implicit trailing ``*``;
``JOB:`` takes one or more of the letters ``q`` (queued), ``r`` (running), ``e`` (error). Any other
``WORD:`` prefix (``FOO:bar``) and a comparison (``>2023``, ``<=5``, ``=x``, ``!=x``) are syntax errors
that say what is accepted, since the language has neither: such text matches nothing as a pattern, so a
silent empty table would hide the mistake. Quoted (``"FOO:bar"``, ``">2023"``) it is searched for as
text. Errors name the problem and the 1-based character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from nora.core.errors import SelectionSyntaxError

MAX_LENGTH = 2000
_SEPARATORS = frozenset(" \t\n\r")
_ATTRIBUTE = re.compile(r"([A-Za-z]+):")
_COMPARISON = re.compile(r"[<>]=?|!?=")
JOB_STATES = {"q": "queued", "r": "running", "e": "error"}

TagLevel = Literal["study", "patient", "file"]
_TAG_ATTRS: dict[str, TagLevel] = {"STAG": "study", "PTAG": "patient", "FTAG": "file"}
_TAG_NAMES = {level: attr for attr, level in _TAG_ATTRS.items()}
ATTRIBUTES = ("STAG", "PTAG", "FTAG", "JOB", "SDESC")


def syntax_error(problem: str, position: int) -> SelectionSyntaxError:
    """A :class:`SelectionSyntaxError` whose message ends with the (1-based) character it is about."""
    return SelectionSyntaxError(f"{problem} (at character {position + 1})")


# --------------------------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One white-space separated word, quotes removed.

    ``quoted_from`` is the index in ``text`` where a quoted part starts (0: the whole token was quoted,
    ``None``: no quotes), so callers can tell ``STAG:x`` from ``"STAG:x"``.
    """

    text: str
    position: int
    quoted_from: int | None = None

    @property
    def head(self) -> str:
        """The unquoted start of the token, where attribute prefixes are looked for."""
        return self.text if self.quoted_from is None else self.text[: self.quoted_from]


AMPERSAND = "&"


def _check_characters(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise syntax_error(f"the expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    for i, ch in enumerate(text):
        if ch not in _SEPARATORS and unicodedata.category(ch) == "Cc":
            raise syntax_error(f"control character {ch!r} is not allowed", i)


def tokenize(text: str, *, ampersand: bool) -> list[Token | int]:
    """Split ``text`` into tokens; with ``ampersand`` every ``&`` outside quotes becomes its position (an int).

    Raises :class:`SelectionSyntaxError` for over-long text, control characters, an unterminated quote
    or a quote in the middle of a word.
    """
    _check_characters(text)
    out: list[Token | int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SEPARATORS:
            i += 1
        elif ampersand and ch == AMPERSAND:
            out.append(i)
            i += 1
        else:
            token, i = _read_token(text, i, ampersand)
            out.append(token)
    return out


def _read_token(text: str, start: int, ampersand: bool) -> tuple[Token, int]:
    i, n = start, len(text)
    chars: list[str] = []
    while i < n and text[i] not in _SEPARATORS and not (ampersand and text[i] == AMPERSAND):
        if text[i] == '"':
            if chars and chars[-1] != ":":
                raise syntax_error(
                    "a quote may only start a pattern or follow 'ATTRIBUTE:'; quote the whole pattern", i
                )
            quoted_from = len(chars)
            value, i = _read_quoted(text, i)
            if i < n and text[i] not in _SEPARATORS and not (ampersand and text[i] == AMPERSAND):
                raise syntax_error("a closing quote must be followed by a space, '&' or the end", i)
            return Token("".join(chars) + value, start, quoted_from), i
        chars.append(text[i])
        i += 1
    return Token("".join(chars), start), i


def _read_quoted(text: str, opening: int) -> tuple[str, int]:
    """The content of the quoted string opening at ``opening`` and the index after its closing quote."""
    chars: list[str] = []
    i, n = opening + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            if i + 1 < n and text[i + 1] == '"':
                chars.append('"')
                i += 2
                continue
            return "".join(chars), i + 1
        if ch in "\t\n\r":
            raise syntax_error(f"control character {ch!r} is not allowed inside quotes", i)
        chars.append(ch)
        i += 1
    raise syntax_error("unterminated quote: close it with '\"'", opening)


def quote(text: str) -> str:
    """``text`` quoted so that :func:`tokenize` reads it back as one word (``"`` doubled inside)."""
    return '"' + text.replace('"', '""') + '"'


def split_prefix(token: Token, names: tuple[str, ...]) -> tuple[str, str] | None:
    """``(NAME, value)`` when the token's unquoted head starts with ``NAME:`` (case-insensitive)."""
    match = _ATTRIBUTE.match(token.head)
    if match is None or match.group(1).upper() not in names:
        return None
    return match.group(1).upper(), token.text[match.end() :]


# ------------------------------------------------------------------------------------------ syntax tree


@dataclass(frozen=True)
class PatternTerm:
    """A plain pattern: matched against the bar's column (the file path in the file-search bar)."""

    pattern: str

    def __str__(self) -> str:
        needs_quotes = (
            not self.pattern
            or any(ch in _SEPARATORS or ch in '&"' for ch in self.pattern)
            or _ATTRIBUTE.match(self.pattern) is not None
            or _COMPARISON.match(self.pattern) is not None
        )
        return quote(self.pattern) if needs_quotes else self.pattern


@dataclass(frozen=True)
class TagTerm:
    """``STAG:`` / ``PTAG:`` / ``FTAG:``: the study, its patient, or one of its files has a matching tag."""

    level: TagLevel
    pattern: str

    def __str__(self) -> str:
        return f"{_TAG_NAMES[self.level]}:{_value_text(self.pattern)}"


@dataclass(frozen=True)
class JobTerm:
    """``JOB:``: the study (or its patient, with no study) has a job in one of ``states`` (``q r e``)."""

    states: frozenset[str]

    def __str__(self) -> str:
        return "JOB:" + "".join(s for s in JOB_STATES if s in self.states)


@dataclass(frozen=True)
class DescriptionTerm:
    """``SDESC:``: the study description matches."""

    pattern: str

    def __str__(self) -> str:
        return f"SDESC:{_value_text(self.pattern)}"


Term = PatternTerm | TagTerm | JobTerm | DescriptionTerm


def _value_text(value: str) -> str:
    return quote(value) if any(ch in _SEPARATORS or ch in '&"' for ch in value) else value


@dataclass(frozen=True)
class Filter:
    """A parsed filter: every conjunct must hold; a conjunct holds when any of its terms does."""

    conjuncts: tuple[tuple[Term, ...], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.conjuncts

    def __str__(self) -> str:
        return " & ".join(" ".join(str(term) for term in conjunct) for conjunct in self.conjuncts)


# ------------------------------------------------------------------------------------------------ parser


def parse_filter(text: str) -> Filter:
    """Parse a filter-bar expression; blank text is the empty filter (everything matches).

    Raises :class:`SelectionSyntaxError` naming the problem and its character position.
    """
    if not isinstance(text, str):
        raise SelectionSyntaxError(f"a filter must be text, not {type(text).__name__}")
    items = tokenize(text, ampersand=True)
    conjuncts: list[tuple[Term, ...]] = []
    current: list[Term] = []
    last_ampersand: int | None = None
    for item in items:
        if isinstance(item, int):
            if not current:
                where = "at the start" if last_ampersand is None else "between two '&'"
                raise syntax_error(f"empty condition {where}: write conditions on both sides of '&'", item)
            conjuncts.append(tuple(current))
            current, last_ampersand = [], item
        else:
            current.append(_term(item))
    if current:
        conjuncts.append(tuple(current))
    elif last_ampersand is not None:
        raise syntax_error("nothing after the last '&': remove it or add a condition", last_ampersand)
    return Filter(tuple(conjuncts))


def _term(token: Token) -> Term:
    split = split_prefix(token, ATTRIBUTES)
    if split is None:
        if not token.text:
            raise syntax_error('empty pattern ""', token.position)
        _refuse_unknown_syntax(token)
        return PatternTerm(token.text)
    name, value = split
    if not value:
        raise syntax_error(f"{name}: needs a value, as in {name}:{_EXAMPLES[name]}", token.position)
    if name == "JOB":
        letters = value.lower()
        if not set(letters) <= set(JOB_STATES):
            raise syntax_error(
                f"JOB: takes one or more of the letters q (queued), r (running), e (error), not {value!r}",
                token.position,
            )
        return JobTerm(frozenset(letters))
    if name == "SDESC":
        return DescriptionTerm(value)
    return TagTerm(_TAG_ATTRS[name], value)


def _refuse_unknown_syntax(token: Token) -> None:
    """An unquoted ``WORD:`` prefix that is no attribute, or a comparison operator, is a syntax error."""
    literally = f"or quote the text, {quote(token.text)}, to search for it"
    attribute = _ATTRIBUTE.match(token.head)
    if attribute is not None:
        accepted = ", ".join(f"{name}:" for name in ATTRIBUTES[:-1]) + f" or {ATTRIBUTES[-1]}:"
        raise syntax_error(f"unknown attribute {attribute.group(1)}: use {accepted}, {literally}", token.position)
    comparison = _COMPARISON.match(token.head)
    if comparison is not None:
        raise syntax_error(
            f"comparisons such as {comparison.group()!r} are not part of the filter language: match with the "
            f"wildcards * and _ (2023* is every date in 2023), {literally}",
            token.position,
        )


_EXAMPLES = {"STAG": "control", "PTAG": "cohortA", "FTAG": "qc_ok", "JOB": "e", "SDESC": "mprage"}
