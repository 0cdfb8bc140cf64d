"""The response cache of the table, file-list and job-list routes (nora.api.cache): a repeated page comes
from the cache and is the page a fresh build gives; any write, by a route or by another process (the CLI),
is seen on the very next request; rights are checked on every request and answers never cross callers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nora.api.cache import ResponseCache
from nora.archive.services import projects
from nora.archive.services.access import SYSTEM, project_access
from tests.unit.api.conftest import Env

T = "/api/projects/P1/studies"
PAGES = (
    T,
    T + "?sdesc=mr&limit=10",
    "/api/projects/P1/patients",
    "/api/projects/P1/patients/PAT1/studies/20240101/files",
    "/api/projects/P1/patients/PAT1/files",
    "/api/projects/P1/jobs?limit=50",
)
NORA = Path(sys.executable).parent / "nora"


def _cache(env: Env) -> ResponseCache:
    cache: ResponseCache = env.app_client.app.state.nora.cache  # type: ignore[attr-defined]
    return cache


def test_a_repeated_page_comes_from_the_cache_and_equals_a_fresh_build(env: Env) -> None:
    c = env.client("user")
    cache = _cache(env)
    assert cache.max_bytes > 0  # on by default
    first = {url: c.get(url) for url in PAGES}
    assert all(r.status_code == 200 for r in first.values()), {u: r.text for u, r in first.items()}
    hits = cache.hits
    again = {url: c.get(url) for url in PAGES}
    assert cache.hits == hits + len(PAGES)
    cache.max_bytes = 0  # off: every answer built afresh
    fresh = {url: c.get(url) for url in PAGES}
    assert cache.hits == hits + len(PAGES)
    for url in PAGES:
        assert again[url].content == first[url].content, url
        assert again[url].json() == fresh[url].json(), url
        assert again[url].headers["content-type"] == fresh[url].headers["content-type"] == "application/json"


def test_a_write_through_a_route_is_seen_on_the_next_request(env: Env) -> None:
    c = env.client("user")
    assert c.get(T).json()["items"][0]["stags"] == []
    c.get(T)  # cached now
    r = c.post("/api/projects/P1/patients/PAT1/studies/20240101/tags", json={"add": ["control"]})
    assert r.status_code == 200, r.text
    assert c.get(T).json()["items"][0]["stags"] == ["control"]
    files = "/api/projects/P1/patients/PAT1/studies/20240101/files"
    (only,) = c.get(files).json()
    assert c.patch(f"/api/projects/P1/files/{only['id']}", json={"path": "t1/renamed.nii"}).status_code == 200
    assert [f["path"] for f in c.get(files).json()] == ["t1/renamed.nii"]


def test_a_write_by_another_process_is_seen_on_the_next_request(env: Env) -> None:
    c = env.client("user")
    assert c.get(T).json()["items"][0]["stags"] == []
    hits = _cache(env).hits
    assert c.get(T).json()["items"][0]["stags"] == [] and _cache(env).hits == hits + 1
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith("NORA_")}
    env_vars |= {"NORA_HOME": str(env.settings.home), "NORA_DATABASE_URL": env.settings.effective_database_url}
    done = subprocess.run(
        [str(NORA), "-p", "P1", "--addtag_study", "later", "PAT1#20240101"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_vars,
    )
    assert done.returncode == 0, done.stderr
    assert c.get(T).json()["items"][0]["stags"] == ["later"]


def test_rights_are_checked_on_every_request_and_answers_never_cross_callers(env: Env) -> None:
    with env.sessions() as s:  # type: ignore[operator]
        projects.update_project(s, project_access(s, SYSTEM, "P1"), settings={"anonymised": True})
        s.commit()
    assert env.client("admin").get(T).json()["items"][0]["name"] == "Doe^Jane"
    assert env.client("admin").get(T).json()["items"][0]["name"] == "Doe^Jane"  # cached for the admin
    assert env.client("user").get(T).json()["items"][0]["name"] is None  # not the admin's answer
    assert env.client("norights").get(T).status_code == 404
    assert env.client("anonymous").get(T).status_code == 401
    # a right taken away holds on the next request (the access check runs before the cache is asked)
    assert env.client("readonly").get(T).status_code == 200
    assert env.client("admin").delete("/api/projects/P1/rights/readonly").status_code in (200, 204)
    assert env.client("readonly").get(T).status_code == 404


def test_the_cache_is_bounded_and_holds_one_revision() -> None:
    cache = ResponseCache(max_bytes=4000)
    for i in range(10):
        cache._put(("page", i), 7, b"x" * 900)
    assert cache._size <= 4000 and ("page", 9) in cache._bodies and ("page", 0) not in cache._bodies
    cache._put(("big",), 7, b"x" * 1001)  # over a quarter of the budget: not kept
    assert ("big",) not in cache._bodies
    assert cache._get(("page", 9), 7) is not None
    assert cache._get(("page", 9), 8) is None and cache._size == 0  # a newer revision empties it
