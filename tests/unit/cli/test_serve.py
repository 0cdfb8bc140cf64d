"""`nora serve` initialises a new data root, prints the URL and serves the API (a real Uvicorn process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from nora.cli.server import serve_app
from nora.core.settings import Settings
from tests.unit.cli.conftest import NORA, Cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_initialises_and_answers(cli: Cli) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(NORA), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )
    try:
        deadline = time.time() + 30
        health = None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as response:
                    health = json.load(response)
                break
            except OSError:
                time.sleep(0.1)
        assert health is not None and health["status"] == "ok"
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "password:" in output
    assert f"http://127.0.0.1:{port}/" in output
    assert (cli.home / "nora.sqlite").is_file()


def test_serve_builds_the_app_on_the_settings_the_command_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The environment names another data root: an app that built its own Settings would serve that one.
    monkeypatch.setenv("NORA_HOME", str(tmp_path / "elsewhere"))
    settings = Settings(home=tmp_path / "here")
    app = serve_app(settings)
    assert app.state.nora.settings is settings
    assert app.state.nora.services.settings is settings
    assert not (tmp_path / "elsewhere").exists()
