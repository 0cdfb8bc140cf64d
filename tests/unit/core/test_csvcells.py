"""The CSV formula guard: text a spreadsheet would evaluate is written as text; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from nora.core.csvcells import csv_text, safe_cell


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3.5", "-3.5"),
        ("+2e-3", "+2e-3"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_starts_a_formula_gets_a_quote_and_numbers_do_not(raw: str, written: str) -> None:
    assert safe_cell(raw) == written


def test_typed_values_pass_and_none_is_empty() -> None:
    assert (safe_cell(-4), safe_cell(1.5), safe_cell(None)) == (-4, 1.5, "")


def test_the_text_reads_back_with_the_guarded_cells() -> None:
    text = csv_text(["name", "=head"], [["=1+1", -2], ["ok, fine", None]])
    assert list(csv.reader(io.StringIO(text))) == [["name", "'=head"], ["'=1+1", "-2"], ["ok, fine", ""]]
