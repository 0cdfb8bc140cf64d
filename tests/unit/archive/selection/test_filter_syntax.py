"""The filter-bar parser: structure, quoting, attributes, and every malformed case with its position."""

from __future__ import annotations

import re

import pytest

from nora.archive.selection import (
    DescriptionTerm,
    Filter,
    JobTerm,
    PatternTerm,
    TagTerm,
    parse_filter,
)
from nora.archive.selection.patterns import glob_match, like_pattern
from nora.core.errors import InvalidInput, SelectionSyntaxError


def test_and_of_ors() -> None:
    assert parse_filter("t1* mpr* & STAG:control") == Filter(
        ((PatternTerm("t1*"), PatternTerm("mpr*")), (TagTerm("study", "control"),))
    )


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_blank_is_no_filter(text: str) -> None:
    flt = parse_filter(text)
    assert flt.is_empty and flt == Filter()


def test_attributes_are_case_insensitive() -> None:
    flt = parse_filter("stag:a Ptag:b fTaG:c job:QR sdesc:mri")
    assert flt.conjuncts == (
        (
            TagTerm("study", "a"),
            TagTerm("patient", "b"),
            TagTerm("file", "c"),
            JobTerm(frozenset("qr")),
            DescriptionTerm("mri"),
        ),
    )


@pytest.mark.parametrize(
    ("text", "character"),
    [("FOO:bar", 1), ("t1* & foo:x", 7), ('a BAR:"x y"', 3), ("FOO:", 1)],
)
def test_unknown_attribute_says_which_are_accepted(text: str, character: int) -> None:
    with pytest.raises(SelectionSyntaxError) as info:
        parse_filter(text)
    message = str(info.value)
    assert re.search(r"unknown attribute (FOO|foo|BAR):", message)
    assert "STAG:, PTAG:, FTAG:, JOB: or SDESC:" in message
    assert message.endswith(f"(at character {character})")


@pytest.mark.parametrize(
    ("text", "operator", "character"),
    [(">2023", ">", 1), ("x <2023", "<", 3), (">=5", ">=", 1), ("a & <=5", "<=", 5), ("=x", "=", 1), ("!=x", "!=", 1)],
)
def test_comparison_says_it_is_not_part_of_the_language(text: str, operator: str, character: int) -> None:
    with pytest.raises(SelectionSyntaxError) as info:
        parse_filter(text)
    message = str(info.value)
    assert f"comparisons such as {operator!r} are not part of the filter language" in message
    assert "wildcards * and _" in message
    assert message.endswith(f"(at character {character})")


def test_quoted_unknown_attribute_or_comparison_is_plain_text() -> None:
    assert parse_filter('"FOO:x" ">2023"') == Filter(((PatternTerm("FOO:x"), PatternTerm(">2023")),))
    # words that only contain ':', '<' or '=' later, or start with a digit, stay patterns
    assert parse_filter("T1:x a<b !x") == Filter(((PatternTerm("T1:x"), PatternTerm("a<b"), PatternTerm("!x")),))


def test_quotes() -> None:
    flt = parse_filter('"my file*" SDESC:"head  mri" "STAG:x" "say ""hi""" &x')
    assert flt.conjuncts == (
        (
            PatternTerm("my file*"),
            DescriptionTerm("head  mri"),
            PatternTerm("STAG:x"),  # a wholly quoted term is never an attribute
            PatternTerm('say "hi"'),
        ),
        (PatternTerm("x"),),
    )


def test_ampersand_needs_no_spaces() -> None:
    assert parse_filter("a&b") == Filter(((PatternTerm("a"),), (PatternTerm("b"),)))


def test_quoted_ampersand_is_literal() -> None:
    assert parse_filter('"a & b"') == Filter(((PatternTerm("a & b"),),))


def test_sql_metacharacters_are_plain_text() -> None:
    text = "'; DROP TABLE files; -- 100% a\\b"
    flt = parse_filter(text)
    assert [t.pattern for t in flt.conjuncts[0]] == ["';", "DROP", "TABLE", "files;", "--", "100%", "a\\b"]


