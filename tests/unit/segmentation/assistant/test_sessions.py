"""The session store's bounds: per user, in number and in memory, and expiry (a clock the test moves)."""

from __future__ import annotations

import numpy as np
import pytest

from nora.core.errors import NotFound, Unavailable
from nora.core.settings import AssistantConfig
from nora.segmentation.assistant.builtin import BuiltinSession
from nora.segmentation.assistant.sessions import Key, Session, SessionStore

IMAGE = np.random.default_rng(0).normal(size=(16, 16, 8)).astype(np.float32)  # 2048 voxels: 8 kB smoothed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def open_one(store: SessionStore, user: int, file_id: int = 1, roi: str = "lesion", estimate: int = 0) -> Session:
    return store.open(
        Key(user, 7, file_id, roi),
        f"user{user}",
        "builtin",
        estimate,
        lambda: BuiltinSession(IMAGE),
        shape=IMAGE.shape,
        affine=np.eye(4),
        pid="P",
        sid="S",
    )


def test_one_session_per_user_roi_and_image_and_a_users_oldest_ends_beyond_their_limit() -> None:
    clock = Clock()
    store = SessionStore(AssistantConfig(max_per_user=2), clock)
    first = open_one(store, 1)
    again = open_one(store, 1)  # the same user, image and ROI: the old one ends
    assert len(store) == 1 and first.id != again.id
    with pytest.raises(NotFound):
        store.get(first.id, 1, 7)
    clock.now += 1
    other = open_one(store, 1, roi="other")
    clock.now += 1
    store.get(again.id, 1, 7)  # used: now the most recent
    third = open_one(store, 1, file_id=2)
    assert {s.id for s in (again, third)} == {store.get(again.id, 1, 7).id, store.get(third.id, 1, 7).id}
    with pytest.raises(NotFound):
        store.get(other.id, 1, 7)  # the least recently used ended
    with pytest.raises(NotFound):
        store.get(third.id, 2, 7)  # another user's session is not found
    with pytest.raises(NotFound):
        store.get(third.id, 1, 8)  # nor through another project


def test_sessions_are_bounded_in_number_and_memory() -> None:
    store = SessionStore(AssistantConfig(max_sessions=2, memory_mb=1))
    open_one(store, 1)
    open_one(store, 2)
    with pytest.raises(Unavailable, match="holds 2 sessions"):
        open_one(store, 3)
    roomy = SessionStore(AssistantConfig(memory_mb=1))
    a = open_one(roomy, 1)
    assert 0 < roomy.nbytes < 2**20 and a.nbytes >= IMAGE.size * 5
    with pytest.raises(Unavailable, match="needs 1 MB"):
        open_one(roomy, 2, estimate=2**20)


def test_an_unused_session_expires_and_its_room_is_free_again() -> None:
    clock = Clock()
    store = SessionStore(AssistantConfig(idle_timeout_s=60, max_sessions=1), clock)
    s = open_one(store, 1)
    clock.now += 59
    assert store.get(s.id, 1, 7) is s and store.expires_in(s) == 60
    clock.now += 61
    with pytest.raises(NotFound, match="may have expired"):
        store.get(s.id, 1, 7)
    assert len(store) == 0
    open_one(store, 2)  # the bound counts only the living
