"""--sql (read-only, system admins), --admin users/rights/tokens, and who may do what (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

from tests.unit.cli.conftest import PROJECT, Cli, populate

WRITES = [
    "UPDATE patients SET pid = 'X'",
    "DELETE FROM files",
    "DROP TABLE files",
    "INSERT INTO projects (name, description, settings, created_at) VALUES ('Z', '', '{}', '2024-01-01')",
    "WITH gone AS (DELETE FROM files RETURNING id) SELECT count(*) FROM gone",
    "SELECT 1; DELETE FROM files",
    "COMMIT; DELETE FROM files",
    "PRAGMA query_only=OFF",
    "CREATE TABLE t (x int)",
    "",
]


def test_sql_is_read_only_on_every_engine(any_db_cli: Cli) -> None:
    cli = any_db_cli
    populate(cli)
    rows = cli.ok("--sql", "SELECT pid FROM patients ORDER BY pid").json()
    assert rows == [{"pid": "PAT1"}, {"pid": "PAT2"}]
    counted = cli.ok("-q", "SELECT count(*) AS n FROM files WHERE path LIKE 't1%'", "--csv").out
    assert list(csv.reader(io.StringIO(counted))) == [["n"], ["2"]]
    before = cli.ok("-p", PROJECT, "-s", "*").lines
    for statement in WRITES:
        result = cli("--sql", statement)
        assert result.code == 2, (statement, result)
        assert result.err.startswith("nora: error: ")
    assert cli.ok("-p", PROJECT, "-s", "*").lines == before
    assert cli.ok("--sql", "SELECT pid FROM patients ORDER BY pid").json() == rows
    assert cli.ok("--sql", "SELECT count(*) AS n FROM projects").json() == [{"n": 1}]
    # the connection that ran a refused statement is gone: writes through the CLI still work
    cli.ok("-p", PROJECT, "--addtag_patient", "after", "PAT1")


def test_sql_needs_a_system_admin(project: Cli) -> None:
    project.ok("--admin", "adduser", "alice", "--password", "alice-password")
    project.ok("--admin", "grant", "alice", PROJECT, "--role", "admin")
    refused = project("--user", "alice", "--sql", "SELECT 1")
    assert refused.code == 4 and "system admin" in refused.err


def test_admin_user_right_and_token_flows(any_db_cli: Cli) -> None:
    cli = any_db_cli
    populate(cli)
    made = cli.ok("--admin", "adduser", "bob").json()
    assert made["username"] == "bob" and len(made["password"]) >= 12
    cli.ok("--admin", "adduser", "carol", "--password-stdin", "--sysadmin", stdin="carol-password\n")
    assert cli("--admin", "adduser", "bob", "--password", "xxxxxxxxxx").code == 5
    assert cli("--admin", "adduser", "dave", "--password", "short").code == 2
    users = {u["username"]: u["is_admin"] for u in cli.ok("--admin", "users").json()}
    assert users == {"root": True, "bob": False, "carol": True}

    right = cli.ok("--admin", "grant", "bob", PROJECT, "--readonly", "--download").json()
    assert (right["scope"], right["readonly"], right["download"], right["role"]) == (PROJECT, True, True, "user")
    cli.ok("--admin", "grant", "bob", "PACS_ORTHANC")
    assert [r["scope"] for r in cli.ok("--admin", "rights", "bob").json()] == ["P1", "PACS_ORTHANC"]
    assert cli("--admin", "grant", "bob", "NOPROJECT").code == 3
    assert cli("--admin", "grant", "bob", PROJECT, "--role", "king").code == 2

    token = cli.ok("--admin", "token", "create", "bob", "--name", "laptop", "--days", "30").json()
    assert token["token"].startswith("nora_") and token["expires_at"]
    listed = cli.ok("--admin", "token", "list", "bob").json()
    assert [(t["id"], t["name"]) for t in listed] == [(token["id"], "laptop")]
    assert token["token"] not in cli.ok("--admin", "token", "list", "bob").out

    cli.monkeypatch.setenv("NORA_TOKEN", token["token"])
    assert [p["name"] for p in cli.ok("--projectlist").json()] == [PROJECT]
    assert cli.ok("--admin", "token", "list", "bob").json()[0]["last_used_at"]
    assert cli("--admin", "users").code == 4
    assert cli("-p", PROJECT, "--addtag_patient", "x", "PAT1").code == 4  # read-only
    cli.monkeypatch.delenv("NORA_TOKEN")

    cli.ok("--admin", "token", "revoke", str(token["id"]))
    cli.monkeypatch.setenv("NORA_TOKEN", token["token"])
    revoked = cli("--projectlist")
    assert revoked.code == 4 and "revoked" in revoked.err
    cli.monkeypatch.delenv("NORA_TOKEN")

    cli.ok("--admin", "revoke", "bob", PROJECT)
    assert cli("--user", "bob", "-p", PROJECT, "-s", "*").code == 3
    cli.ok("--admin", "passwd", "bob", "--password-stdin", stdin="new-password-1\n")
    cli.ok("admin", "deluser", "bob")  # `nora admin ...` is `nora --admin ...`
    assert "bob" not in {u["username"] for u in cli.ok("--admin", "users").json()}
    assert cli("--user", "bob", "--projectlist").code == 4


def test_named_users_get_what_their_rights_allow(project: Cli) -> None:
    project.ok("--admin", "adduser", "none", "--password", "none-password")
    project.ok("--admin", "adduser", "ro", "--password", "ro-password")
    project.ok("--admin", "adduser", "rw", "--password", "rw-password")
    project.ok("--admin", "grant", "ro", PROJECT, "--readonly")
    project.ok("--admin", "grant", "rw", PROJECT)
    root = project.project_dir()
    t1 = str(root / "PAT1/20240101/t1_mprage/anatomical.nii")

    # no right: the project does not exist for them (3), admin actions are forbidden (4)
    assert project.ok("--user", "none", "--projectlist").json() == []
    assert project("--user", "none", "-p", PROJECT, "-s", "*").code == 3
    assert project("--user", "none", "--createproject", "MINE").code == 4
    assert project("--user", "none", "--admin", "grant", "none", PROJECT).code == 3
    assert project("--user", "none", "--admin", "token", "list", "ro").code == 4
    project.monkeypatch.setenv("NORA_USER", "none")
    assert project("-p", PROJECT, "--tagstats").code == 3
    project.monkeypatch.delenv("NORA_USER")

    # read-only: reads work, every write is refused and changes nothing
    assert len(project.ok("--user", "ro", "-p", PROJECT, "-s", "*").lines) == 3
    for args in (
        ["--addtag", "x", "-s", "*", "*"],
        ["--addtag_study", "x", "PAT1#20240101"],
        ["--addtag_patient", "x", "PAT1"],
        ["--del", t1],
        ["--del_pat", "PAT2"],
        ["--add", t1],
    ):
        result = project("--user", "ro", "-p", PROJECT, *args)
        assert result.code == 4 and "read-only" in result.err, args
    assert project.ok("-p", PROJECT, "--tagstats").json() == {"patient": {}, "study": {}, "file": {}}
    assert len(project.ok("-p", PROJECT, "-s", "*").lines) == 3

    # a plain user may write, and may not grant rights on the project
    project.ok("--user", "rw", "-p", PROJECT, "--addtag", "mine", "-s", "PAT1", "*")
    assert project("--user", "rw", "--admin", "grant", "ro", PROJECT).code == 4
    token = project.ok("--user", "rw", "--admin", "token", "create", "rw").json()
    assert project.ok("--user", "rw", "--admin", "token", "list", "rw").json()[0]["id"] == token["id"]
