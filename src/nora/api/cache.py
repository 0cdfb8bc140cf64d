"""The response cache of the busiest read-only pages (the table, a study's files, the job list).

A cached answer is the JSON body a route built, keyed by everything the body depends on: the URL (path
and query), the caller and their rights on the project (rights are still checked on every request, by the
route's access dependency, before the cache is asked), and the database revision
(:mod:`nora.archive.revision`): a counter that every committed write raises, in the writing transaction,
whichever process wrote it (this server, another server process, the daemon, an import, the CLI). The
revision is read before the data, so a body is never older than the revision it is filed under; the first
request after any write sees the new revision and builds its answer again.

The cache holds the answers of one revision only (a different revision empties it), at most
``Settings.response_cache_mb`` of bodies, least recently used first out; 0 turns it off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from fastapi import Request, Response
from sqlalchemy.orm import Session

from nora.archive import revision
from nora.archive.services.access import Access

JSON = "application/json"


class ResponseCache:
    """JSON bodies of one database revision, at most ``max_bytes`` of them; safe across threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._revision: int | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def answer(self, request: Request, db: Session, access: Access, build: Callable[[], bytes]) -> Response:
        """The route's JSON answer: the cached body if the database has not changed since it was built for
        this URL and these rights, else ``build()`` (filed for the next request)."""
        current = revision.current(db) if self.max_bytes > 0 else None
        if current is None:
            return Response(build(), media_type=JSON)
        key = (request.url.path, request.url.query, _rights(access), current)
        body = self._get(key, current)
        if body is None:
            body = build()
            self._put(key, current, body)
        return Response(body, media_type=JSON)

    def _get(self, key: Hashable, current: int) -> bytes | None:
        with self._lock:
            self._adopt(current)
            body = self._bodies.get(key)
            if body is None:
                self.misses += 1
            else:
                self.hits += 1
                self._bodies.move_to_end(key)
            return body

    def _put(self, key: Hashable, current: int, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:  # one huge page must not push out all the others
            return
        with self._lock:
            self._adopt(current)
            old = self._bodies.pop(key, None)
            self._size += len(body) - (len(old) if old is not None else 0)
            self._bodies[key] = body
            while self._size > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)

    def _adopt(self, current: int) -> None:
        # any other revision (a write since, or a database made anew) makes every held body unusable
        if current != self._revision:
            self._bodies.clear()
            self._size = 0
            self._revision = current


def _rights(access: Access) -> tuple[object, ...]:
    """What of the caller an answer may depend on: who they are and each right they hold on the project."""
    a = access
    return (a.project.id, a.actor.user_id, a.actor.username, a.actor.is_admin, a.role) + (
        a.readonly,
        a.download,
        a.batchtool,
        a.deanonym,
    )
