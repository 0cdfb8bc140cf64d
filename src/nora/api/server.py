"""Entry point for Uvicorn: ``nora serve`` calls :func:`app_factory` with the Settings it built; a bare
``uvicorn --factory nora.api.server:app_factory`` start (the browser tests) builds them here instead.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from nora.api.app import create_app
from nora.core.logging import configure
from nora.core.settings import Settings


def app_factory(settings: Settings | None = None) -> FastAPI:
    """The app on ``settings``: the process's one Settings (``nora serve``'s), else read from the environment.

    This is the serving process's start, so it also sets that process's garbage collector up for serving
    (the start-up heap frozen, young objects collected less often); the tests' ``create_app`` does not."""
    configure()
    app = create_app(settings if settings is not None else Settings())
    # the start-up heap (modules, the ~320 routes and their models, the ORM mappings: ~200,000 objects)
    # lives as long as the process; frozen, the collector's full passes no longer walk it on every
    # request burst (they took about a fifth of the server's time under 20 clients)
    gc.collect()
    gc.freeze()
    # a request's objects (ORM rows, pages of models) live for its few hundred ms: collected every 700
    # allocations they were walked again and again and promoted; every 20,000 most are gone by then
    # (collector CPU under 20 clients 1.7 s -> 0.5 s per 15 s)
    gc.set_threshold(20_000, 20, 20)
    return app
