"""The subject/study table over the REST API: filter bars, file-search bar, paging, anonymisation."""

from __future__ import annotations

import pytest

from nora.archive.services import nodes, projects
from nora.archive.services.access import SYSTEM, project_access
from tests.unit.api.conftest import Env

T = "/api/projects/P1/studies"


def _add_studies(env: Env, n: int) -> None:
    with env.sessions() as s:  # type: ignore[operator]
        access = project_access(s, SYSTEM, "P1")
        for i in range(n):
            p = nodes.create_patient(s, access, env.layout, f"SUB{i:03d}", name=f"Name{i}^Test")
            nodes.create_study(
                s,
                access,
                env.layout,
                p,
                f"2020010{i % 9 + 1}",
                description="ct head" if i % 2 else "mr brain",
                modality="CT" if i % 2 else "MR",
            )
        s.commit()


def test_filter_bars_file_search_and_paging(env: Env) -> None:
    _add_studies(env, 30)
    c = env.client("user")
    assert c.get(T).json()["total"] == 31
    assert c.get(T, params={"pid": "sub00"}).json()["total"] == 10
    assert c.get(T, params={"pid": "sub00 sub01"}).json()["total"] == 20
    assert c.get(T, params={"pid": "sub0 & *9"}).json()["total"] == 3
    assert c.get(T, params={"sdesc": "ct"}).json()["total"] == 15
    found = c.get(T, params={"files": "t1_mprage/s0*.nii"}).json()
    assert [r["pid"] for r in found["items"]] == ["PAT1"]
    assert found["items"][0]["n_files"] == 1
    page = c.get(T, params={"limit": 7, "offset": 28, "sort": "-pid"}).json()
    assert page["total"] == 31 and len(page["items"]) == 3
    assert [r["pid"] for r in page["items"]] == ["SUB001", "SUB000", "PAT1"]


def test_tags_show_in_rows_and_filter(env: Env) -> None:
    c = env.client("user")
    c.post("/api/projects/P1/patients/PAT1/studies/20240101/tags", json={"add": ["control"]})
    c.post("/api/projects/P1/patients/PAT1/tags", json={"add": ["cohortA"]})
    row = c.get(T, params={"files": "STAG:control"}).json()["items"][0]
    assert row["stags"] == ["control"] and row["ptags"] == ["cohortA"]
    assert c.get(T, params={"files": "STAG:other"}).json()["total"] == 0
    assert c.get(T, params={"files": "t1* & PTAG:cohortA"}).json()["total"] == 1


@pytest.mark.parametrize("bad", ["a & & b", "t1* &", '"unterminated', "JOB:x", "STAG:"])
def test_malformed_filters_give_400_with_a_message(env: Env, bad: str) -> None:
    r = env.client("user").get(T, params={"files": bad})
    assert r.status_code == 400, r.text
    assert r.json()["detail"]
    assert env.client("user").get(T).status_code == 200


def test_sql_metacharacters_are_literal(env: Env) -> None:
    c = env.client("user")
    for text in ["'; DROP TABLE files; --", "%", "\\", "' OR '1'='1"]:
        r = c.get(T, params={"pid": text})
        assert r.status_code == 200 and r.json()["total"] == 0, text
    assert c.get(T, params={"files": "t1*"}).json()["total"] == 1


def test_anonymised_project_hides_identity_without_deanonym(env: Env) -> None:
    with env.sessions() as s:  # type: ignore[operator]
        projects.update_project(s, project_access(s, SYSTEM, "P1"), settings={"anonymised": True})
        s.commit()
    row = env.client("user").get(T).json()["items"][0]
    assert row["name"] is None and row["birth_date"] is None
    assert env.client("user").get(T, params={"name": "Doe"}).status_code == 400
    row = env.client("admin").get(T).json()["items"][0]
    assert row["name"] == "Doe^Jane" and row["birth_date"] == "1980-02-03"
    env.client("admin").put("/api/projects/P1/rights/user", json={"deanonym": True})
    assert env.client("user").get(T).json()["items"][0]["name"] == "Doe^Jane"


def test_invalid_settings_and_paging_are_refused(env: Env) -> None:
    r = env.client("admin").patch("/api/projects/P1", json={"settings": {"anonymized": True}})
    assert r.status_code == 422 and "anonymized" in r.json()["detail"]  # the body fails ProjectSettings
    assert env.client("user").get(T, params={"limit": 0}).status_code == 400
    assert env.client("user").get(T, params={"sort": "password"}).status_code == 400


def test_the_count_joins_the_patients_only_for_a_condition_on_them(env: Env) -> None:
    """The total is counted on the studies alone unless a filter reads a patient column (the join cost a
    lookup per study); the totals stay those of the joined rows."""
    from sqlalchemy import event

    from nora.archive.services.table import TableQuery, query_studies

    _add_studies(env, 4)
    counts: list[str] = []
    with env.sessions() as s:  # type: ignore[operator]
        engine = s.get_bind()
        listen = lambda *a: counts.append(a[2]) if a[2].lstrip().startswith("SELECT count") else None  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            access = project_access(s, SYSTEM, "P1")
            assert query_studies(s, access, TableQuery({"sdesc": "ct"}))[0] == 2
            assert query_studies(s, access, TableQuery({"pid": "sub00"}))[0] == 4
            assert query_studies(s, access, TableQuery({"name": "name1"}, files="STAG:none PTAG:none"))[0] == 0
        finally:
            event.remove(engine, "before_cursor_execute", listen)
    assert ["JOIN patients" in c for c in counts] == [False, True, True], counts


def test_order_ties_and_null_sort_values_are_stable_across_pages(env: Env) -> None:
    """Patients whose IDs differ only in case keep their studies together (the order the indexes of
    migration 0010 walk); studies without a date come last whichever way the dates are sorted; pages of 2
    put together are the whole list (ties broken the same way every time)."""
    import datetime as dt

    with env.sessions() as s:  # type: ignore[operator]
        access = project_access(s, SYSTEM, "P1")
        for pid, studies in (
            ("Zed", [("b", None), ("A", dt.date(2020, 1, 2))]),
            ("zed", [("a", dt.date(2020, 1, 1))]),
            ("Amy", [("x", None)]),
        ):
            p = nodes.create_patient(s, access, env.layout, pid)
            for sid, date in studies:
                nodes.create_study(s, access, env.layout, p, sid, study_date=date)
        s.commit()
    c = env.client("user")

    def order(**params: str | int) -> list[str]:
        return [f"{r['pid']}#{r['sid']}" for r in c.get(T, params={"pid": "zed amy", **params}).json()["items"]]

    assert order() == ["Amy#x", "Zed#A", "Zed#b", "zed#a"]
    assert order(sort="study_date") == ["zed#a", "Zed#A", "Amy#x", "Zed#b"]
    assert order(sort="-study_date") == ["Zed#A", "zed#a", "Amy#x", "Zed#b"]
    assert order(sort="-pid") == ["Zed#A", "Zed#b", "zed#a", "Amy#x"]
    for sort in ("pid", "-pid", "study_date", "-study_date", "sid"):
        pages = [row for offset in (0, 2) for row in order(sort=sort, limit=2, offset=offset)]
        assert pages == order(sort=sort), sort
