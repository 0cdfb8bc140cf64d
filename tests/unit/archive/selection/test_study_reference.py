"""Study references (a batch argument's ``ref``): exactly one study term, or a clear refusal."""

from __future__ import annotations

import pytest

from nora.archive.selection import StudyPattern, StudyRank, StudyTagged, parse_study_reference
from nora.core.errors import SelectionSyntaxError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", None),
        ("   ", None),
        ("LATEST", StudyRank("*", latest=True)),
        (" latest ", StudyRank("*", latest=True)),
        ("LATEST2", StudyRank("*", latest=True, offset=2)),
        ("OLDEST", StudyRank("*", latest=False)),
        ("oldest1", StudyRank("*", latest=False, offset=1)),
        ("tag:baseline", StudyTagged("*", "baseline")),
        ("STAG:base*", StudyTagged("*", "base*")),
        ("MR1", StudyPattern("*", "MR1")),
        ("2024*", StudyPattern("*", "2024*")),
        ("MR_", StudyPattern("*", "MR_")),
        ("*", StudyPattern("*", "*")),
    ],
)
def test_one_term_is_accepted(text: str, expected: object) -> None:
    assert parse_study_reference(text) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("LATEST *", "2 terms ('LATEST', '*') where exactly one is accepted"),
        ("LATEST\tOLDEST", "2 terms"),
        ("MR1 MR2 MR3", "3 terms"),
        ("LATEST & x", "3 terms"),
        ("P1#LATEST", "takes no 'PID#'"),
        ("#tag:x", "takes no 'PID#'"),
        ('"MR1"', "quotes are not accepted"),
        ("PIDLIST:P1", "is not a SID pattern"),
        ("PSIDLIST:P1#S1", "takes no 'PID#'"),
        ("ptag:x", "is not a SID pattern"),
        ("notstag:x", "is not a SID pattern"),
        ("tag:", "tag: needs a tag"),
        ("LATEST99999", "skips too many studies"),
        ("ABS:/etc/passwd", "is not a SID pattern"),
    ],
)
def test_everything_else_is_refused_saying_what_is_accepted(text: str, words: str) -> None:
    with pytest.raises(SelectionSyntaxError) as info:
        parse_study_reference(text)
    assert words in info.value.message
    assert "write one of LATEST, LATEST<n>, OLDEST, OLDEST<n>, tag:TAG or a SID pattern" in info.value.message
