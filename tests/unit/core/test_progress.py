"""A job's progress file: written rate-limited and clamped, read back; anything else a script may leave
there is ignored or cut to one line, never an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nora.core.progress import MAX_BYTES, MAX_MESSAGE, PROGRESS_FILE, Progress, job_progress, read_progress


def test_written_progress_reads_back_clamped_and_rate_limited(tmp_path: Path) -> None:
    progress = Progress(tmp_path, every_s=3600)
    progress(0.25, "iteration 25 of 100")
    assert read_progress(tmp_path) == (0.25, "iteration 25 of 100")
    progress(0.5, "iteration 50 of 100")  # within the interval: not written
    assert read_progress(tmp_path) == (0.25, "iteration 25 of 100")
    progress(7.0, "x" * 1000, force=True)
    fraction, message = read_progress(tmp_path) or (None, "")
    assert fraction == 1.0 and message == "x" * MAX_MESSAGE
    progress(float("nan"), "lost count", force=True)
    assert read_progress(tmp_path) == (0.0, "lost count")
    assert [p.name for p in tmp_path.iterdir()] == [PROGRESS_FILE]  # no temporary names left


def test_without_a_job_folder_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NORA_JOB_DIR", raising=False)
    job_progress()(0.5, "nowhere")
    monkeypatch.setenv("NORA_JOB_DIR", str(tmp_path / "gone"))
    job_progress()(0.5, "nowhere")
    assert not (tmp_path / "gone").exists()
    monkeypatch.setenv("NORA_JOB_DIR", str(tmp_path))
    job_progress()(0.5, "here")
    assert read_progress(tmp_path) == (0.5, "here")


@pytest.mark.parametrize(
    "content",
    [
        "",
        "0.5",
        "not json",
        '["fraction", 0.5]',
        '{"message": "no fraction"}',
        '{"fraction": "half"}',
        '{"fraction": true}',
        '{"fraction": NaN}',
        json.dumps({"fraction": 0.5, "message": "x" * MAX_BYTES}),
    ],
)
def test_what_is_not_a_progress_file_is_ignored(tmp_path: Path, content: str) -> None:
    (tmp_path / PROGRESS_FILE).write_text(content)
    assert read_progress(tmp_path) is None


def test_a_scripts_message_is_one_line_and_a_fraction_is_clamped(tmp_path: Path) -> None:
    (tmp_path / PROGRESS_FILE).write_text('{"fraction": -3, "message": "step 1\\n\\tof 4"}')
    assert read_progress(tmp_path) == (0.0, "step 1 of 4")
    (tmp_path / PROGRESS_FILE).write_text('{"fraction": 2, "message": 17}')
    assert read_progress(tmp_path) == (1.0, "")
    assert read_progress(tmp_path / "missing") is None
