"""``nora --mrmc RATINGS.csv [--covariance jackknife|delong] [--json]``: no project, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.conftest import Cli

VANDYKE = Path(__file__).parent.parent / "reading" / "data" / "vandyke.csv"


def test_prints_the_analysis_without_a_project(cli: Cli) -> None:
    out = cli.ok("--mrmc", str(VANDYKE)).out
    assert "5 readers, 114 cases (69 normal, 45 diseased)" in out
    assert "F(1, 15.26) = 4.456, p = 0.0517" in out  # OR-DBM MRMC 2.5 on these data (see test_mrmc.py)
    assert "covariance by jackknife" in out and "chi2(1) = 5.476, p = 0.0193" in out
    report = cli.ok("--mrmc", str(VANDYKE), "--covariance", "delong", "--json").json()
    assert report["covariance"] == "delong" and report["readers"] == ["0", "1", "2", "3", "4"]
    rrrc = report["analyses"][0]
    assert rrrc["name"] == "random readers, random cases" and round(rrrc["test"]["df2"], 5) == 15.06611
    assert len(report["curves"]) == 10 and report["curves"][0]["fpr"][0] == 0.0
    assert not (cli.home / "nora.db").exists()  # nothing initialised or written


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the ratings CSV is empty"),
        ("reader,case,truth,rating\n1,1,0,1\n", "lacks the column(s) modality"),
        ("reader,modality,case,truth,rating\n1,A,1,2,1\n", "line 2: truth must be 0 or 1, not '2'"),
        ("reader,modality,case,truth,rating\n1,A,1,0,high\n", "line 2: rating 'high' is not a number"),
        ("reader,modality,case,truth,rating\n1,A,1,0,1\n1,A,1,0,2\n", "line 3: a second rating of case '1'"),
        ("reader,modality,case,truth,rating\n1,A,1,0,1\n1,A,2\n", "line 3: 3 fields, the header has 5"),
        ("reader,modality,case,truth,rating\n1,A,1,0,1\n1,A,2,1,2\n2,A,1,0,1\n", "missing e.g. case '2' by reader '2'"),
        ("reader,modality,case,truth,rating\n1,A,1,0,1\n1,B,1,1,2\n", "line 3: case '1' has truth 1 here and 0"),
        ("reader,modality,case,truth,rating\n1,A,1,1,1\n1,A,2,1,2\n", "needs normal (truth 0) and diseased"),
    ],
)
def test_bad_csv_is_a_clear_error(cli: Cli, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(content)
    result = cli("--mrmc", str(path))
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"nora: error: {path}: ") and message in result.err


def test_semicolons_comments_and_a_byte_order_mark_are_read(cli: Cli, tmp_path: Path) -> None:
    rows = ["# exported from a spreadsheet", "Reader;Modality;Case;Truth;Rating;Comment"]
    rows += [
        f"R{r};{m};c{c};{c % 2};{(c % 2) * 2 + r + (m == 'AI')};-"
        for r in (1, 2)
        for m in ("unaided", "AI")
        for c in range(6)
    ]
    path = tmp_path / "ratings.csv"
    path.write_bytes("\ufeff".encode() + "\r\n".join(rows).encode())
    report = cli.ok("--mrmc", str(path), "--json").json()
    assert report["readers"] == ["R1", "R2"] and report["arms"] == ["unaided", "AI"]
    assert report["n_normal"] == 3 and report["auc"] == [[1.0, 1.0], [1.0, 1.0]]


def test_missing_file_wrong_options_and_binary_files(cli: Cli, tmp_path: Path) -> None:
    assert cli("--mrmc", str(tmp_path / "none.csv")).code == 3
    binary = tmp_path / "ratings.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    result = cli("--mrmc", str(binary))
    assert result.code == 2 and "cannot read" in result.err
    result = cli("--mrmc", str(VANDYKE), "--covariance", "bootstrap")
    assert result.code == 2 and "invalid choice: 'bootstrap'" in result.err
    result = cli("--covariance", "delong", "--projectlist")
    assert result.code == 2 and "--covariance works only with --mrmc" in result.err
    result = cli("--mrmc", str(VANDYKE), "--projectlist")
    assert result.code == 2 and "choose one action" in result.err
