"""``Psid``: the patient/study pair passed between layers; validated at construction, exact, round-trips."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nora.core.errors import InvalidInput, UnsafePath
from nora.core.ids import Psid

#: what check_name accepts: a folder name of 1-128 characters
NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,127}", fullmatch=True)


@given(pid=NAMES, sid=st.none() | NAMES)
def test_format_and_parse_round_trip(pid: str, sid: str | None) -> None:
    psid = Psid(pid, sid)
    text = str(psid)
    assert Psid.parse(text) == psid
    assert str(Psid.parse(text)) == text
    assert psid.is_study == (sid is not None) and psid.patient == Psid(pid)


def test_printed_form_is_noras() -> None:
    assert str(Psid("S01", "MR1")) == "S01#MR1"
    assert str(Psid("S01")) == "S01"
    assert Psid.parse("S01#MR1") == Psid("S01", "MR1") and Psid.parse("S01").sid is None


def test_ids_are_exact() -> None:
    assert Psid("P1") != Psid("p1")
    assert Psid.parse("P1#S1") != Psid.parse("p1#s1")
    assert len({Psid("P1", "S"), Psid("p1", "S"), Psid("P1", "S")}) == 2


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Psid("P1").pid = "P2"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text, words",
    [
        ("P1#", "is not 'PID' or 'PID#SID'"),
        ("#S1", "is not 'PID' or 'PID#SID'"),
        ("P1#S1#S2", "is not 'PID' or 'PID#SID'"),
        ("P1#LATEST *", "invalid study ID 'LATEST *'"),
        ("P 1", "invalid patient ID 'P 1'"),
        ("", "invalid patient ID ''"),
        ("../x", "invalid patient ID"),
        ("P1#..", "invalid study ID"),
        ("P1#*", "invalid study ID '*'"),
    ],
)
def test_invalid_text_is_refused_with_the_reason(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Psid.parse(text)
    assert words in info.value.message


def test_construction_validates() -> None:
    with pytest.raises(UnsafePath, match="invalid study ID"):
        Psid("P1", "a/b")
    with pytest.raises(UnsafePath, match="letters, digits"):
        Psid("P1#S1")
    with pytest.raises(InvalidInput, match="not int"):
        Psid.parse(5)  # type: ignore[arg-type]
