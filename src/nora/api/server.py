"""Entry point for Uvicorn: ``nora serve`` calls :func:`app_factory` with the Settings it built; a bare
``uvicorn --factory nora.api.server:app_factory`` start (the browser tests) builds them here instead.
"""

from __future__ import annotations

from fastapi import FastAPI

from nora.api.app import create_app
from nora.core.logging import configure
from nora.core.settings import Settings


def app_factory(settings: Settings | None = None) -> FastAPI:
    """The app on ``settings``: the process's one Settings (``nora serve``'s), else read from the environment."""
    configure()
    return create_app(settings if settings is not None else Settings())
