"""Script references ``$f1``/``${o2}``: one pattern for the batch tool's rows and the runner's substitution."""

from __future__ import annotations

from nora.processing.runner import substitute_python
from nora.processing.scriptrefs import references, substitute
from nora.processing.spec import script_rows

SCRIPT = 'cp "$f2" "${o1}"; echo $n1 $f1 ${f10} $s3 $p1 $f2 $f100 $x1 $f0 ${o1}x $fo1'


def test_references_are_listed_once_by_prefix_then_number() -> None:
    assert references(SCRIPT) == ["f1", "f2", "f10", "o1", "p1", "s3", "n1"]
    assert references("no references, $HOME and $1") == []


def test_the_batch_tool_rows_and_the_runner_read_the_same_references() -> None:
    rows = script_rows(SCRIPT)
    assert rows[:4] == [("f1", "FILE"), ("f2", "FILE"), ("f10", "FILE"), ("o1", "OUT")]
    assert [t for _n, t in rows[4:]] == ["PATHOUT", "STRING", "NUMERIC"]
    values = {name: f"<{name}>" for name, _type in rows}
    filled = substitute_python(SCRIPT, values)
    assert filled == (
        "cp \"'<f2>'\" \"'<o1>'\"; echo '<n1>' '<f1>' '<f10>' '<s3>' '<p1>' '<f2>' $f100 $x1 $f0 '<o1>'x $fo1"
    )


def test_a_reference_without_a_value_stays_as_written() -> None:
    assert substitute("a $f1 ${o2} b", lambda name: "X" if name == "f1" else None) == "a X ${o2} b"