@pytest.mark.parametrize(
    ("text", "problem", "character"),
    [
        ("a & & b", "empty condition between two '&'", 5),
        ("a &", "nothing after the last '&'", 3),
        ("a & ", "nothing after the last '&'", 3),
        ("& a", "empty condition at the start", 1),
        ("&", "empty condition at the start", 1),
        ("a && b", "empty condition between two '&'", 4),
        ('x "abc', "unterminated quote", 3),
        ('"', "unterminated quote", 1),
        ('a"b', "a quote may only start a pattern", 2),
        ('"a"b', "a closing quote must be followed", 4),
        ("STAG:", "STAG: needs a value", 1),
        ('x PTAG:""', "PTAG: needs a value", 3),
        ("sdesc:", "SDESC: needs a value", 1),
        ("FTAG: x", "FTAG: needs a value", 1),
        ("JOB:", "JOB: needs a value", 1),
        ("a JOB:x", "JOB: takes one or more of the letters", 3),
        ("JOB:qd", "JOB: takes one or more of the letters", 1),
        ("JOB:*", "JOB: takes one or more of the letters", 1),
        ('""', 'empty pattern ""', 1),
        ("ab\x00c", "control character", 3),
        ("a\x1b[31m", "control character", 2),
        ("a\x7f", "control character", 2),
        ('"a\tb"', "control character", 3),
        ("x" * 2001, "longer than 2000 characters", 2001),
    ],
)
def test_malformed(text: str, problem: str, character: int) -> None:
    with pytest.raises(SelectionSyntaxError) as info:
        parse_filter(text)
    message = str(info.value)
    assert problem in message
    assert message.endswith(f"(at character {character})")
    assert isinstance(info.value, InvalidInput)


def test_longest_accepted_input() -> None:
    assert parse_filter("x" * 2000).conjuncts == ((PatternTerm("x" * 2000),),)


def test_tabs_and_newlines_separate_alternatives() -> None:
    assert parse_filter("a\tb\nc\r\nd") == Filter(
        ((PatternTerm("a"), PatternTerm("b"), PatternTerm("c"), PatternTerm("d")),)
    )


def test_not_text() -> None:
    with pytest.raises(SelectionSyntaxError):
        parse_filter(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["t1* mpr* & STAG:control", '"my file*" & SDESC:"a b"', "JOB:eq & FTAG:x PTAG:y", '"FOO:x" "a""b" ">=1"'],
)
def test_round_trip(text: str) -> None:
    flt = parse_filter(text)
    assert parse_filter(str(flt)) == flt


def test_job_letters_in_canonical_order() -> None:
    assert str(parse_filter("JOB:erq")) == "JOB:qre"


# ------------------------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("pattern", "trailing", "expected"),
    [
        ("t1*", True, "t1%"),
        ("T1_MPR", True, "t1_mpr%"),
        ("a**b", False, "a%b"),
        ("100%", False, "100\\%"),
        ("a\\b", False, "a\\\\b"),
        ("*", True, "%"),
        ("", True, "%"),
        ("it's", False, "it's"),
    ],
)
def test_like_pattern(pattern: str, trailing: bool, expected: str) -> None:
    assert like_pattern(pattern, trailing=trailing) == expected


@pytest.mark.parametrize(
    ("pattern", "value", "trailing", "matches"),
    [
        ("t1*", "T1_MPRAGE/s003.nii", True, True),
        ("s0*.nii", "t1/s003.nii", True, False),  # anchored at the start
        ("*s0*.nii", "t1/s003.nii.gz", True, True),
        ("*s0*.nii", "t1/s003.nii.gz", False, False),
        ("s00_", "s0034", True, True),
        ("s00_", "s0034", False, False),
        ("s00_", "s003", False, True),
        ("100%", "100x", False, False),
        ("100%", "100%", False, True),
        ("a.b", "axb", False, False),
        ("x", None, True, False),
    ],
)
def test_glob_match(pattern: str, value: str | None, trailing: bool, matches: bool) -> None:
    assert glob_match(pattern, value, trailing=trailing) is matches


def test_message_is_friendly() -> None:
    with pytest.raises(SelectionSyntaxError, match=re.escape("write conditions on both sides of '&'")):
        parse_filter("a & & b")


@pytest.mark.parametrize(
    ("pattern", "trailing", "expected"),
    [
        ("t1_MPR*", True, "t1?mpr*"),
        ("a?b[c]", False, "a[?]b[[]c]"),
        ("**", False, "*"),
        ("", True, "*"),
        ("100%\\", False, "100%\\"),
    ],
)
def test_glob_pattern(pattern: str, trailing: bool, expected: str) -> None:
    from nora.archive.selection.patterns import glob_pattern

    assert glob_pattern(pattern, trailing=trailing) == expected
