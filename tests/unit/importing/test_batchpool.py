"""The converter threads' pool: queued work taken a share at a time, errors and cancels to each item."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future

import pytest

from nora.importing.batchpool import Batch, BatchPool


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the pool never got there"
        threading.Event().wait(0.01)


def test_queued_items_are_taken_in_shares_and_a_lone_item_starts_at_once() -> None:
    release = threading.Event()
    batches: list[list[int]] = []

    def handle(batch: Batch[int, int]) -> None:
        batches.append([item for item, _f in batch])
        if batches[0][0] == 0:
            release.wait(30)  # hold the only worker while the rest piles up
        for item, future in batch:
            future.set_result(item * 10)

    pool: BatchPool[int, int] = BatchPool(handle, workers=1, max_batch=4, name="test-batch")
    first = pool.submit(0)
    _until(lambda: bool(batches))  # the lone item was taken without waiting for company
    rest = [pool.submit(k) for k in range(1, 7)]
    release.set()
    assert first.result(30) == 0 and [f.result(30) for f in rest] == [10, 20, 30, 40, 50, 60]
    pool.shutdown(cancel=False)
    assert batches == [[0], [1, 2, 3, 4], [5, 6]]  # one worker: its share is the queue, at most 4


def test_a_batch_that_raises_fails_each_of_its_items_and_shutdown_cancels_the_queue() -> None:
    started, release = threading.Event(), threading.Event()

    def handle(batch: Batch[str, str]) -> None:
        started.set()
        release.wait(30)
        batch[0][1].set_result("done")
        raise OSError("disk full")

    pool: BatchPool[str, str] = BatchPool(handle, workers=1, max_batch=2, name="test-batch")
    a, b = pool.submit("a"), pool.submit("b")
    assert started.wait(30)
    queued: Future[str] = pool.submit("c")
    closer = threading.Thread(target=pool.shutdown, kwargs={"cancel": True})
    closer.start()
    _until(queued.cancelled)  # shutdown cancels what is queued, then waits for the running batch
    release.set()
    closer.join(30)
    assert a.result(30) == "done"  # resolved before the error: kept
    with pytest.raises(OSError, match="disk full"):
        b.result(30)
    with pytest.raises(CancelledError):
        queued.result(0)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit("d")
