"""Logging set-up shared by the server and the CLI."""

from __future__ import annotations

import logging


def configure(level: int = logging.INFO) -> None:
    """Log to stderr in one format; called once by the entry points."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
