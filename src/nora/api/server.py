"""Entry point for Uvicorn: ``uvicorn --factory nora.api.server:app_factory`` (used by ``nora serve``)."""

from __future__ import annotations

from fastapi import FastAPI

from nora.api.app import create_app
from nora.core.logging import configure
from nora.core.settings import Settings


def app_factory() -> FastAPI:
    configure()
    return create_app(Settings())
