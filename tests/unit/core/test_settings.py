"""One Settings: the file of its own home, the processing keys nested (flat keys accepted), precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from nora.core.settings import Settings

TOML = """
port = 9100
executor = "slurm"
local_workers = 3
default_queue_import = "imports"
[queues.gpu]
partition = "any"
restricted = true
"""


def test_the_file_of_the_given_home_is_read_not_the_environments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, other = tmp_path / "mine", tmp_path / "other"
    mine.mkdir()
    other.mkdir()
    (mine / "nora.toml").write_text(TOML)
    (other / "nora.toml").write_text('port = 1234\nexecutor = "local"\n')
    monkeypatch.setenv("NORA_HOME", str(other))
    settings = Settings(home=mine)
    assert settings.home == mine.resolve() and settings.port == 9100
    assert settings.processing.executor == "slurm" and settings.processing.local_workers == 3
    assert settings.processing.default_queue_import == "imports"
    assert settings.processing.queues["gpu"].restricted and settings.processing.queues["gpu"].partition == "any"
    assert Settings().port == 1234  # without a home: $NORA_HOME's file


def test_processing_keys_nested_or_flat_with_the_usual_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nora.toml").write_text(TOML + "\n[processing]\njob_timeout_s = 60\n")
    monkeypatch.setenv("NORA_LOCAL_WORKERS", "7")
    monkeypatch.setenv("NORA_PROCESSING__POLL_INTERVAL_S", "0.5")
    settings = Settings(home=tmp_path, executor="local")
    processing = settings.processing
    assert processing.executor == "local"  # keyword beats the file
    assert processing.local_workers == 7  # a NORA_ variable beats the file
    assert processing.poll_interval_s == 0.5 and processing.job_timeout_s == 60
    with pytest.raises(ValueError, match="executor"):
        Settings(home=tmp_path, executor="pbs")
