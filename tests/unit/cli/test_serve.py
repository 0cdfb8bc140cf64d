"""`nora serve` initialises a new data root, prints the URL and serves the API (a real Uvicorn process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request

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
