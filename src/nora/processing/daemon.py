"""The daemon loop: the engine's recover() once, then tick() every ``poll_interval_s`` until stopped.

``nora daemon`` runs it in the foreground; ``nora serve`` runs it in a background thread
(:class:`DaemonThread`, started by :class:`nora.runtime.Services`) unless ``daemon_in_server`` is false.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from nora.core.settings import Settings
from nora.processing.engine import Engine, TickReport

log = logging.getLogger(__name__)


def run_loop(
    sessions: sessionmaker[Session],
    config: Settings,
    stop: threading.Event,
    *,
    on_tick: Callable[[TickReport], None] | None = None,
    engine: Engine | None = None,
    recover: bool = True,
) -> None:
    """Recover (unless done already), then dispatch and poll until ``stop`` is set; errors of one round are
    logged, not fatal."""
    engine = engine or Engine(sessions, config)
    if recover:
        engine.recover()
    while not stop.is_set():
        busy = False
        try:
            report = engine.tick()
            busy = bool(report.submitted or report.finished or report.skipped or report.started)
            if on_tick is not None:
                on_tick(report)
        except Exception:  # the loop must survive a bad round (database hiccup, executor error)
            log.exception("daemon round failed")
        # a round that changed something is followed at once (freed workers take the next jobs); otherwise
        # wait for a local job to end (woken by its pidfd) or the polling interval, whichever comes first
        if busy:
            stop.wait(config.processing.poll_interval_s / 20)
        else:
            engine.wait(stop, config.processing.poll_interval_s)


class DaemonThread:
    """The daemon in a background thread of the web server."""

    def __init__(
        self, sessions: sessionmaker[Session], config: Settings, engine: Engine | None = None, recover: bool = True
    ) -> None:
        self.stop_event = threading.Event()
        self.engine = engine or Engine(sessions, config)
        self.thread = threading.Thread(
            target=run_loop,
            args=(sessions, config, self.stop_event),
            kwargs={"engine": self.engine, "recover": recover},
            name="nora-daemon",
            daemon=True,
        )

    def start(self) -> DaemonThread:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.engine.notify()
        self.thread.join(timeout)
