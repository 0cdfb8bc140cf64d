"""Run ``nora`` as a user would: in-process through ``main([...])`` or as the installed console script.

Every test gets its own data root (``NORA_HOME`` in a temporary folder) and no identity from the
environment, so the CLI acts as the local system actor unless a test names a user.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nibabel.testing import data_path

from nora.cli.main import main

NIB = Path(data_path)
NORA = Path(sys.executable).parent / "nora"
PROJECT = "P1"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@dataclass
class Cli:
    home: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        """``nora ARGS`` in this process."""
        self.capsys.readouterr()
        with self.monkeypatch.context() as m:
            if stdin is not None:
                m.setattr(sys, "stdin", io.StringIO(stdin))
            code = main(list(args))
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *args: str, stdin: str | None = None) -> Result:
        result = self(*args, stdin=stdin)
        assert result.code == 0, f"nora {' '.join(args)} -> {result.code}: {result.err}"
        return result

    def project_dir(self, project: str = PROJECT) -> Path:
        return self.home / "projects" / project

    def subprocess(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``nora ARGS`` as the installed console script, with this test's environment."""
        return subprocess.run(
            [str(NORA), *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
        )


def _clean_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in list(os.environ):
        if name.startswith("NORA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NORA_HOME", str(home))


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """A fresh, uninitialised data root on SQLite."""
    home = tmp_path / "home"
    _clean_env(monkeypatch, home)
    return Cli(home, capsys, monkeypatch)


@pytest.fixture
def any_db_cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """A fresh data root on SQLite and on PostgreSQL (``NORA_DATABASE_URL``)."""
    home = tmp_path / "home"
    _clean_env(monkeypatch, home)
    monkeypatch.setenv("NORA_DATABASE_URL", db_url)
    return Cli(home, capsys, monkeypatch)


def populate(cli: Cli) -> None:
    """init, project P1 and two studies of real NIfTI files, added from outside with ``--to``."""
    cli.ok("init", "--admin", "root")
    cli.ok("--createproject", PROJECT)
    cli.ok("-p", PROJECT, "--add", str(NIB / "anatomical.nii"), "--to", "PAT1#20240101", "--folder", "t1_mprage")
    cli.ok("-p", PROJECT, "--add", str(NIB / "example4d.nii.gz"), "--to", "PAT1#20240101", "--folder", "fmri")
    cli.ok("-p", PROJECT, "--add", str(NIB / "anatomical.nii"), "--to", "PAT2#20230505", "--folder", "t1_mprage")


@pytest.fixture
def project(cli: Cli) -> Iterator[Cli]:
    """:func:`cli` with :func:`populate` done."""
    populate(cli)
    yield cli


@pytest.fixture
def any_db_project(any_db_cli: Cli) -> Iterator[Cli]:
    """:func:`any_db_cli` with :func:`populate` done (SQLite and PostgreSQL)."""
    populate(any_db_cli)
    yield any_db_cli
