"""The assistant's sessions, held in the server process: bounded in number and memory, expiring.

One :class:`SessionStore` per process (built by :class:`nora.runtime.Services`); a session belongs to one
user, ROI and image (:class:`Key`): opening one for the same key again replaces it. Bounds
(``[assistant]`` settings): sessions unused for ``idle_timeout_s`` end (checked on every call, so no
thread is needed); a user's sessions beyond ``max_per_user`` end their least recently used one; a session
that would exceed ``max_sessions`` or ``memory_mb`` in all is refused with :class:`Unavailable` (HTTP 502)
after the expired ones are gone. A session's calls are serialised by its own lock.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nora.core.errors import NotFound, Unavailable
from nora.core.settings import AssistantConfig
from nora.imaging.roi import Affine, Mask
from nora.segmentation.assistant.backends import BackendName, BackendSession
from nora.segmentation.assistant.encoding import Packed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Key:
    """Whose session on what: the user, the project, the image file and the ROI name."""

    user_id: int | None
    project_id: int
    file_id: int
    roi: str


@dataclass
class Session:
    id: str
    key: Key
    username: str
    backend_name: BackendName
    backend: BackendSession
    shape: tuple[int, int, int]
    affine: Affine
    pid: str
    sid: str
    opened: float
    used: float
    result: Mask
    #: the interactions as the page sent them (world coordinates), one entry per undo step
    history: list[dict[str, Any]] = field(default_factory=list)
    #: per history entry: the result before it (packed) where undo cannot take the backend's (see
    #: :func:`nora.segmentation.assistant.service.interact`), else None
    before: list[Packed | None] = field(default_factory=list)
    #: counts every change of the result (the page drops answers older than the one it shows)
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: the patchwork model whose output the session started from (None: none)
    model: int | None = None

    @property
    def nbytes(self) -> int:
        return int(self.backend.nbytes) + sum(len(b.data) for b in self.before if b is not None)


class SessionStore:
    """Every assistant session of this process."""

    def __init__(self, config: AssistantConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._mu = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in list(self._sessions.values()))

    def expires_in(self, session: Session) -> float:
        return max(0.0, self.config.idle_timeout_s - (self.clock() - session.used))

    def open(
        self,
        key: Key,
        username: str,
        backend_name: BackendName,
        estimate: int,
        start: Callable[[], BackendSession],
        *,
        shape: tuple[int, int, int],
        affine: Affine,
        pid: str,
        sid: str,
        model: int | None = None,
    ) -> Session:
        """A new session for ``key`` (its old one ends), if the bounds allow ``estimate`` more bytes."""
        ended = self._make_room(key, estimate)
        for old in ended:
            old.backend.close()
        backend = start()  # outside the store's lock: reading and preparing an image takes a while
        now = self.clock()
        session = Session(
            secrets.token_urlsafe(18),
            key,
            username,
            backend_name,
            backend,
            shape,
            affine,
            pid,
            sid,
            now,
            now,
            np.zeros(shape, dtype=bool),
            model=model,
        )
        with self._mu:
            self._sessions[session.id] = session
        log.info("assistant session %s opened (%s, %d in all)", session.id, backend_name, len(self._sessions))
        return session

    def _make_room(self, key: Key, estimate: int) -> list[Session]:
        limit = self.config.memory_mb * 1024 * 1024
        with self._mu:
            ended = self._expired()
            ended += [self._sessions.pop(s.id) for s in list(self._sessions.values()) if s.key == key]
            own = sorted((s for s in self._sessions.values() if s.key.user_id == key.user_id), key=lambda s: s.used)
            while len(own) >= self.config.max_per_user:
                ended.append(self._sessions.pop(own.pop(0).id))
            if len(self._sessions) >= self.config.max_sessions:
                raise Unavailable(
                    f"the assistant holds {len(self._sessions)} sessions, its limit: try again later "
                    "(or end one of yours)"
                )
            used = sum(s.nbytes for s in self._sessions.values())
            if used + estimate > limit:
                raise Unavailable(
                    f"the assistant's sessions use {used // 2**20} MB of {self.config.memory_mb} MB and this image "
                    f"needs {estimate // 2**20} MB: try again later (or end one of your sessions)"
                )
        return ended

    def _expired(self) -> list[Session]:
        """Pops the sessions unused for longer than the idle timeout (the caller holds the lock)."""
        now = self.clock()
        gone = [s for s in self._sessions.values() if now - s.used > self.config.idle_timeout_s]
        for s in gone:
            del self._sessions[s.id]
            log.info("assistant session %s expired", s.id)
        return gone

    def sweep(self) -> None:
        with self._mu:
            gone = self._expired()
        for s in gone:
            s.backend.close()

    def get(self, session_id: str, user_id: int | None, project_id: int) -> Session:
        """The caller's session, marked used; another user's or an ended one is :class:`NotFound`."""
        self.sweep()
        with self._mu:
            session = self._sessions.get(session_id)
            if session is None or session.key.user_id != user_id or session.key.project_id != project_id:
                raise NotFound(f"no assistant session {session_id!r} of yours (it may have expired): start a new one")
            session.used = self.clock()
            return session

    def close(self, session_id: str, user_id: int | None, project_id: int) -> None:
        session = self.get(session_id, user_id, project_id)
        with self._mu:
            self._sessions.pop(session.id, None)
        session.backend.close()

    def close_all(self) -> None:
        with self._mu:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for s in sessions:
            s.backend.close()
