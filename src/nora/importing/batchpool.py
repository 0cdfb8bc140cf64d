"""A few worker threads that take queued work a batch at a time.

Each worker, when free, takes its share of the queue (the queue split evenly over the workers, at most
``max_batch`` items), so one converter run serves several series when work piles up and a lone item
starts at once when it does not. Every item has its own future; a batch that raises fails each of its
unfinished items with that exception.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

Batch = list[tuple[T, "Future[R]"]]


class BatchPool(Generic[T, R]):
    """Run ``handle`` on batches of submitted items in ``workers`` threads.

    ``handle`` receives (item, future) pairs and resolves every future (what it leaves unresolved
    gets an error). Use :meth:`shutdown` (or the stager's context manager) to stop the threads.
    """

    def __init__(self, handle: Callable[[Batch[T, R]], None], *, workers: int, max_batch: int, name: str) -> None:
        if workers < 1 or max_batch < 1:
            raise ValueError(f"a batch pool needs at least one worker and one item a batch ({workers}, {max_batch})")
        self._handle, self._workers, self._max_batch = handle, workers, max_batch
        self._queue: deque[tuple[T, Future[R]]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}_{k}", daemon=True) for k in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, item: T) -> Future[R]:
        future: Future[R] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the batch pool is shut down")
            self._queue.append((item, future))
            self._cond.notify()
        return future

    def shutdown(self, *, cancel: bool) -> None:
        """Stop taking work; ``cancel``: drop what is still queued. Waits for running batches."""
        with self._cond:
            self._closed = True
            if cancel:
                while self._queue:
                    self._queue.popleft()[1].cancel()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    def _take(self) -> Batch[T, R] | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return None
            share = max(1, min(self._max_batch, -(-len(self._queue) // self._workers)))
            batch: Batch[T, R] = []
            while self._queue and len(batch) < share:
                item, future = self._queue.popleft()
                if future.set_running_or_notify_cancel():  # False: cancelled while queued
                    batch.append((item, future))
            return batch

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            if not batch:
                continue
            try:
                self._handle(batch)
            except BaseException as exc:  # the boundary of a worker thread: the items' owners get the error
                for _item, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            for _item, future in batch:
                if not future.done():
                    future.set_exception(RuntimeError("the batch left this item unfinished"))
